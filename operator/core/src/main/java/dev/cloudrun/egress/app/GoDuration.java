package dev.cloudrun.egress.app;

import dev.cloudrun.egress.api.v1alpha1.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** Flags' durations in the notation of the spec ({@link Durations}): 30s, 5m, 1h30m. */
public final class GoDuration implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return Durations.parse(value).orElseThrow(() ->
        new CommandLine.TypeConversionException("'" + value + "' is not a duration: write it like 30s, 5m or 1h30m"));
  }

  public static String format(Duration duration) {
    return Durations.format(duration);
  }
}
