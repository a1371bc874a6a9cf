package dev.cloudrun.egress.reconciler;

import com.google.common.util.concurrent.RateLimiter;

/**
 * A process-wide budget for GCP mutations (JOSDK rate-limits per resource only). Reads are not
 * counted: the inventory already bounds them by listing.
 */
final class WriteBudget {
  private final RateLimiter limiter;

  private WriteBudget(RateLimiter limiter) {
    this.limiter = limiter;
  }

  /** At most {@code writes} GCP mutations a second across the process; 0 or less: unlimited. */
  static WriteBudget perSecond(double writes) {
    return new WriteBudget(writes > 0 ? RateLimiter.create(writes) : null);
  }

  /** Blocks until the budget allows one more write. */
  void acquire() {
    if (limiter != null) {
      limiter.acquire();
    }
  }
}
