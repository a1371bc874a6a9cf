package dev.cloudrun.egress.api.v1alpha1;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Durations as Kubernetes tools write them (30s, 5m, 1h30m): the spec's timeouts and intervals,
 * the resync-interval annotation and the operator's flags all use this one notation.
 */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("^(\\d+h)?(\\d+m)?(\\d+s)?$");

  private Durations() {}

  /** The duration written, or empty when the text is not one. */
  public static Optional<Duration> parse(String text) {
    if (text == null || text.isEmpty() || !FORMAT.matcher(text).matches()) {
      return Optional.empty();
    }
    return Optional.of(Duration.parse("PT" + text.toUpperCase()));
  }

  /** The same notation back: 1h30m, and 90 s as 1m30s. */
  public static String format(Duration duration) {
    return duration.toString().substring(2).toLowerCase();
  }
}
