package dev.cloudrun.egress.local;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.app.Expectation;
import dev.cloudrun.egress.app.GoDuration;
import dev.cloudrun.egress.app.Logging;
import dev.cloudrun.egress.app.OperatorFactory;
import dev.cloudrun.egress.app.OperatorProcess;
import dev.cloudrun.egress.app.ReconcileOptions;
import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.fake.EmulatorCommand;
import dev.cloudrun.egress.gcp.fake.FakeClock;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.SeedWorld;
import dev.cloudrun.egress.validation.CrdCatalog;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The README's run command: the operator on this machine against an embedded Kubernetes API
 * (fabric8's mock server in CRUD mode) and the in-process GCP fake, or a real cluster and real GCP.
 * It applies the CloudRunEgressJobs given, shows them progress, and reports what a user would see.
 */
@Command(name = "run-local", mixinStandardHelpOptions = true, subcommands = EmulatorCommand.class,
    description = {
        "Runs the operator on this machine, applies the CloudRunEgressJobs in FILE|DIR (default: examples), shows their progress,"
            + " then what `kubectl get crej` and GCP would show.",
        "Every document is first judged as an API server with the CRDs of crds/ judges `kubectl apply` (strict field validation):"
            + " if it would refuse any, local mode prints what kubectl would print, applies nothing and exits 2.",
        "Runs the resources ask for (spec.execution.runToken, the run-requested-at annotation) are awaited until they end; with the fake"
            + " GCP, each schedule's next firing is brought forward by moving the fake's clock to it (--no-fire-schedules to leave it).",
        "Exits 1 if a resource does not reach what it should within --timeout: Ready, or the reason in its annotation "
            + Expectation.ANNOTATION + "; and each run asked for, or fired, started and seen to end."})
final class LocalCommand implements Callable<Integer> {
  /** The CloudRunEgressJob CRD as crds/ holds it, which local mode installs in its embedded API. */
  static final String CRD_RESOURCE = CrdCatalog.COMMITTED.get(0);
  private static final String CRD_NAME = "cloudrunegressjobs.egress.cloudrun.dev";

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  /** ./run-local's entry point. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new LocalCommand()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Mixin
  ReconcileOptions reconcile;

  @Parameters(paramLabel = "FILE|DIR", defaultValue = "examples",
      description = "YAML files, or directories whose *.yaml files are read (not their subdirectories). Default: ${DEFAULT-VALUE}.")
  List<Path> paths;

  @Option(names = "--kubeconfig", paramLabel = "FILE",
      description = "Use this cluster instead of the embedded Kubernetes API. Its CRD must be installed (kubectl apply -f crds/).")
  Path kubeconfig;

  @Option(names = "--gcp", paramLabel = "fake|real", defaultValue = "fake",
      description = "fake: the in-process fake (default). real: GCP with Application Default Credentials (gcloud auth application-default login).")
  GcpMode gcp;

  @Option(names = "--speed", paramLabel = "FACTOR", defaultValue = "60",
      description = "How much faster than the wall clock the fake GCP works: at 60, a connector takes 1.5 s instead of 90 s. Default: ${DEFAULT-VALUE}.")
  double speed;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = GoDuration.class,
      description = "How long to wait for every resource to settle. Default: 1m with the fake GCP, 20m with the real one.")
  Duration timeout;

  @Option(names = "--fire-schedules", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "With the fake GCP: once the resources are Ready and their runs ended, move the fake's clock to each schedule's next"
          + " cron time (at most " + LocalRuns.MAX_JUMP_DAYS + " days ahead), so Cloud Scheduler fires it and the report shows the scheduled run. Default: on.")
  boolean fireSchedules;

  @Option(names = {"-v", "--verbose"}, description = "Show the operator's log (info and up) beside the progress.")
  boolean verbose;

  @Override
  public Integer call() throws InterruptedException {
    Logging.configure(reconcile.logFormat, verbose ? "INFO" : "WARN");
    PrintWriter out = spec.commandLine().getOut();
    if (speed <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--speed must be positive, not " + speed);
    }
    List<ResourceFiles.Resource> resources;
    try {
      resources = ResourceFiles.read(paths, out);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    } catch (ResourceFiles.Refused refused) {
      // Before anything starts: a cluster would refuse these, so nothing is applied or reconciled.
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      refused.refusals().forEach(err::println);
      err.printf("%nNothing was applied: an API server with the CRDs of crds/ would refuse %d of the %d documents read (as kubectl apply"
          + " sends them, with strict field validation). Correct them and run again.%n", refused.refusals().size(), refused.documents());
      err.flush();
      return 2;
    }
    if (resources.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "No CloudRunEgressJob in " + paths + ".");
    }
    try (Kubernetes kubernetes = kubeconfig == null ? Kubernetes.embedded(out) : Kubernetes.fromKubeconfig(kubeconfig);
        Gcp gcpWorld = gcp == GcpMode.fake ? Gcp.fake(speed, out) : Gcp.real(out)) {
      if (kubeconfig != null && !kubernetes.hasCrd()) {
        spec.commandLine().getErr().println("The CloudRunEgressJob CRD is not installed in the cluster of " + kubeconfig
            + "; install it with: kubectl apply -f crds/ (or the Helm chart), then run again.");
        return 2;
      }
      Duration pollInterval = gcp == GcpMode.fake ? Duration.ofMillis(Math.max(50, (long) (5000 / speed))) : Duration.ofSeconds(5);
      try (OperatorProcess process = new OperatorProcess(kubernetes.client, gcpWorld.endpoint(),
          new OperatorFactory.Options(Set.of(), reconcile.concurrency, null), reconcile.settings(pollInterval), null)) {
        process.start();
        List<CloudRunEgressJob> applied = apply(kubernetes.client, resources, out);
        Duration limit = timeout != null ? timeout : gcp == GcpMode.fake ? Duration.ofMinutes(1) : Duration.ofMinutes(20);
        out.printf("%nReconciling (the fake's clock runs %sx; at most %s):%n", gcp == GcpMode.fake ? fmt(speed) : "1", GoDuration.format(limit));
        Progress progress = new Progress(kubernetes.client, applied, out);
        List<CloudRunEgressJob> settled = progress.awaitExpectations(limit);
        LocalRuns runs = new LocalRuns(kubernetes.client, out);
        boolean ready = settled.size() == applied.size() && settled.stream().allMatch(cr -> Expectation.of(cr).metBy(cr));
        if (ready) {
          // Runs wait for the job, and a schedule is created once the job is ready: both come after Ready.
          settled = runs.awaitAskedRuns(progress, settled, limit);
          if (gcpWorld.fake != null && fireSchedules && settled.stream().allMatch(LocalRuns::askedRunsEnded)) {
            settled = runs.fireSchedules(gcpWorld.fake, progress, settled, limit);
          }
        }
        try (GcpClients reader = gcpWorld.endpoint() == null
            ? GcpClients.applicationDefault(new SimpleMeterRegistry()) : GcpClients.forEndpoint(gcpWorld.endpoint())) {
          new LocalReport(out, reader).print(settled);
        }
        boolean allMet = Expectation.summarize(settled, out) && settled.size() == resources.size();
        allMet &= runs.summarize(settled);
        if (kubeconfig != null && gcp == GcpMode.fake) {
          // Their GCP objects lived only in the fake: leave the cluster as it was.
          Progress.deleteAndAwait(kubernetes.client, applied, out);
        }
        out.flush();
        return allMet ? 0 : 1;
      }
    }
  }

  /**
   * Creates each resource; one that already exists (in a real cluster, perhaps managed for real) is
   * left alone and not touched at the end either. Reports what the API server refused.
   */
  private static List<CloudRunEgressJob> apply(KubernetesClient client, List<ResourceFiles.Resource> resources, PrintWriter out) {
    List<CloudRunEgressJob> applied = new ArrayList<>();
    for (ResourceFiles.Resource resource : resources) {
      CloudRunEgressJob cr = resource.cr();
      String name = cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName();
      try {
        applied.add(client.resource(cr).create());
        out.printf("  applied %-34s from %s%s%n", name, resource.file(),
            Expectation.of(cr).reason() == null ? "" : " (expected not Ready: " + Expectation.of(cr).reason() + ")");
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          out.printf("  skipped %-34s from %s: it already exists there, and local mode leaves it alone%n", name, resource.file());
          continue;
        }
        out.printf("  refused %-34s from %s: %s%n", name, resource.file(),
            e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage());
      }
    }
    out.flush();
    return applied;
  }

  private static String fmt(double value) {
    return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
  }

  /** The Kubernetes API: embedded (with the CRD installed) or the cluster of a kubeconfig. */
  private static final class Kubernetes implements AutoCloseable {
    final KubernetesClient client;
    private final KubernetesMockServer server;

    private Kubernetes(KubernetesClient client, KubernetesMockServer server) {
      this.client = client;
      this.server = server;
    }

    static Kubernetes embedded(PrintWriter out) {
      KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
      server.init();
      KubernetesClient client = server.createClient();
      try (InputStream crd = LocalCommand.class.getResourceAsStream(CRD_RESOURCE)) {
        client.apiextensions().v1().customResourceDefinitions().load(crd).create();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      out.println("Kubernetes: an embedded API server (fabric8 mock, CRUD mode) with the CloudRunEgressJob CRD from crds/.");
      return new Kubernetes(client, server);
    }

    static Kubernetes fromKubeconfig(Path kubeconfig) {
      try {
        Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        if (config.getMasterUrl() != null && config.getMasterUrl().startsWith("http:")) {
          // Over plain HTTP the JDK client offers an h2c upgrade. The API server ignores it; fabric8's mock
          // server accepts it and then, now and then, never answers (a request hung a CI run for 85 minutes).
          config.setHttp2Disable(true);
        }
        return new Kubernetes(new KubernetesClientBuilder().withConfig(config).build(), null);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + kubeconfig, e);
      }
    }

    boolean hasCrd() {
      CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().withName(CRD_NAME).get();
      return crd != null;
    }

    @Override
    public void close() {
      client.close();
      if (server != null) {
        server.destroy();
      }
    }
  }

  /** GCP: the fake, seeded with what the examples expect, or the real APIs. */
  private static final class Gcp implements AutoCloseable {
    /** Null for the real APIs. */
    final FakeGcp fake;

    private Gcp(FakeGcp fake) {
      this.fake = fake;
    }

    static Gcp fake(double speed, PrintWriter out) {
      FakeGcp fake = FakeGcp.builder().clock(FakeClock.scaled(speed)).start();
      out.println("GCP: the in-process fake, already holding:");
      SeedWorld.examples(fake).forEach(line -> out.println("  - " + line));
      return new Gcp(fake);
    }

    static Gcp real(PrintWriter out) {
      out.println("GCP: the real APIs, with Application Default Credentials. Objects the operator creates cost money until deleted.");
      return new Gcp(null);
    }

    /** Null for the real APIs. */
    String endpoint() {
      return fake == null ? null : fake.endpoint();
    }

    @Override
    public void close() {
      if (fake != null) {
        fake.close();
      }
    }
  }
}
