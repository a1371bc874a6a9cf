package dev.cloudrun.egress.reconciler;

import java.time.Duration;
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
  /** When this process called each create (resource uid / target) that GCP did not refuse. */
  private final Map<String, Instant> createsCalled = new ConcurrentHashMap<>();
  /**
   * Per resource, this process's first pass over it and the creates its ledger already recorded
   * then: those were called, if at all, by another process (one that died, or the leader a standby
   * took over from), no later than that pass.
   */
  private final Map<String, Inherited> inherited = new ConcurrentHashMap<>();

  private record Inherited(Instant firstPass, Set<String> creating) {}

  /** A pass over the resource of {@code uid} begins at {@code now}, with these Creating entries in its ledger. */
  void passing(String uid, Instant now, Set<String> creating) {
    inherited.computeIfAbsent(uid, u -> new Inherited(now, Set.copyOf(creating)));
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

  /** The resource of {@code uid} calls GCP to create {@code target} at {@code now}. */
  void callingCreate(String uid, String target, Instant now) {
    createsCalled.put(uid + "/" + target, now);
  }

  /** GCP refused that create: nothing is on its way. */
  void createRefused(String uid, String target) {
    createsCalled.remove(uid + "/" + target);
  }

  /**
   * Until when a create of {@code name} (or of what made it: a NAT's router), recorded in the
   * resource's ledger, may still be running although its object is not found: {@code within} after
   * this process called it, or after this process's first pass over the resource when an earlier
   * process recorded it. Empty: no create of it is on its way.
   */
  Optional<Instant> createMayRunUntil(String uid, String name, Duration within) {
    Optional<Instant> called = createsCalled.entrySet().stream()
        .filter(e -> (uid + "/" + name).equals(e.getKey()) || (uid + "/" + name).startsWith(e.getKey() + "/"))
        .map(Map.Entry::getValue).max(Instant::compareTo);
    Inherited before = inherited.get(uid);
    if (called.isEmpty() && before != null && before.creating().contains(name)) {
      called = Optional.of(before.firstPass());
    }
    return called.map(at -> at.plus(within));
  }

  /** The user says the cause of the refusals is fixed: refused changes are tried now. */
  void forgetRefusals(String uid) {
    retryAt.keySet().removeIf(change -> change.startsWith(uid + "/"));
  }

  /** The resource is gone: its changes with it. */
  void forget(String uid) {
    forgetRefusals(uid);
    createsCalled.keySet().removeIf(change -> change.startsWith(uid + "/"));
    inherited.remove(uid);
  }
}
