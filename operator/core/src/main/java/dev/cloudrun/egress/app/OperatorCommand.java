package dev.cloudrun.egress.app;

import dev.cloudrun.egress.reconciler.CloudRunEgressJobReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What the container runs: the operator against the cluster it is in (or KUBECONFIG) and GCP. */
@Command(name = "operator", mixinStandardHelpOptions = true,
    description = "Runs the operator: watches CloudRunEgressJobs and reconciles them into GCP until stopped.")
final class OperatorCommand implements Callable<Integer> {
  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  @Mixin
  ReconcileOptions reconcile;

  @Option(names = "--namespaces", paramLabel = "NS,NS", split = ",", defaultValue = "${env:CREJ_NAMESPACES:-}",
      description = "Namespaces to watch, comma-separated; empty watches all. Env CREJ_NAMESPACES.")
  List<String> namespaces;

  @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "${env:CREJ_METRICS_PORT:-8080}",
      description = "Port of /metrics (Prometheus), /healthz (liveness) and /readyz (readiness). Env CREJ_METRICS_PORT. Default: ${DEFAULT-VALUE}.")
  int metricsPort;

  @Option(names = "--leader-election", paramLabel = "true|false", arity = "1", defaultValue = "${env:CREJ_LEADER_ELECTION:-true}",
      description = "Compete for the Lease " + OperatorFactory.LEASE_NAME + " so that one replica reconciles. Env CREJ_LEADER_ELECTION. Default: ${DEFAULT-VALUE}.")
  boolean leaderElection;

  @Option(names = "--lease-namespace", paramLabel = "NS", defaultValue = "${env:POD_NAMESPACE}",
      description = "Namespace of the Lease; default: env POD_NAMESPACE, else the namespace the pod runs in.")
  String leaseNamespace;

  @Option(names = "--gcp-endpoint", paramLabel = "URL", defaultValue = "${env:CREJ_GCP_ENDPOINT}",
      description = "Talk to a GCP emulator at this URL (REST, no credentials) instead of googleapis.com with Application Default"
          + " Credentials (Workload Identity). Env CREJ_GCP_ENDPOINT.")
  String gcpEndpoint;

  /** Empty: all namespaces. */
  Set<String> watchedNamespaces() {
    return Set.copyOf(namespaces.stream().map(String::trim).filter(n -> !n.isEmpty()).toList());
  }

  @Override
  public Integer call() throws InterruptedException {
    Logging.configure(reconcile.logFormat, "INFO");
    Logger log = LoggerFactory.getLogger(OperatorCommand.class);
    KubernetesClient client = new KubernetesClientBuilder().build();
    OperatorFactory.Lease lease = null;
    AtomicBoolean stopping = new AtomicBoolean();
    if (leaderElection) {
      String namespace = leaseNamespace != null && !leaseNamespace.isBlank() ? leaseNamespace : client.getNamespace();
      if (namespace == null) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "Leader election needs the Lease's namespace: set --lease-namespace or POD_NAMESPACE, or --leader-election=false.");
      }
      // Another replica took the lease: exit, so that two never reconcile at once. Not while stopping.
      lease = OperatorFactory.Lease.in(namespace, () -> {
        if (!stopping.get()) {
          log.error("Lost the Lease {}/{}; exiting so that the new leader reconciles alone.", namespace, OperatorFactory.LEASE_NAME);
          System.exit(1);
        }
      });
    }
    String endpoint = gcpEndpoint;
    if (endpoint != null) {
      log.warn("GCP is the emulator at {}: nothing reaches Google.", endpoint);
    }
    Set<String> watched = watchedNamespaces();
    CloudRunEgressJobReconciler.Settings settings = reconcile.settings(CloudRunEgressJobReconciler.Settings.defaults().pollInterval());
    OperatorProcess process = new OperatorProcess(client, endpoint,
        new OperatorFactory.Options(watched, reconcile.concurrency, lease), settings, metricsPort);
    log.info("Watching {}; {} concurrent reconciles; resync every {}; GCP writes {}; leader election {}; metrics on :{}",
        watched.isEmpty() ? "all namespaces" : "namespaces " + String.join(",", watched), reconcile.concurrency, GoDuration.format(reconcile.resyncInterval),
        reconcile.gcpWritesPerSecond == 0 ? "unlimited" : "at most " + reconcile.gcpWritesPerSecond + "/s",
        lease == null ? "off" : "on (Lease " + lease.namespace() + "/" + OperatorFactory.LEASE_NAME + ")", process.metricsPort());
    // SIGTERM: passes in flight finish, the lease is given up for the next replica, the clients close.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping.set(true);
      process.close();
    }, "shutdown"));
    process.start();
    new CountDownLatch(1).await(); // until the process is stopped
    return 0;
  }
}
