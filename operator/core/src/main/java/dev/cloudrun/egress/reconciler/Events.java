package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on a CloudRunEgressJob, so `kubectl describe` tells what the operator did in
 * GCP: creates, updates, deletes, drift corrections and failures. Messages name GCP objects and
 * fields, never values from secrets.
 */
class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);
  private final KubernetesClient client;
  private final Clock clock;

  Events(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  void normal(CloudRunEgressJob cr, String reason, String message) {
    emit(cr, "Normal", reason, message);
  }

  void warning(CloudRunEgressJob cr, String reason, String message) {
    emit(cr, "Warning", reason, message);
  }

  private void emit(CloudRunEgressJob cr, String type, String reason, String message) {
    LOG.info("{}/{}: {} {}: {}", cr.getMetadata().getNamespace(), cr.getMetadata().getName(), type, reason, message);
    String now = clock.instant().toString();
    try {
      client.v1().events().inNamespace(cr.getMetadata().getNamespace()).resource(new EventBuilder()
          .withNewMetadata()
          .withName(cr.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
          .withNamespace(cr.getMetadata().getNamespace())
          .endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder()
              .withApiVersion(cr.getApiVersion())
              .withKind(cr.getKind())
              .withName(cr.getMetadata().getName())
              .withNamespace(cr.getMetadata().getNamespace())
              .withUid(cr.getMetadata().getUid())
              .build())
          .withType(type)
          .withReason(reason)
          .withMessage(message)
          .withFirstTimestamp(now)
          .withLastTimestamp(now)
          .withCount(1)
          .withNewSource("cloudrun-egress-operator", null)
          .build()).create();
    } catch (RuntimeException e) {
      // An event that cannot be written must not fail the reconcile.
      LOG.warn("could not record event {} on {}/{}: {}", reason, cr.getMetadata().getNamespace(), cr.getMetadata().getName(), e.getMessage());
    }
  }
}
