package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a pass needs of Kubernetes besides events: the resources that may share a GCP object with
 * the one reconciled, and the status write. Behind an interface so that a test can drive the
 * reconciler pass by pass, without java-operator-sdk's scheduling, as {@link #of} drives it in the
 * operator.
 */
interface Cluster {
  /** Every CloudRunEgressJob the operator watches, from its cache: cheap, for every pass. */
  Collection<CloudRunEgressJob> watched();

  /**
   * Every CloudRunEgressJob in every namespace, read live: before a shared object is deleted, since
   * a resource in a namespace the operator does not watch may use it too.
   */
  List<CloudRunEgressJob> everywhere();

  /**
   * Replaces the resource's status if it is still {@code before} (the status the pass started
   * from); false when the pass must run again on a newer version.
   */
  boolean writeStatus(CloudRunEgressJob cr, CloudRunEgressJobStatus before, CloudRunEgressJobStatus status);

  /** A deep copy, or an empty status for none. */
  CloudRunEgressJobStatus copy(CloudRunEgressJobStatus status);

  /** The cluster as java-operator-sdk hands it to one pass. */
  static Cluster of(Context<CloudRunEgressJob> context) {
    return new Cluster() {
      @Override
      public Collection<CloudRunEgressJob> watched() {
        return context.getPrimaryCache().list().toList();
      }

      @Override
      public List<CloudRunEgressJob> everywhere() {
        return context.getClient().resources(CloudRunEgressJob.class).inAnyNamespace().list().getItems();
      }

      @Override
      public boolean writeStatus(CloudRunEgressJob cr, CloudRunEgressJobStatus before, CloudRunEgressJobStatus status) {
        return StatusWrite.write(context.getClient(), cr, before, status, this, written -> {
          // The next pass (often due at once) may start before the informer has seen this write: it must
          // read this version, or it would start the recorded operations a second time.
          // java-operator-sdk keeps it only when the version given as "previous" is the one its informer
          // holds: after a retry that is not necessarily the version this write was made on.
          ResourceID id = ResourceID.fromResource(cr);
          context.eventSourceRetriever().getControllerEventSource()
              .handleRecentResourceUpdate(id, written, context.getPrimaryCache().get(id).orElse(cr));
        });
      }

      @Override
      public CloudRunEgressJobStatus copy(CloudRunEgressJobStatus status) {
        return StatusWrite.copy(context.getClient(), status);
      }
    };
  }

  /** The status write itself, shared by every Cluster that talks to an API server. */
  final class StatusWrite {
    private static final Logger LOG = LoggerFactory.getLogger(StatusWrite.class);

    private StatusWrite() {}

    static CloudRunEgressJobStatus copy(KubernetesClient client, CloudRunEgressJobStatus status) {
      return status == null ? new CloudRunEgressJobStatus() : client.getKubernetesSerialization().clone(status);
    }

    /**
     * Replaces the status whole (the operator owns all of it), guarded by the resourceVersion the
     * pass read, so a pass that worked from a stale status never lands its lists on the wrong
     * entries. A write refused with 409 because only the metadata or spec changed since (a label,
     * an annotation, a user's edit) is made again on the newest version: what the pass recorded,
     * the operations it started among it, must not be lost, and it is still true (after a spec
     * change its conditions keep the generation they were computed for, and the new generation
     * gets its own pass). If another writer changed the status, or the resource keeps changing,
     * nothing is written: returns false, and the pass runs again on the newest version.
     */
    static boolean write(KubernetesClient client, CloudRunEgressJob cr, CloudRunEgressJobStatus before, CloudRunEgressJobStatus status,
        Cluster cluster, java.util.function.Consumer<CloudRunEgressJob> onWritten) {
      CloudRunEgressJob read = cr;
      for (int attempt = 1; ; attempt++) {
        CloudRunEgressJob update = new CloudRunEgressJob();
        update.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(read.getMetadata().getName())
            .withNamespace(read.getMetadata().getNamespace())
            .withResourceVersion(read.getMetadata().getResourceVersion())
            .build());
        update.setSpec(read.getSpec());
        update.setStatus(status);
        try {
          onWritten.accept(client.resource(update).updateStatus());
          return true;
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
          if (attempt == 3) {
            LOG.debug("{}/{}: the resource keeps changing under the status write; the pass runs again", cr.getMetadata().getNamespace(), cr.getMetadata().getName());
            return false;
          }
        }
        CloudRunEgressJob newest = client.resource(cr).get();
        if (newest == null || !Objects.equals(cluster.copy(newest.getStatus()), before)) {
          LOG.debug("{}/{}: the status changed since this pass read it; the pass runs again", cr.getMetadata().getNamespace(), cr.getMetadata().getName());
          return false;
        }
        read = newest;
      }
    }
  }
}
