package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FakeClockTest {

  @Test
  void aManualClockMovesOnlyWhenAdvanced() {
    FakeClock clock = FakeClock.manual(Instant.parse("2025-06-01T12:00:00Z"));

    assertThat(clock.now()).isEqualTo(Instant.parse("2025-06-01T12:00:00Z"));
    clock.advance(Duration.ofSeconds(90));
    assertThat(clock.now()).isEqualTo(Instant.parse("2025-06-01T12:01:30Z"));
    assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aScaledClockRunsFasterThanTheWallClockAndCanStillJump() {
    FakeClock clock = FakeClock.scaled(1000);
    Instant before = clock.now();
    long realStart = System.nanoTime();
    while (System.nanoTime() - realStart < 2_000_000) {
      Thread.onSpinWait();
    }

    assertThat(Duration.between(before, clock.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    Instant jumped = clock.advance(Duration.ofHours(1)).now();
    assertThat(Duration.between(before, jumped)).isGreaterThan(Duration.ofHours(1));
    assertThatThrownBy(() -> FakeClock.scaled(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
