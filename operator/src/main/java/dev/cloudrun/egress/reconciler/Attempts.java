package dev.cloudrun.egress.reconciler;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this process remembers of the changes it tried: when each change GCP refused for good may
 * be tried again, and which creates it called. Status keeps only the refusal (its text does not
 * change while GCP answers the same), so a resource that waits on a refusal writes nothing; after
 * a restart each refused change is tried once at once.
 */
final class Attempts {
  private final Map<String, Instant> retryAt = new ConcurrentHashMap<>();
  private final Set<String> createsCalled = ConcurrentHashMap.newKeySet();
  private final Instant processStart;

  Attempts(Clock clock) {
    this.processStart = clock.instant();
  }

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

  /** The resource of {@code uid} is about to call GCP to create {@code target}. */
  void callingCreate(String uid, String target) {
    createsCalled.add(uid + "/" + target);
  }

  /**
   * Whether a create of {@code name} (or of what made it: a NAT's router) that the resource recorded
   * at {@code recorded} may have been called: by an earlier process, which this one cannot know, or
   * by this one.
   */
  boolean mayHaveCalledCreate(String uid, String name, Instant recorded) {
    return !recorded.isAfter(processStart) || createsCalled.stream()
        .anyMatch(called -> (uid + "/" + name).equals(called) || (uid + "/" + name).startsWith(called + "/"));
  }

  /** The resource is gone: its changes with it. */
  void forget(String uid) {
    retryAt.keySet().removeIf(change -> change.startsWith(uid + "/"));
    createsCalled.removeIf(change -> change.startsWith(uid + "/"));
  }
}
