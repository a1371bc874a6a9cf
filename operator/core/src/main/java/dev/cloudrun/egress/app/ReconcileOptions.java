package dev.cloudrun.egress.app;

import dev.cloudrun.egress.reconciler.CloudRunEgressJobReconciler;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options the operator and local mode share; each has an environment variable for the container. */
public final class ReconcileOptions {
  @Option(names = "--resync-interval", paramLabel = "DURATION", defaultValue = "${env:CREJ_RESYNC_INTERVAL:-5m}", converter = GoDuration.class,
      description = "How old GCP observations may get before a resource is checked again when nothing changes: drift is found within it."
          + " Env CREJ_RESYNC_INTERVAL. Default: ${DEFAULT-VALUE}.")
  public Duration resyncInterval;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "${env:CREJ_CONCURRENCY:-10}",
      description = "Resources reconciled at once. Env CREJ_CONCURRENCY. Default: ${DEFAULT-VALUE}.")
  public int concurrency;

  @Option(names = "--gcp-writes-per-second", paramLabel = "N", defaultValue = "${env:CREJ_GCP_WRITES_PER_SECOND:-10}",
      description = "Budget of GCP mutations per second for the whole process, beside GCP's own quotas; 0 is unlimited."
          + " Env CREJ_GCP_WRITES_PER_SECOND. Default: ${DEFAULT-VALUE}.")
  public double gcpWritesPerSecond;

  @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "${env:CREJ_LOG_FORMAT:-text}",
      description = "text, or json (one object per line, fields as Cloud Logging reads them). Env CREJ_LOG_FORMAT. Default: ${DEFAULT-VALUE}.")
  public Logging.Format logFormat;

  /** The reconciler's settings: these options, with operations polled every {@code pollInterval}. */
  public CloudRunEgressJobReconciler.Settings settings(Duration pollInterval) {
    var defaults = CloudRunEgressJobReconciler.Settings.defaults();
    return new CloudRunEgressJobReconciler.Settings(resyncInterval, pollInterval, defaults.errorCeiling(), gcpWritesPerSecond);
  }
}
