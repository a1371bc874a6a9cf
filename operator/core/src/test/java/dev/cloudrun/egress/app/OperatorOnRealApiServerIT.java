package dev.cloudrun.egress.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.gcp.fake.FakeClock;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.SeedWorld;
import dev.cloudrun.egress.reconciler.ReconcileTriggers;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.RealApiServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator as the chart runs it (its own JVM, `operator` command, leader election, one Lease)
 * against a real API server and the GCP fake: the seed example converges to Ready, rests in silence,
 * survives the loss of its leader, and is deleted through its finalizer. Kubernetes writes are
 * counted by the server itself ({@code apiserver_request_total}), and printed.
 */
class OperatorOnRealApiServerIT {
  private static final RealApiServer SERVER = RealApiServer.shared();
  private static final String LEASE_NAMESPACE = "crej-system";
  private static final String NAMESPACE = "platform-agents";
  private static final Duration RESYNC = Duration.ofSeconds(10);
  /**
   * Status writes allowed while the seed converges (5 observed). A pass writes only when something
   * changed: the first records every part's intent, the next the started operations, then one write
   * per distinct moment an operation finishes (at most one per part), then the diagnosis.
   */
  private static final long CONVERGE_STATUS_WRITES = 10;

  private static KubernetesClient client;
  private static FakeGcp gcp;
  private static Path logs;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startServerAndGcp() throws IOException {
    client = SERVER.client();
    SERVER.installCrds(client);
    RealApiServer.ensureNamespaces(client, List.of(LEASE_NAMESPACE, NAMESPACE));
    // GCP's minutes of operation pass in a fraction of a second; the operator's own timings are production's.
    gcp = FakeGcp.builder().clock(FakeClock.scaled(300)).start();
    SeedWorld.examples(gcp);
    logs = Files.createTempDirectory("operator-logs");
  }

  @AfterAll
  static void stop() throws IOException {
    gcp.close();
    client.close();
    try (var files = Files.walk(logs)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /**
   * The Dockerfile's ENTRYPOINT, on what the build puts into the image's /app/lib (the operator's jar
   * and target/lib, built by package before Failsafe runs): so the replicas prove the image's
   * classpath is enough to run the operator. This JVM's java, and a heap cap for a test machine.
   */
  static List<String> imageEntrypoint() throws IOException {
    Path jar = Path.of(System.getProperty("imageJar", "target/none.jar"));
    Path lib = Path.of(System.getProperty("imageLib", "target/lib"));
    assertThat(jar).as("the image's jar (mvn package runs before the *IT tests)").exists();
    assertThat(lib).as("the image's runtime classpath").isDirectory();
    Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT (\\[.*?\\])\\s*$", Pattern.DOTALL)
        .matcher(Files.readString(Manifests.projectRoot().resolve("Dockerfile")).replace("\\\n", " "));
    assertThat(entrypoint.find()).as("the Dockerfile's ENTRYPOINT, in exec form").isTrue();
    List<String> command = new ArrayList<>();
    for (var word : Manifests.YAML.readTree(entrypoint.group(1))) {
      command.add(word.asText());
    }
    assertThat(command.get(0)).isEqualTo("java");
    command.set(0, ProcessHandle.current().info().command().orElse("java"));
    command.add(1, "-Xmx256m");
    command.replaceAll(word -> word.equals("/app/lib/*") ? jar + File.pathSeparator + lib.resolve("*") : word);
    assertThat(command).as("the image's classpath was found and replaced").contains(jar + File.pathSeparator + lib.resolve("*"));
    return command;
  }

  /** One replica JVM as the Deployment runs it: the image's command with the chart's settings. */
  record Replica(String identity, Process process, int metricsPort, Path log) {
    void kill() throws InterruptedException {
      process.destroyForcibly().waitFor();
    }

    String output() throws IOException {
      return Files.readString(log);
    }
  }

  private static Replica start(String identity) throws IOException {
    int metricsPort = RealApiServer.freePort();
    Path log = logs.resolve(identity + ".log");
    List<String> command = new ArrayList<>(imageEntrypoint());
    // Only this test's namespace: other test classes share the server and leave resources behind.
    command.addAll(List.of("--namespaces", NAMESPACE, "--gcp-endpoint", gcp.endpoint(), "--metrics-port", String.valueOf(metricsPort),
        "--resync-interval", RESYNC.toSeconds() + "s"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // What the chart's Deployment sets: the pod's name (the lease identity), its namespace, the kubeconfig of its service account.
    Map<String, String> env = builder.environment();
    env.put("HOSTNAME", identity);
    env.put("POD_NAMESPACE", LEASE_NAMESPACE);
    env.put("KUBECONFIG", SERVER.kubeconfig().toString());
    env.put("CREJ_LEADER_ELECTION", "true");
    return new Replica(identity, builder.start(), metricsPort, log);
  }

  @Test
  void seedConvergesRestsInSilenceFailsOverAndIsDeletedThroughItsFinalizer() throws Exception {
    Replica first = start("replica-a");
    Replica second = null;
    try {
      await(() -> holder().equals("replica-a"), Duration.ofSeconds(60), "replica-a to take the Lease", first);
      second = start("replica-b");
      Replica standby = second;
      await(() -> ready(standby), Duration.ofSeconds(60), "replica-b ready (informers synced) as a standby", second);
      long statusWritesBefore = SERVER.writes("cloudrunegressjobs", "status");
      long objectWritesBefore = SERVER.writes("cloudrunegressjobs", "");
      long conflictsBefore = SERVER.conflicts("cloudrunegressjobs", "status");
      CloudRunEgressJob seed = client.resource(Serialization.unmarshal(
          Files.readString(Manifests.projectRoot().resolve("examples/01-seed-github-static-ip.yaml")), CloudRunEgressJob.class)).create();
      // A user (or Argo CD) annotating while the operator works: the operator's status writes lose the resourceVersion race.
      java.util.concurrent.atomic.AtomicInteger annotations = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicBoolean converged = new java.util.concurrent.atomic.AtomicBoolean();
      Thread annotator = new Thread(() -> {
        while (!converged.get()) {
          annotate(seed, "example.com/touched", String.valueOf(annotations.get()));
          annotations.incrementAndGet();
          RealApiServer.sleep(100);
        }
      }, "annotator");
      annotator.start();
      try {
        await(() -> isReady(seed), Duration.ofSeconds(120), "my-agent-4 Ready", first);
      } finally {
        converged.set(true);
        annotator.join();
      }
      long convergeStatusWrites = SERVER.writes("cloudrunegressjobs", "status") - statusWritesBefore;
      long convergeObjectWrites = SERVER.writes("cloudrunegressjobs", "") - objectWritesBefore - 1 - annotations.get(); // the test's create and annotations
      long lostRaces = SERVER.conflicts("cloudrunegressjobs", "status") - conflictsBefore;
      System.out.printf("converging to Ready: %d status writes (bound %d) and %d refused with 409, %d object writes (the finalizer)%n",
          convergeStatusWrites, CONVERGE_STATUS_WRITES, lostRaces, convergeObjectWrites);
      assertThat(convergeStatusWrites).isBetween(1L, CONVERGE_STATUS_WRITES);
      assertThat(convergeObjectWrites).as("writes of the object itself: adding the finalizer, never the spec").isLessThanOrEqualTo(1);
      assertThat(lostRaces).as("status writes that lost a resourceVersion race").isPositive();
      assertThat(first.output()).as("409s are retried quietly: no stack trace").doesNotContain("\tat ");
      assertThat(second.output()).doesNotContain("\tat ");

      // At rest: three resyncs, no Kubernetes write of any kind, at most one pass per resync.
      Thread.sleep(RESYNC.toMillis()); // let the last post-Ready pass and its events settle
      long writesAtRest = SERVER.requests(OperatorOnRealApiServerIT::isWrite);
      double passesAtRest = reconciles(first);
      Thread.sleep(3 * RESYNC.toMillis());
      long restWrites = SERVER.requests(OperatorOnRealApiServerIT::isWrite) - writesAtRest;
      double restPasses = reconciles(first) - passesAtRest;
      System.out.printf("at rest over 3 resyncs of %ds: %d Kubernetes writes (Lease renewals excluded), %.0f passes%n",
          RESYNC.toSeconds(), restWrites, restPasses);
      assertThat(restWrites).isZero();
      // One pass per resync; a 30 s window can hold a 4th pass of a jittered (±10%) 10 s interval.
      assertThat(restPasses).isBetween(2.0, 4.0);

      // The leader dies without a word; the standby takes the Lease over and reconciles.
      first.kill();
      await(() -> holder().equals("replica-b"), Duration.ofSeconds(60), "replica-b to take the Lease over", second);
      gcp.run().deleteJob("projects/myproject/locations/europe-west2/jobs/my-agent-4");
      annotate(seed, ReconcileTriggers.FORCE_RECONCILE, java.time.Instant.now().toString());
      await(() -> gcp.job("projects/myproject/locations/europe-west2/jobs/my-agent-4").isPresent(), Duration.ofSeconds(60),
          "the new leader to restore the job deleted out of band", second);

      client.resource(seed).delete();
      await(() -> client.resource(seed).get() == null, Duration.ofSeconds(120), "my-agent-4 deleted through its finalizer", second);
      assertThat(gcp.job("projects/myproject/locations/europe-west2/jobs/my-agent-4")).isEmpty();
      assertThat(second.output()).doesNotContain("\tat ");
    } finally {
      first.kill();
      if (second != null) {
        second.kill();
      }
    }
  }

  /** A merge patch of one annotation, as `kubectl annotate` sends it: no resourceVersion, so it never conflicts itself. */
  private static void annotate(CloudRunEgressJob cr, String key, String value) {
    client.resources(CloudRunEgressJob.class).inNamespace(cr.getMetadata().getNamespace()).withName(cr.getMetadata().getName())
        .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(Map.of("metadata", Map.of("annotations", Map.of(key, value)))));
  }

  /** Writes the operator makes for its resources: Lease renewals are leader election's heartbeat, not work. */
  private static boolean isWrite(Map<String, String> labels) {
    return RealApiServer.isWrite(labels) && !"leases".equals(labels.get("resource"));
  }

  private static boolean isReady(CloudRunEgressJob cr) {
    CloudRunEgressJob current = client.resource(cr).get();
    return current != null && Expectation.of(current).metBy(current);
  }

  private String holder() {
    Lease lease = client.leases().inNamespace(LEASE_NAMESPACE).withName(OperatorFactory.LEASE_NAME).get();
    return lease == null || lease.getSpec().getHolderIdentity() == null ? "" : lease.getSpec().getHolderIdentity();
  }

  private boolean ready(Replica replica) {
    try {
      return get(replica, "/readyz").statusCode() == 200;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** Passes java-operator-sdk counted in this replica. */
  private double reconciles(Replica replica) throws IOException, InterruptedException {
    Matcher m = Pattern.compile("(?m)^operator_sdk_controllers_execution_reconcile_seconds_count\\{[^}]*} (\\S+)$")
        .matcher(get(replica, "/metrics").body());
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  private HttpResponse<String> get(Replica replica, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.metricsPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void await(BooleanSupplier condition, Duration timeout, String what, Replica replica) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> errors = new ArrayList<>();
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        errors.add(e.toString());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "; last errors " + errors.subList(Math.max(0, errors.size() - 3), errors.size())
            + "\n--- " + replica.identity() + " ---\n" + replica.output());
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
