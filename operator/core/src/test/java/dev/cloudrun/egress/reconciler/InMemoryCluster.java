package dev.cloudrun.egress.reconciler;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The Kubernetes API of the CloudRunEgressJobs, in memory, as kube-apiserver behaves for them:
 * every write bumps the resourceVersion, a spec change bumps the generation, a status write on a
 * stale resourceVersion is refused (409), and a delete only sets the deletionTimestamp while the
 * operator's finalizer is there. The status write follows {@link Cluster.StatusWrite#write}'s
 * contract: refused because only metadata or spec changed since the pass read the resource, it
 * is made again on the newest version (up to three attempts); refused because the status changed,
 * it returns false. A stored object is never changed (a write stores a changed copy), so what is
 * handed out can be shared, as java-operator-sdk shares its informer cache's objects with passes.
 */
final class InMemoryCluster implements Cluster {
  static final String FINALIZER = "cloudrunegressjobs.egress.cloudrun.dev/finalizer";
  static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** What happens to the nth status write from now. */
  enum Interference {
    /** Another writer changes the status first: the write is refused with 409 and the status it started from is gone. */
    LOST_TO_ANOTHER_WRITER,
    /** The operator process dies instead of writing: {@link ProcessDied} is thrown. */
    PROCESS_DIES
  }

  /** Thrown by a status write when the process died before it: whatever the pass did in GCP is not recorded. */
  static final class ProcessDied extends RuntimeException {
    ProcessDied() {
      super("the operator process died before its status write", null, false, false);
    }
  }

  private final Clock clock;
  private final String uidSeed;
  private final Map<String, CloudRunEgressJob> objects = new TreeMap<>();
  private final Map<String, Long> statusWrites = new HashMap<>();
  private long resourceVersion;
  private long uids;
  private Interference interference;
  private int interferenceCountdown;
  private long lostWrites;

  InMemoryCluster(Clock clock, long seed) {
    this.clock = clock;
    this.uidSeed = Long.toString(seed);
  }

  static String key(CloudRunEgressJob cr) {
    return cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName();
  }

  /** The stored object, not to be changed. */
  Optional<CloudRunEgressJob> get(String key) {
    return Optional.ofNullable(objects.get(key));
  }

  List<String> keys() {
    return new ArrayList<>(objects.keySet());
  }

  /** Stores a new resource as the API server would after admission, with java-operator-sdk's finalizer already added. */
  CloudRunEgressJob create(CloudRunEgressJob cr) {
    CloudRunEgressJob stored = JSON.clone(cr);
    var meta = stored.getMetadata();
    meta.setUid(UUID.nameUUIDFromBytes((uidSeed + "/" + ++uids).getBytes(StandardCharsets.UTF_8)).toString());
    meta.setCreationTimestamp(clock.instant().toString());
    meta.setGeneration(1L);
    meta.setResourceVersion(Long.toString(++resourceVersion));
    meta.setFinalizers(new ArrayList<>(List.of(FINALIZER)));
    meta.setDeletionTimestamp(null);
    stored.setStatus(null);
    objects.put(key(stored), stored);
    return stored;
  }

  /** Replaces the spec; true when it changed (a new generation, which triggers a reconcile). */
  boolean updateSpec(String key, CloudRunEgressJob updated) {
    if (Objects.equals(objects.get(key).getSpec(), updated.getSpec())) {
      return false;
    }
    CloudRunEgressJob stored = changing(key);
    stored.setSpec(JSON.clone(updated.getSpec()));
    stored.getMetadata().setGeneration(stored.getMetadata().getGeneration() + 1);
    stored.getMetadata().setResourceVersion(Long.toString(++resourceVersion));
    return true;
  }

  /** {@code kubectl annotate --overwrite}: metadata only, no new generation. */
  void annotate(String key, String name, String value) {
    CloudRunEgressJob stored = changing(key);
    if (stored.getMetadata().getAnnotations() == null) {
      stored.getMetadata().setAnnotations(new java.util.HashMap<>());
    }
    stored.getMetadata().getAnnotations().put(name, value);
    stored.getMetadata().setResourceVersion(Long.toString(++resourceVersion));
  }

  /** {@code kubectl delete}: the finalizer keeps the resource until the operator removes it. */
  void requestDeletion(String key) {
    if (objects.get(key).getMetadata().getDeletionTimestamp() == null) {
      CloudRunEgressJob stored = changing(key);
      stored.getMetadata().setDeletionTimestamp(clock.instant().toString());
      stored.getMetadata().setResourceVersion(Long.toString(++resourceVersion));
    }
  }

  /** The operator removed its finalizer: the resource is gone. */
  void removeFinalizer(String key) {
    objects.remove(key);
  }

  /** The {@code nth} status write from now (1: the next one) meets {@code what}. */
  void interfere(Interference what, int nth) {
    interference = what;
    interferenceCountdown = nth;
  }

  /** No more interference; returns how many status writes were still to come before it (0: it happened). */
  int stopInterfering() {
    int left = interference == null ? 0 : interferenceCountdown;
    interference = null;
    return left;
  }

  /** Status writes that lost to another writer. */
  long lostWrites() {
    return lostWrites;
  }

  long statusWrites() {
    return statusWrites.values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public Collection<CloudRunEgressJob> watched() {
    return List.copyOf(objects.values());
  }

  @Override
  public List<CloudRunEgressJob> everywhere() {
    return List.copyOf(objects.values());
  }

  @Override
  public CloudRunEgressJobStatus copy(CloudRunEgressJobStatus status) {
    return status == null ? new CloudRunEgressJobStatus() : deepCopy(status, CloudRunEgressJobStatus.class);
  }

  /** A deep copy through Jackson's token buffer (what a JSON round trip does, without the text). */
  static <T> T deepCopy(T value, Class<T> type) {
    try {
      TokenBuffer tokens = new TokenBuffer(MAPPER, false);
      MAPPER.writeValue(tokens, value);
      return MAPPER.readValue(tokens.asParser(), type);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public boolean writeStatus(CloudRunEgressJob cr, CloudRunEgressJobStatus before, CloudRunEgressJobStatus status) {
    String key = key(cr);
    interfereWith(key);
    CloudRunEgressJob read = cr;
    for (int attempt = 1; ; attempt++) {
      CloudRunEgressJob stored = objects.get(key);
      if (stored == null) {
        throw new io.fabric8.kubernetes.client.KubernetesClientException("cloudrunegressjobs " + key + " not found", 404, null);
      }
      if (stored.getMetadata().getResourceVersion().equals(read.getMetadata().getResourceVersion())) {
        stored = changing(key);
        stored.setStatus(deepCopy(status, CloudRunEgressJobStatus.class));
        stored.getMetadata().setResourceVersion(Long.toString(++resourceVersion));
        statusWrites.merge(key, 1L, Long::sum);
        return true;
      }
      // 409: made again on the newest version only when the status is still the one the pass started from.
      if (attempt == 3 || !Objects.equals(copy(stored.getStatus()), before)) {
        return false;
      }
      read = stored;
    }
  }

  /**
   * A new version of the stored object that replaces it, for a write to change: its metadata is a
   * copy, its spec and status the same objects, which a write replaces rather than changes.
   */
  private CloudRunEgressJob changing(String key) {
    CloudRunEgressJob old = objects.get(key);
    CloudRunEgressJob next = new CloudRunEgressJob();
    next.setMetadata(JSON.clone(old.getMetadata()));
    next.setSpec(old.getSpec());
    next.setStatus(old.getStatus());
    objects.put(key, next);
    return next;
  }

  private void interfereWith(String key) {
    if (interference == null || --interferenceCountdown > 0) {
      return;
    }
    Interference what = interference;
    interference = null;
    if (what == Interference.PROCESS_DIES) {
      throw new ProcessDied();
    }
    lostWrites++;
    CloudRunEgressJob stored = changing(key);
    CloudRunEgressJobStatus other = copy(stored.getStatus());
    other.setLastForcedReconcile("written by another writer at resourceVersion " + resourceVersion);
    stored.setStatus(other);
    stored.getMetadata().setResourceVersion(Long.toString(++resourceVersion));
  }
}
