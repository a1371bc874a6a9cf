package dev.cloudrun.egress.app;

import dev.cloudrun.egress.reconciler.CloudRunEgressJobReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;

/**
 * Builds the java-operator-sdk Operator exactly as the deployed process runs it, so tests and local
 * mode exercise the same configuration as a cluster.
 */
public final class OperatorFactory {
  /** The Lease replicas compete for when leader election is on. */
  public static final String LEASE_NAME = "cloudrun-egress-operator";

  /**
   * @param namespaces namespaces to watch; empty means all
   * @param leaseNamespace where the Lease lives; null means leader election is off
   * @param exitOnStopLeading end the process when it stops leading, so a replica that lost its
   *     Lease cannot go on reconciling beside the new leader; off only where the operator is
   *     stopped inside a JVM that must go on (tests), as stopping also stops leading
   */
  public record Options(Set<String> namespaces, int concurrency, String leaseNamespace, boolean exitOnStopLeading) {
    public Options(Set<String> namespaces, int concurrency, String leaseNamespace) {
      this(namespaces, concurrency, leaseNamespace, true);
    }

    public static Options defaults() {
      return new Options(Set.of(), 10, null);
    }
  }

  private OperatorFactory() {}

  /** A registered, not yet started operator. The caller owns the client and closes it. */
  public static Operator create(KubernetesClient client, CloudRunEgressJobReconciler reconciler, MeterRegistry registry, Options options) {
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withCloseClientOnStop(false)
          // Status and finalizers are written with plain updates: the operator owns status whole.
          .withUseSSAToPatchPrimaryResource(false)
          .withConcurrentReconciliationThreads(options.concurrency())
          .withMetrics(MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(registry).build());
      if (options.leaseNamespace() != null) {
        o.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(LEASE_NAME)
            .withLeaseNamespace(options.leaseNamespace())
            .withExitOnStopLeading(options.exitOnStopLeading())
            .build());
      }
    });
    operator.register(reconciler, c -> {
      if (!options.namespaces().isEmpty()) {
        c.settingNamespaces(options.namespaces());
      }
    });
    return operator;
  }
}
