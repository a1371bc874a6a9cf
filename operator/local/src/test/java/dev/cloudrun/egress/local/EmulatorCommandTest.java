package dev.cloudrun.egress.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.app.Expectation;
import dev.cloudrun.egress.app.Main;
import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.fake.EmulatorCommand;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fake as an emulator: the emulator and `Main operator --gcp-endpoint` run as two JVMs of
 * their own, as a user runs them, over every example. What the operator made lives in the emulator:
 * an operator started again finds it there and makes nothing twice.
 */
class EmulatorCommandTest {
  private final List<Process> processes = new ArrayList<>();
  private KubernetesMockServer kubernetes;
  private KubernetesClient client;

  @TempDir
  Path dir;

  @AfterEach
  void stop() {
    processes.forEach(Process::destroyForcibly);
    if (client != null) {
      client.close();
      kubernetes.destroy();
    }
  }

  @Test
  void theOperatorReconcilesAgainstTheEmulatorAndAnotherOperatorFindsItsWorkThere() throws Exception {
    Jvm emulator = java(EmulatorCommand.class, List.of("--port", "0", "--speed", "300"), List.of());
    String endpoint = emulator.firstLine("GCP emulator listening on ").replaceFirst("^GCP emulator listening on ", "");
    assertThat(endpoint).matches("http://127\\.0\\.0\\.1:\\d+");

    kubernetes = LocalCommandTest.crudServer();
    client = kubernetes.createClient();
    client.apiextensions().v1().customResourceDefinitions()
        .load(LocalCommand.class.getResourceAsStream(LocalCommand.CRD_RESOURCE)).create();
    Path kubeconfig = LocalCommandTest.kubeconfig(dir, client);
    List<String> operatorArgs = List.of("operator", "--gcp-endpoint", endpoint, "--leader-election=false", "--metrics-port", "0");
    List<String> env = List.of("KUBECONFIG=" + kubeconfig);

    Process first = java(Main.class, operatorArgs, env).process();
    List<CloudRunEgressJob> examples = examples().stream().map(cr -> client.resource(cr).create()).toList();
    assertThat(examples).as("the examples' CloudRunEgressJobs").hasSizeGreaterThanOrEqualTo(9);
    for (CloudRunEgressJob cr : examples) {
      awaitExpected(cr);
    }
    List<String> connectors = connectors(endpoint);
    assertThat(connectors).isNotEmpty();
    first.destroy();
    assertThat(first.waitFor(20, TimeUnit.SECONDS)).as("the operator stops on SIGTERM").isTrue();

    Process second = java(Main.class, operatorArgs, env).process();
    for (CloudRunEgressJob cr : examples) {
      // kubectl annotate: a merge patch, which no status write of the new process can make conflict.
      client.resources(CloudRunEgressJob.class).inNamespace(cr.getMetadata().getNamespace()).withName(cr.getMetadata().getName())
          .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              "{\"metadata\":{\"annotations\":{\"egress.cloudrun.dev/reconcile-requested-at\":\"after-restart\"}}}");
    }
    for (CloudRunEgressJob cr : examples) {
      // The new process passed over it (status.lastForcedReconcile records the annotation), listing the emulator afresh.
      client.resource(cr).waitUntilCondition(current -> current.getStatus() != null
          && "after-restart".equals(current.getStatus().getLastForcedReconcile()), 2, TimeUnit.MINUTES);
      awaitExpected(cr);
    }
    assertThat(connectors(endpoint)).as("found in the emulator, not made again").isEqualTo(connectors);
    assertThat(second.isAlive()).as("the second operator still runs").isTrue();
  }

  /** {@code main} in a JVM of its own, stopped after the test; the emulator's output is read, the operator's discarded. */
  private Jvm java(Class<?> main, List<String> args, List<String> env) {
    Map<String, String> environment = new HashMap<>();
    env.forEach(e -> environment.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1)));
    Jvm jvm = Jvm.start(main, args, null, environment, main == EmulatorCommand.class);
    processes.add(jvm.process());
    return jvm;
  }

  private static List<String> connectors(String endpoint) {
    try (GcpClients gcp = GcpClients.forEndpoint(endpoint)) {
      return StreamSupport.stream(gcp.connectors.listConnectors("projects/myproject/locations/europe-west2").iterateAll().spliterator(), false)
          .map(Connector::getName).sorted().toList();
    }
  }

  /** Every CloudRunEgressJob of examples/, as kubectl apply -f examples/ would send them. */
  private static List<CloudRunEgressJob> examples() throws IOException {
    try (var files = Files.list(Manifests.projectRoot().resolve("examples"))) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted()
          .flatMap(f -> Manifests.readAll(f).stream())
          .filter(document -> document.path("kind").asText().equals("CloudRunEgressJob"))
          .map(document -> Serialization.unmarshal(document.toString(), CloudRunEgressJob.class))
          .toList();
    }
  }

  /** Ready, or the reason its annotation expects (Expectation), within two minutes. */
  private void awaitExpected(CloudRunEgressJob cr) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      CloudRunEgressJob current = client.resource(cr).get();
      if (Expectation.of(current).metBy(current)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(cr.getMetadata().getName() + " is not as its example expects: " + Serialization.asYaml(client.resource(cr).get().getStatus()));
  }
}
