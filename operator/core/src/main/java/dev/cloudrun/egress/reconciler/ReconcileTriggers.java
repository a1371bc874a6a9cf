package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Objects;

/**
 * Which updates start a reconcile: a new generation, deletion, finalizers, or a change of the operator's
 * annotations (force-reconcile, resync interval, run request). Status writes, including the operator's own,
 * do not.
 */
public class ReconcileTriggers implements OnUpdateFilter<CloudRunEgressJob> {
  public static final String FORCE_RECONCILE = "egress.cloudrun.dev/reconcile-requested-at";
  public static final String RESYNC_INTERVAL = "egress.cloudrun.dev/resync-interval";
  /** Each new value starts one run of the job: {@code kubectl annotate crej NAME egress.cloudrun.dev/run-requested-at="$(date -Is)" --overwrite}. */
  public static final String RUN_REQUESTED = "egress.cloudrun.dev/run-requested-at";

  @Override
  public boolean accept(CloudRunEgressJob updated, CloudRunEgressJob old) {
    return !Objects.equals(updated.getMetadata().getGeneration(), old.getMetadata().getGeneration())
        || updated.getMetadata().getDeletionTimestamp() != null
        // java-operator-sdk adds its finalizer first and reconciles on the resulting update
        || !Objects.equals(updated.getMetadata().getFinalizers(), old.getMetadata().getFinalizers())
        || !Objects.equals(annotation(updated, FORCE_RECONCILE), annotation(old, FORCE_RECONCILE))
        || !Objects.equals(annotation(updated, RESYNC_INTERVAL), annotation(old, RESYNC_INTERVAL))
        || !Objects.equals(annotation(updated, RUN_REQUESTED), annotation(old, RUN_REQUESTED));
  }

  public static String annotation(CloudRunEgressJob cr, String key) {
    return cr.getMetadata().getAnnotations() == null ? null : cr.getMetadata().getAnnotations().get(key);
  }
}
