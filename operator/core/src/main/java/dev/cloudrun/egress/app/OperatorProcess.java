package dev.cloudrun.egress.app;

import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.reconciler.CloudRunEgressJobReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The operator as one process runs it, in a cluster or in local mode: the GCP clients, the
 * reconciler, java-operator-sdk (through {@link OperatorFactory}), one Prometheus registry for all
 * of their metrics and, given a port, the {@link MonitoringServer}.
 */
public final class OperatorProcess implements AutoCloseable {
  public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final GcpClients gcp;
  private final Operator operator;
  private final MonitoringServer monitoring;

  /**
   * @param gcpEndpoint where the GCP APIs are (the fake's endpoint); null means googleapis.com with
   *     Application Default Credentials
   * @param metricsPort where to serve /metrics, /healthz and /readyz (0: any free port); null: nowhere
   */
  public OperatorProcess(KubernetesClient client, String gcpEndpoint, OperatorFactory.Options options,
      CloudRunEgressJobReconciler.Settings settings, Integer metricsPort) {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    gcp = gcpEndpoint == null ? GcpClients.applicationDefault(registry) : GcpClients.forEndpoint(gcpEndpoint, registry);
    operator = OperatorFactory.create(client, CloudRunEgressJobReconciler.create(gcp, client, registry, settings), registry, options);
    // Served before the operator starts, so liveness answers while the informers sync.
    monitoring = metricsPort == null ? null : new MonitoringServer(metricsPort, registry, this::ready);
  }

  /** Returns once the informers have synced; with leader election, reconciling waits for the lease. */
  public void start() {
    operator.start();
  }

  /** Readiness: started, and every informer is watching (on a standby replica too, so it can take over at once). */
  public boolean ready() {
    return operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  public Integer metricsPort() {
    return monitoring == null ? null : monitoring.port();
  }

  /**
   * Stops reconciling and closes the clients. With leader election and exit on loss (production),
   * stopping gives up the lease, which makes java-operator-sdk exit the process.
   */
  @Override
  public void close() {
    operator.stop();
    if (monitoring != null) {
      monitoring.close();
    }
    gcp.close();
  }
}
