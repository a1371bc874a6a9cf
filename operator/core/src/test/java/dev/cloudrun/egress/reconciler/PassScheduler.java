package dev.cloudrun.egress.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * java-operator-sdk's scheduling of the controller, in virtual time and one thread: one pending
 * pass per resource (an event runs it at once, a pass's reschedule replaces it), and a failed
 * pass retried as the reconciler's {@code @GradualRetry} says (2 s, doubling, at most 300 s,
 * reset by a pass that succeeds). Each pending pass remembers the delay it was scheduled with:
 * the world is settled when every resource waits a full resync interval or more.
 */
final class PassScheduler {
  static final Duration FIRST_RETRY = Duration.ofSeconds(2);
  static final Duration LONGEST_RETRY = Duration.ofSeconds(300);

  /** A pass of {@code resource} due {@code at}, scheduled {@code delay} ahead. */
  record Due(Instant at, long sequence, String resource, Duration delay) {}

  private final TreeSet<Due> queue = new TreeSet<>(Comparator.comparing(Due::at).thenComparingLong(Due::sequence));
  private final Map<String, Due> pending = new HashMap<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private final Duration resync;
  private long sequence;

  PassScheduler(Duration resync) {
    this.resync = resync;
  }

  /** An event (create, spec change, deletion): the resource is reconciled at once. */
  void now(String resource, Instant now) {
    schedule(resource, now, Duration.ZERO);
  }

  /**
   * The reschedule a pass asked for. The reconciler spreads resyncs by ±10% with a random no seed
   * controls; a delay within that band is taken as the resync interval itself, so a seed replays
   * the same history.
   */
  void after(String resource, Instant now, Duration delay) {
    failures.remove(resource);
    long band = resync.toMillis() / 10;
    boolean jitteredResync = Math.abs(delay.toMillis() - resync.toMillis()) <= band;
    schedule(resource, now, jitteredResync ? resync : delay);
  }

  /** The pass failed: retried with java-operator-sdk's backoff. */
  void failed(String resource, Instant now) {
    int attempt = failures.merge(resource, 1, Integer::sum);
    Duration delay = FIRST_RETRY.multipliedBy(1L << Math.min(attempt - 1, 20));
    schedule(resource, now, delay.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : delay);
  }

  /** The resource is gone. */
  void forget(String resource) {
    Due due = pending.remove(resource);
    if (due != null) {
      queue.remove(due);
    }
    failures.remove(resource);
  }

  /** A new operator process: no retry state, every resource reconciled at once (the informer's first list). */
  void restart(Collection<String> resources, Instant now) {
    queue.clear();
    pending.clear();
    failures.clear();
    resources.forEach(r -> now(r, now));
  }

  Optional<Due> pending(String resource) {
    return Optional.ofNullable(pending.get(resource));
  }

  Optional<Due> next() {
    return queue.isEmpty() ? Optional.empty() : Optional.of(queue.first());
  }

  Due take() {
    Due due = queue.pollFirst();
    pending.remove(due.resource());
    return due;
  }

  /** Every resource waits at least a resync interval: nothing is in progress. */
  boolean settled() {
    return queue.stream().allMatch(d -> d.delay().compareTo(resync) >= 0);
  }

  /** The resources not yet settled, with the delay each waits, for a "did not settle" report. */
  Map<String, Duration> unsettled() {
    Map<String, Duration> busy = new HashMap<>();
    queue.stream().filter(d -> d.delay().compareTo(resync) < 0).forEach(d -> busy.put(d.resource(), d.delay()));
    return busy;
  }

  private void schedule(String resource, Instant now, Duration delay) {
    forgetPending(resource);
    Due due = new Due(now.plus(delay), sequence++, resource, delay);
    queue.add(due);
    pending.put(resource, due);
  }

  private void forgetPending(String resource) {
    Due due = pending.remove(resource);
    if (due != null) {
      queue.remove(due);
    }
  }
}
