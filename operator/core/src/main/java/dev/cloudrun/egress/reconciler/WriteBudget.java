package dev.cloudrun.egress.reconciler;

import com.google.common.util.concurrent.RateLimiter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A process-wide budget for GCP mutations (JOSDK rate-limits per resource only). Reads are not
 * counted: the inventory already bounds them by listing.
 *
 * <p>Resources already under way go first: one that has made a write waits for its turn, one that
 * has not starts only when a write is free at once. Under a backlog (a thousand resources applied
 * together) the budget finishes what it started before starting more, so resources become Ready
 * one after another instead of all together at the end.
 */
final class WriteBudget {
  private final RateLimiter limiter;
  /** The uids of resources that have written and still have changes to make. */
  private final Set<String> underWay = ConcurrentHashMap.newKeySet();

  private WriteBudget(RateLimiter limiter) {
    this.limiter = limiter;
  }

  /** At most {@code writes} GCP mutations a second across the process; 0 or less: unlimited. */
  static WriteBudget perSecond(double writes) {
    return new WriteBudget(writes > 0 ? RateLimiter.create(writes) : null);
  }

  /**
   * Takes one write for the resource of {@code uid}: waits for it when the resource is under way,
   * and otherwise takes it only if one is free now. False: the write is not to be made this pass.
   */
  boolean acquire(String uid) {
    if (limiter == null) {
      return true;
    }
    if (underWay.contains(uid)) {
      limiter.acquire();
      return true;
    }
    if (!limiter.tryAcquire()) {
      return false;
    }
    underWay.add(uid);
    return true;
  }

  /** The resource has no change left to make (or is gone): its next write waits behind those under way. */
  void settled(String uid) {
    underWay.remove(uid);
  }
}
