package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Objects;

/**
 * Which updates start a reconcile: a new generation, deletion, or a change of the operator's
 * annotations (force-reconcile, resync interval). Status writes, including the operator's own,
 * do not.
 */
public class ReconcileTriggers implements OnUpdateFilter<CloudRunEgressJob> {
  public static final String FORCE_RECONCILE = "egress.cloudrun.dev/reconcile-requested-at";
  public static final String RESYNC_INTERVAL = "egress.cloudrun.dev/resync-interval";

  @Override
  public boolean accept(CloudRunEgressJob updated, CloudRunEgressJob old) {
    return !Objects.equals(updated.getMetadata().getGeneration(), old.getMetadata().getGeneration())
        || updated.getMetadata().getDeletionTimestamp() != null
        || !Objects.equals(annotation(updated, FORCE_RECONCILE), annotation(old, FORCE_RECONCILE))
        || !Objects.equals(annotation(updated, RESYNC_INTERVAL), annotation(old, RESYNC_INTERVAL));
  }

  static String annotation(CloudRunEgressJob cr, String key) {
    return cr.getMetadata().getAnnotations() == null ? null : cr.getMetadata().getAnnotations().get(key);
  }
}
