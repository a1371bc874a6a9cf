package dev.cloudrun.egress.gcp.fake;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/** Simulated duration of each kind of work, measured on the {@link FakeClock}. */
public final class Latencies {
  /** Defaults are proportional to what GCP takes. */
  public enum Kind {
    CONNECTOR_CREATE(Duration.ofSeconds(90)),
    CONNECTOR_UPDATE(Duration.ofSeconds(30)),
    CONNECTOR_DELETE(Duration.ofSeconds(60)),
    /** Any compute operation: routers, firewalls, addresses. */
    COMPUTE_OPERATION(Duration.ofSeconds(5)),
    /** Cloud Run job create, update and delete. */
    JOB_MUTATION(Duration.ofSeconds(3)),
    /** One attempt of one task of an execution. */
    TASK(Duration.ofSeconds(30));

    private final Duration byDefault;

    Kind(Duration byDefault) {
      this.byDefault = byDefault;
    }
  }

  private final Map<Kind, Duration> values = new EnumMap<>(Kind.class);

  Latencies() {
    for (Kind kind : Kind.values()) {
      values.put(kind, kind.byDefault);
    }
  }

  public synchronized Latencies set(Kind kind, Duration duration) {
    values.put(kind, duration);
    return this;
  }

  /** {@code setAll(Duration.ZERO)} makes every operation finish in the response that starts it. */
  public synchronized Latencies setAll(Duration duration) {
    values.replaceAll((kind, old) -> duration);
    return this;
  }

  public synchronized Duration get(Kind kind) {
    return values.get(kind);
  }
}
