package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.app.OperatorFactory;
import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.fake.FakeClock;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.function.Predicate;

/**
 * The real operator (java-operator-sdk, the reconciler, the official Google clients) against a
 * Kubernetes API in CRUD mode and the in-process GCP fake, whose clock runs {@code speed} times
 * faster than the wall clock so a 90-second connector create takes a fraction of a second.
 */
final class OperatorHarness implements AutoCloseable {
  /** Sent by the operator's client only, so the API server can tell its requests from the test's. */
  static final String OPERATOR_USER_AGENT = "cloudrun-egress-operator-under-test";
  final KubernetesMockServer kubernetes;
  /** The mock API's dispatcher, which counts status writes. */
  private final dev.cloudrun.egress.testing.OptimisticLockingDispatcher kubernetesApi;
  /** The test's own client. */
  final KubernetesClient client;
  final FakeGcp gcp;
  final GcpClients gcpClients;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  /** What the running operator process works with; built anew on each start, as after a restart. */
  Services services;
  private KubernetesClient operatorClient;
  private Operator operator;
  private final CloudRunEgressJobReconciler.Settings settings;

  OperatorHarness() {
    this(new dev.cloudrun.egress.testing.OptimisticLockingDispatcher());
  }

  /** Against this Kubernetes API, e.g. an {@link dev.cloudrun.egress.testing.AuthorizingDispatcher} holding the operator to RBAC. */
  OperatorHarness(dev.cloudrun.egress.testing.OptimisticLockingDispatcher kubernetesApi) {
    this(new CloudRunEgressJobReconciler.Settings(Duration.ofSeconds(2), Duration.ofMillis(50), Duration.ofSeconds(2), 0), 300, kubernetesApi);
  }

  OperatorHarness(CloudRunEgressJobReconciler.Settings settings, double speed) {
    this(settings, speed, new dev.cloudrun.egress.testing.OptimisticLockingDispatcher());
  }

  OperatorHarness(CloudRunEgressJobReconciler.Settings settings, double speed, dev.cloudrun.egress.testing.OptimisticLockingDispatcher kubernetesApi) {
    this.settings = settings;
    this.kubernetesApi = kubernetesApi;
    kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), kubernetesApi, false);
    kubernetes.init();
    client = kubernetes.createClient();
    client.apiextensions().v1().customResourceDefinitions()
        .load(Crds.generatedDir().resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE).toFile()).create();
    gcp = FakeGcp.builder().clock(FakeClock.scaled(speed)).start();
    gcpClients = GcpClients.forEndpoint(gcp.endpoint(), registry);
  }

  /** Starts an operator process with its own Kubernetes client and fresh caches. */
  OperatorHarness start() {
    return start(OperatorFactory.Options.defaults());
  }

  OperatorHarness start(OperatorFactory.Options options) {
    // The operator's own client, as the process would have its own; its User-Agent tells its requests from the test's.
    operatorClient = kubernetes.createClient(b -> b.withConfig(new ConfigBuilder(client.getConfiguration()).withUserAgent(OPERATOR_USER_AGENT).build()));
    services = Services.create(gcpClients, operatorClient, registry, settings);
    operator = OperatorFactory.create(operatorClient, new CloudRunEgressJobReconciler(services, settings), registry, options);
    operator.start();
    return this;
  }

  void stop() {
    if (operator != null) {
      operator.stop();
      operatorClient.close();
      operator = null;
    }
  }

  /** The process dies: its connection goes first, so whatever it was about to write to Kubernetes is lost. */
  void crash() {
    operatorClient.close();
    stop();
  }

  /** Status writes of the resource the API server accepted (only the operator writes status). */
  long statusWrites(CloudRunEgressJob cr) {
    return kubernetesApi.statusWrites("/namespaces/" + cr.getMetadata().getNamespace() + "/cloudrunegressjobs/" + cr.getMetadata().getName());
  }

  /** Reconcile and cleanup passes the operator made over the resource (its crej_reconcile_passes_total). */
  long passes(CloudRunEgressJob cr) {
    return (long) services.metrics().passes(cr);
  }

  /** What the operator did about one resource over a window of wall-clock time. */
  record Activity(long passes, long statusWrites, Duration window) {
    double passesPerSecond() {
      return passes * 1000.0 / window.toMillis();
    }

    @Override
    public String toString() {
      return String.format("%d passes (%.0f/s) and %d status writes in %d ms", passes, passesPerSecond(), statusWrites, window.toMillis());
    }
  }

  /** Watches the resource for {@code window}: its passes and status writes meanwhile. */
  Activity activity(CloudRunEgressJob cr, Duration window) {
    long passes = passes(cr);
    long writes = statusWrites(cr);
    sleep(window.toMillis());
    return new Activity(passes(cr) - passes, statusWrites(cr) - writes, window);
  }

  /** The next status write of the resource that {@code lost} accepts loses to another writer's (409): it is not stored. */
  void loseNextStatusWrite(CloudRunEgressJob cr, Predicate<CloudRunEgressJob> lost) {
    kubernetesApi.loseNextStatusWrite(body -> {
      CloudRunEgressJob written = Serialization.unmarshal(body, CloudRunEgressJob.class);
      return written.getMetadata().getName().equals(cr.getMetadata().getName()) && lost.test(written);
    });
  }

  /** Applies every CloudRunEgressJob in an examples/ file. */
  List<CloudRunEgressJob> applyExample(String file) {
    return readExample(file).stream().map(cr -> client.resource(cr).create()).toList();
  }

  /** The CloudRunEgressJobs of an examples/ file, not applied. */
  static List<CloudRunEgressJob> readExample(String file) {
    try {
      String yaml = Files.readString(Manifests.projectRoot().resolve("examples").resolve(file));
      return java.util.Arrays.stream(yaml.split("(?m)^---$")).map(document -> Serialization.unmarshal(document, CloudRunEgressJob.class)).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A running operator with the network the examples use already in GCP. */
  static OperatorHarness withExampleNetwork() {
    OperatorHarness harness = new OperatorHarness();
    harness.gcp.seedNetwork("myproject", "default");
    harness.start();
    return harness;
  }

  CloudRunEgressJob applyAndAwaitReady(String example) {
    return awaitCondition(applyExample(example).get(0), Conditions.READY, "True");
  }

  CloudRunEgressJob get(CloudRunEgressJob cr) {
    return client.resources(CloudRunEgressJob.class).inNamespace(cr.getMetadata().getNamespace()).withName(cr.getMetadata().getName()).get();
  }

  /** Waits (wall clock) until the resource satisfies the predicate; fails with its last status. */
  CloudRunEgressJob await(CloudRunEgressJob cr, Predicate<CloudRunEgressJob> predicate, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    CloudRunEgressJob current = null;
    while (System.nanoTime() < deadline) {
      current = get(cr);
      if (current != null && predicate.test(current)) {
        return current;
      }
      sleep(20);
    }
    throw new AssertionError("timed out; last state: " + (current == null ? "deleted" : Serialization.asYaml(current.getStatus())));
  }

  CloudRunEgressJob awaitCondition(CloudRunEgressJob cr, String type, String status) {
    return await(cr, c -> hasCondition(c, type, status), Duration.ofSeconds(60));
  }

  void awaitGone(CloudRunEgressJob cr) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (get(cr) == null) {
        return;
      }
      sleep(20);
    }
    throw new AssertionError("still there: " + Serialization.asYaml(get(cr).getStatus()));
  }

  static boolean hasCondition(CloudRunEgressJob cr, String type, String status) {
    return cr.getStatus() != null && cr.getStatus().getConditions().stream()
        .anyMatch(c -> type.equals(c.getType()) && status.equals(c.getStatus())
            && cr.getMetadata().getGeneration().equals(c.getObservedGeneration()));
  }

  static Condition condition(CloudRunEgressJob cr, String type) {
    return cr.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
  }

  /** Waits (wall clock, at most 30 s) until the check holds. */
  static void awaitTrue(java.util.function.BooleanSupplier check) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (check.getAsBoolean()) {
        return;
      }
      sleep(20);
    }
    throw new AssertionError("condition not reached in 30 s");
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    stop();
    gcpClients.close();
    gcp.close();
    operatorClient.close();
    client.close();
    kubernetes.destroy();
  }
}
