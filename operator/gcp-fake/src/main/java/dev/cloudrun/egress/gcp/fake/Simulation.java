package dev.cloudrun.egress.gcp.fake;

import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The fake's single lock and its queue of future state changes. There are no background threads:
 * whoever takes the lock applies every change whose time has come on the clock, in time order, so
 * state read at time t is exactly the state of time t.
 */
final class Simulation {
  private record Transition(Instant at, long sequence, Runnable change) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final PriorityQueue<Transition> pending =
      new PriorityQueue<>(Comparator.comparing(Transition::at).thenComparingLong(Transition::sequence));
  private final FakeClock clock;
  private final Latencies latencies;
  private long sequence;

  Simulation(FakeClock clock, Latencies latencies) {
    this.clock = clock;
    this.latencies = latencies;
  }

  <T> T locked(Supplier<T> work) {
    lock.lock();
    try {
      // Only the outermost caller settles: a handler that reads through another API must not see
      // time move in the middle of its work.
      if (lock.getHoldCount() == 1) {
        settle();
      }
      return work.get();
    } finally {
      lock.unlock();
    }
  }

  void locked(Runnable work) {
    locked(() -> {
      work.run();
      return null;
    });
  }

  Instant now() {
    return clock.now();
  }

  /** Applies {@code change} once the latency of {@code kind} has passed; at once if it is zero. */
  Instant after(Latencies.Kind kind, Runnable change) {
    Instant at = now().plus(latencies.get(kind));
    at(at, change);
    return at;
  }

  void at(Instant at, Runnable change) {
    if (at.isAfter(now())) {
      pending.add(new Transition(at, sequence++, change));
    } else {
      change.run();
    }
  }

  /**
   * Like {@link #at}, but a change already due is not run in place: it waits in the queue, so one
   * made while settling runs later in the same settle, in time order with every other change. A
   * chain of changes that each schedule the next (a cron job behind a jump of the clock) then
   * loops here instead of recursing.
   */
  void enqueue(Instant at, Runnable change) {
    pending.add(new Transition(at, sequence++, change));
  }

  static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
  }

  static String newId() {
    return UUID.randomUUID().toString();
  }

  private void settle() {
    Instant now = clock.now();
    while (!pending.isEmpty() && !pending.peek().at().isAfter(now)) {
      pending.poll().change().run();
    }
  }
}
