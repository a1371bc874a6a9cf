package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void readsAndWritesTheKubernetesNotation() {
    assertThat(Durations.parse("1h30m")).contains(Duration.ofMinutes(90));
    assertThat(Durations.parse("10s")).contains(Duration.ofSeconds(10));
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
  }

  @Test
  void refusesWhatIsNotADuration() {
    for (String text : new String[] {"", "5 minutes", "PT5M", "1d", "-5m", "5m1h"}) {
      assertThat(Durations.parse(text)).as(text).isEmpty();
    }
    assertThat(Durations.parse(null)).isEmpty();
  }
}
