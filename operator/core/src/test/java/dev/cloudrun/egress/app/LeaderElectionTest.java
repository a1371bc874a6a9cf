package dev.cloudrun.egress.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.gcp.GcpCallMetrics;
import dev.cloudrun.egress.gcp.fake.FakeClock;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.SeedWorld;
import dev.cloudrun.egress.reconciler.CloudRunEgressJobReconciler;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas against one Kubernetes API (CRUD mode, leases included) and one GCP: only the holder
 * of the Lease reconciles, and when it stops the other takes over. Who reconciled is read from each
 * replica's own count of GCP calls.
 */
class LeaderElectionTest {
  private static final String NAMESPACE = "cloudrun-egress-system";

  private KubernetesMockServer kubernetes;
  private KubernetesClient client;
  private FakeGcp gcp;
  private OperatorProcess first;
  private OperatorProcess second;

  @BeforeEach
  void startTwoReplicas() {
    Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
    kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), expectations, new KubernetesMixedDispatcher(expectations), false);
    kubernetes.init();
    // java-operator-sdk checks its lease permissions first; the CRUD API does not answer reviews.
    kubernetes.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewStatus().addNewResourceRule()
            .withApiGroups("coordination.k8s.io").withResources("leases").withVerbs("*").endResourceRule().endStatus().build())
        .always();
    client = kubernetes.createClient();
    client.apiextensions().v1().customResourceDefinitions()
        .load(Crds.generatedDir().resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE).toFile()).create();
    gcp = FakeGcp.builder().clock(FakeClock.scaled(300)).start();
    SeedWorld.examples(gcp);
    first = replica("replica-a");
    first.start();
    await(() -> holder().equals("replica-a"), "replica-a to hold the lease");
    second = replica("replica-b");
    second.start();
  }

  @AfterEach
  void stop() {
    if (first != null) {
      first.close();
    }
    second.close();
    gcp.close();
    client.close();
    kubernetes.destroy();
  }

  @Test
  void onlyTheLeaderReconcilesAndTheOtherTakesOverWhenItStops() throws IOException {
    apply("01-seed-github-static-ip.yaml");
    await(() -> ready("my-agent-4"), "my-agent-4 Ready");
    assertThat(gcpCalls(first)).isPositive();
    assertThat(gcpCalls(second)).isZero();
    assertThat(second.ready()).as("a standby is ready: its informers are synced").isTrue();

    assertThat(stoppedLeading).hasValue(0);
    first.close(); // the leader dies; its lease is not renewed
    first = null;
    assertThat(stoppedLeading).as("the stopped leader's onLoss ran (in a deployment: exit unless already stopping)").hasValue(1);
    await(() -> holder().equals("replica-b"), "replica-b to take the lease over");
    apply("02-private-ranges-only.yaml");

    await(() -> ready("artifact-sync"), "artifact-sync Ready, reconciled by replica-b");
    assertThat(gcpCalls(second)).isPositive();
  }

  /** Times a replica stopped leading: the hook where the process decides to exit on a lost lease. */
  private final java.util.concurrent.atomic.AtomicInteger stoppedLeading = new java.util.concurrent.atomic.AtomicInteger();

  private OperatorProcess replica(String identity) {
    var lease = new OperatorFactory.Lease(NAMESPACE, identity, Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200),
        stoppedLeading::incrementAndGet);
    var settings = new CloudRunEgressJobReconciler.Settings(Duration.ofMinutes(5), Duration.ofMillis(50), Duration.ofSeconds(2), 0);
    return new OperatorProcess(client, gcp.endpoint(), new OperatorFactory.Options(Set.of(), 2, lease), settings, null);
  }

  private void apply(String example) throws IOException {
    client.resource(Serialization.unmarshal(Files.readString(Manifests.projectRoot().resolve("examples").resolve(example)),
        CloudRunEgressJob.class)).create();
  }

  private boolean ready(String name) {
    CloudRunEgressJob cr = client.resources(CloudRunEgressJob.class).inNamespace("platform-agents").withName(name).get();
    return Expectation.of(cr).metBy(cr);
  }

  private String holder() {
    Lease lease = client.leases().inNamespace(NAMESPACE).withName(OperatorFactory.LEASE_NAME).get();
    return lease == null || lease.getSpec().getHolderIdentity() == null ? "" : lease.getSpec().getHolderIdentity();
  }

  private static long gcpCalls(OperatorProcess replica) {
    return replica.registry.find(GcpCallMetrics.NAME).timers().stream().mapToLong(Timer::count).sum();
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
