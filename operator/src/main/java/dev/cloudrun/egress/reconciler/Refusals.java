package dev.cloudrun.egress.reconciler;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each change GCP refused for good may be tried again, in this process's memory. Status keeps
 * only the refusal (its text does not change while GCP answers the same), so a resource that waits
 * on a refusal writes nothing; after a restart each refused change is tried once at once.
 */
final class Refusals {
  private final Map<String, Instant> retryAt = new ConcurrentHashMap<>();

  /**
   * The change (resource uid, part, target) is not tried again before {@code at}. The resource's
   * other refused changes due sooner wait until then too: retried together, they bring the resource
   * back once per error ceiling, not once for each.
   */
  void refused(String change, Instant at) {
    String resource = change.substring(0, change.indexOf('/') + 1);
    retryAt.replaceAll((other, otherAt) -> other.startsWith(resource) && otherAt.isBefore(at) ? at : otherAt);
    retryAt.put(change, at);
  }

  /** The change started: nothing holds it back any more. */
  void started(String change) {
    retryAt.remove(change);
  }

  /** When the change may be tried again, if it waits. */
  Optional<Instant> retryAt(String change) {
    return Optional.ofNullable(retryAt.get(change));
  }

  /** The resource is gone: its changes with it. */
  void forget(String uid) {
    retryAt.keySet().removeIf(change -> change.startsWith(uid + "/"));
  }
}
