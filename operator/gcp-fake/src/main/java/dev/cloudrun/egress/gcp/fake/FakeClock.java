package dev.cloudrun.egress.gcp.fake;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The fake's notion of "now". Simulated work (operations, tasks) finishes when this clock passes its
 * due time, so tests move time forward with {@link #advance} instead of sleeping.
 */
public final class FakeClock {
  private static final Instant DEFAULT_START = Instant.parse("2025-01-01T00:00:00Z");

  private final Instant origin;
  private final long realOriginNanos = System.nanoTime();
  private final double factor;
  private volatile Duration offset = Duration.ZERO;

  private FakeClock(Instant origin, double factor) {
    this.origin = origin;
    this.factor = factor;
  }

  /** Time stands still until {@link #advance} is called. For tests. */
  public static FakeClock manual() {
    return manual(DEFAULT_START);
  }

  public static FakeClock manual(Instant start) {
    return new FakeClock(start, 0);
  }

  /**
   * Time follows the wall clock, {@code factor} times faster (60 turns a 90 s connector create into
   * 1.5 s). For local mode and benchmarks.
   */
  public static FakeClock scaled(double factor) {
    if (factor <= 0) {
      throw new IllegalArgumentException("factor must be positive: " + factor);
    }
    return new FakeClock(Instant.now(), factor);
  }

  public Instant now() {
    long realNanos = factor == 0 ? 0 : (long) ((System.nanoTime() - realOriginNanos) * factor);
    return origin.plus(offset).plusNanos(realNanos);
  }

  /** This clock as a {@link Clock} (UTC), e.g. for code under test that takes one: it reads {@link #now}. */
  public Clock asClock() {
    FakeClock fake = this;
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a FakeClock reads UTC only");
      }

      @Override
      public Instant instant() {
        return fake.now();
      }
    };
  }

  /** Jumps forward; works in both modes. */
  public synchronized FakeClock advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("time only moves forward: " + duration);
    }
    offset = offset.plus(duration);
    return this;
  }
}
