package dev.cloudrun.egress.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.gcp.fake.FakeClock;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.SeedWorld;
import dev.cloudrun.egress.reconciler.CloudRunEgressJobReconciler;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator process's endpoints over HTTP, as the kubelet and Prometheus call them. */
class OperatorProcessTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private KubernetesMockServer kubernetes;
  private KubernetesClient client;
  private FakeGcp gcp;
  private OperatorProcess process;

  @BeforeEach
  void startTheProcessPieces() {
    kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    kubernetes.init();
    client = kubernetes.createClient();
    client.apiextensions().v1().customResourceDefinitions()
        .load(Crds.generatedDir().resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE).toFile()).create();
    gcp = FakeGcp.builder().clock(FakeClock.scaled(300)).start();
    SeedWorld.examples(gcp);
    var settings = new CloudRunEgressJobReconciler.Settings(Duration.ofMinutes(5), Duration.ofMillis(50), Duration.ofSeconds(2), 0);
    process = new OperatorProcess(client, gcp.endpoint(), new OperatorFactory.Options(Set.of(), 2, null), settings, 0);
  }

  @AfterEach
  void stop() {
    process.close();
    gcp.close();
    client.close();
    kubernetes.destroy();
  }

  @Test
  void livenessAnswersAtOnceAndReadinessOnceTheInformersSynced() throws Exception {
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    HttpResponse<String> starting = get("/readyz");
    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(starting.body()).contains("not ready");

    process.start();

    assertThat(get("/readyz").statusCode()).isEqualTo(200);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void metricsHaveGcpCallsOperationsInFlightAndReconcileDurations() throws Exception {
    process.start();
    gcp.faults().failNext("compute", "firewalls.list", 1, 503);
    CloudRunEgressJob seed = client.resource(Serialization.unmarshal(
        Files.readString(Manifests.projectRoot().resolve("examples/01-seed-github-static-ip.yaml")), CloudRunEgressJob.class)).create();
    awaitReady(seed);

    HttpResponse<String> metrics = get("/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
    assertThat(metrics.body())
        // every GCP call, by API, method and outcome; the injected 503 included
        .containsPattern("crej_gcp_calls_seconds_count\\{api=\"vpcaccess\",method=\"VpcAccessService/CreateConnector\",outcome=\"OK\"} 1")
        .containsPattern("crej_gcp_calls_seconds_count\\{api=\"compute\",method=\"Firewalls/List\",outcome=\"UNAVAILABLE\"} 1")
        .containsPattern("crej_gcp_calls_seconds_count\\{api=\"run\",method=\"Jobs/CreateJob\",outcome=\"OK\"} 1")
        .containsPattern("crej_gcp_calls_seconds_count\\{api=\"compute\",method=\"RegionOperations/Get\",outcome=\"OK\"} \\d+")
        // all finished once Ready
        .containsPattern("crej_operations_in_flight \\d")
        .contains("crej_operations_in_flight 0.0")
        // java-operator-sdk's, per kind and not per resource
        .containsPattern("operator_sdk_controllers_execution_reconcile_seconds_count\\{controller=\"cloudrunegressjob\",[^}]*\\} \\d+")
        .doesNotContain("resource_name=\"my-agent-4\"")
        .contains("jvm_memory_used_bytes");
  }

  private void awaitReady(CloudRunEgressJob cr) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      CloudRunEgressJob current = client.resource(cr).get();
      if (Expectation.of(current).metBy(current)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("not Ready: " + Serialization.asYaml(client.resource(cr).get().getStatus()));
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + process.metricsPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
