package dev.cloudrun.egress.app;

import java.time.Duration;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Durations as Kubernetes tools write them: 30s, 5m, 1h30m. */
final class GoDuration implements CommandLine.ITypeConverter<Duration> {
  private static final Pattern FORMAT = Pattern.compile("^(\\d+h)?(\\d+m)?(\\d+s)?$");

  @Override
  public Duration convert(String value) {
    if (value.isEmpty() || !FORMAT.matcher(value).matches()) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: write it like 30s, 5m or 1h30m");
    }
    return Duration.parse("PT" + value.toUpperCase());
  }

  /** The same notation back: 1m, 1h30m, 90s → 1m30s. */
  static String format(Duration duration) {
    return duration.toString().substring(2).toLowerCase();
  }
}
