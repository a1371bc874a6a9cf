package dev.cloudrun.egress.app;

import dev.cloudrun.egress.reconciler.CloudRunEgressJobReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
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
   * @param lease the Lease replicas compete for; null means leader election is off
   */
  public record Options(Set<String> namespaces, int concurrency, Lease lease) {
    public static Options defaults() {
      return new Options(Set.of(), 10, null);
    }
  }

  /**
   * Leader election through the Lease {@link #LEASE_NAME} in {@code namespace}; {@code identity}
   * null means the pod name (HOSTNAME). {@code onLoss} runs when this replica stops leading, also
   * when it is stopped: the process decides there whether to exit (a lost lease) or not (a
   * shutdown already under way), which java-operator-sdk's own exit-on-loss cannot tell apart.
   */
  public record Lease(String namespace, String identity, Duration duration, Duration renewDeadline, Duration retryPeriod, Runnable onLoss) {
    public static Lease in(String namespace, Runnable onLoss) {
      return new Lease(namespace, null, LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
          LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE, LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, onLoss);
    }

    LeaderElectionConfiguration configuration() {
      LeaderCallbacks callbacks = onLoss == null ? null : new LeaderCallbacks(() -> { }, onLoss, leader -> { });
      return new LeaderElectionConfiguration(LEASE_NAME, namespace, duration, renewDeadline, retryPeriod, identity, callbacks, false);
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
          // On shutdown, passes in flight finish (their GCP call and status write) instead of being cut off.
          .withReconciliationTerminationTimeout(Duration.ofSeconds(10))
          // Per kind, not per resource: a timer histogram per resource is thousands of series.
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
      if (options.lease() != null) {
        o.withLeaderElectionConfiguration(options.lease().configuration());
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
