package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import dev.cloudrun.egress.gcp.fake.Latencies;
import java.time.Duration;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, requeue loops: a pass that changes nothing in GCP and nothing in status never comes
 * back sooner than the poll interval, an intent is recorded once and then started, and intents and
 * operations whose target left the spec are settled instead of requeuing the resource forever.
 * Passes are counted by the operator's crej_reconcile_passes_total, status writes by the API server.
 */
class SchedulingTest {
  private static final String PROJECT = "myproject";
  private static final String REGION = "europe-west2";
  private static final String OLD_CONNECTOR = "projects/myproject/locations/europe-west2/connectors/vpc-conn-europe";
  private OperatorHarness harness;

  @AfterEach
  void stop() {
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  void requeueLoop_aNatOnAnExistingRouterIsCreatedInsteadOfItsIntentBeingRecordedAgainEveryPass() throws Exception {
    harness = OperatorHarness.withExampleNetwork();
    harness.gcpClients.routers.insertAsync(PROJECT, REGION, Router.newBuilder().setName("network-team-router")
        .setNetwork("projects/myproject/global/networks/default").build()).get();
    CloudRunEgressJob seed = OperatorHarness.readExample("01-seed-github-static-ip.yaml").get(0);
    seed.getSpec().getEgress().getNat().setRouter("network-team-router");
    seed.getSpec().getEgress().getNat().setUseExistingRouter(true);
    seed = harness.client.resource(seed).create();
    harness.await(seed, c -> c.getStatus() != null && c.getStatus().getOperations().stream().anyMatch(o -> o.getPart().equals("router")),
        Duration.ofSeconds(30));

    OperatorHarness.Activity creating = harness.activity(seed, Duration.ofSeconds(3));
    System.out.println("NAT on an existing router, 3 s from its intent: " + creating);
    assertThat(nat("network-team-router")).as("the NAT 3 s after its intent, in which the operator made %s", creating).isPresent();
    harness.awaitCondition(seed, Conditions.READY, "True");
    assertQuietAtRest(seed);
  }

  @Test
  void requeueLoop_aNatDeletedByHandFromTheOperatorsRouterIsRestored() {
    harness = OperatorHarness.withExampleNetwork();
    CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    harness.gcp.compute().editRouter(PROJECT, REGION, "egress-router-europe-west2", r -> r.toBuilder().clearNats().build());

    OperatorHarness.Activity restoring = harness.activity(seed, Duration.ofSeconds(3));
    System.out.println("NAT deleted by hand, next 3 s: " + restoring);
    assertThat(nat("egress-router-europe-west2")).as("the NAT 3 s after it was deleted, in which the operator made %s", restoring).isPresent();
    harness.awaitCondition(seed, Conditions.READY, "True");
    assertQuietAtRest(seed);
  }

  @Test
  void requeueLoop_anIntentWhoseTargetLeftTheSpecIsDroppedInsteadOfRequeuingAtZeroDelay() {
    harness = OperatorHarness.withExampleNetwork();
    harness.gcp.faults().errorRate("vpcaccess", "connectors.create", 1.0, 400);
    CloudRunEgressJob seed = harness.applyExample("01-seed-github-static-ip.yaml").get(0);
    harness.await(seed, c -> c.getStatus() != null && "GcpError".equals(reason(c, Conditions.CONNECTOR_READY)), Duration.ofSeconds(30));
    assertThat(connectorOperation(harness.get(seed), OLD_CONNECTOR)).as("the refused create's intent").isPresent();

    // The user follows the message and names another connector.
    harness.gcp.faults().clear();
    CloudRunEgressJob renamed = edit(seed, c -> {
      c.getSpec().getEgress().getConnector().setName("vpc-conn-europe-2");
      c.getSpec().getEgress().getConnector().setIpCidrRange("10.8.0.16/28");
      return c;
    });
    CloudRunEgressJob ready = harness.awaitCondition(renamed, Conditions.READY, "True");
    assertQuietAtRest(ready);
    assertThat(harness.get(ready).getStatus().getOperations()).as("no intent for the connector the spec no longer names").isEmpty();
  }

  @Test
  void requeueLoop_anOperationWhoseTargetLeftTheSpecIsPolledToCompletionThenDropped() {
    harness = OperatorHarness.withExampleNetwork();
    harness.gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ofHours(1));
    CloudRunEgressJob seed = harness.applyExample("01-seed-github-static-ip.yaml").get(0);
    harness.await(seed, c -> connectorOperation(c, OLD_CONNECTOR).map(o -> !o.getName().isEmpty()).orElse(false), Duration.ofSeconds(30));
    harness.gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ofSeconds(90));

    CloudRunEgressJob renamed = edit(seed, c -> {
      c.getSpec().getEgress().getConnector().setName("vpc-conn-europe-2");
      c.getSpec().getEgress().getConnector().setIpCidrRange("10.8.0.16/28");
      return c;
    });
    harness.awaitCondition(renamed, Conditions.JOB_READY, "True");
    // GCP is still creating the old connector: its operation is polled meanwhile, and counted; the
    // connector is deleted from the ledger once its create finished (issue 12: it leaked).
    assertThat(connectorOperation(harness.get(renamed), OLD_CONNECTOR)).isPresent();
    assertThat(operationsInFlight()).isEqualTo(1);

    harness.gcp.clock().advance(Duration.ofHours(1)); // the old connector's create finishes
    CloudRunEgressJob ready = harness.awaitCondition(renamed, Conditions.READY, "True");
    assertThat(ready.getStatus().getOperations()).as("nothing left in flight").isEmpty();
    assertThat(harness.gcp.connector(OLD_CONNECTOR)).as("the connector the spec no longer names").isEmpty();
    OperatorHarness.awaitTrue(() -> operationsInFlight() == 0); // set right after the status write the test saw
    assertQuietAtRest(renamed);
  }

  @Test
  void requeueLoop_transientErrorsDuringDeletionBackOffInsteadOfWaitingForTheErrorCeiling() {
    // An error ceiling far longer than java-operator-sdk's first retries (2 s, 4 s), as in production (5 min vs 2 s).
    harness = new OperatorHarness(new CloudRunEgressJobReconciler.Settings(Duration.ofSeconds(2), Duration.ofMillis(50), Duration.ofSeconds(30), 0), 300);
    harness.gcp.seedNetwork(PROJECT, "default");
    harness.start();
    CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    // Two in a row: the first one's DeleteFailed was a status change, which came back at once; the second changes nothing.
    harness.gcp.faults().failNext("run", "jobs.delete", 2, 503);

    long started = System.nanoTime();
    harness.client.resource(seed).delete();
    long deadline = started + Duration.ofSeconds(12).toNanos();
    while (harness.get(seed) != null && System.nanoTime() < deadline) {
      OperatorHarness.sleep(20);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.println("deletion with two 503s took " + took.toMillis() + " ms (error ceiling 30 s)");
    assertThat(harness.get(seed)).as("deleted within 12 s despite two 503s (error ceiling 30 s)").isNull();
    assertThat(harness.gcp.calls().count("run", "jobs.delete", 503)).isEqualTo(2);
  }

  /** At rest a resource is looked at once per resync (2 s here) and its status is not written. */
  private void assertQuietAtRest(CloudRunEgressJob cr) {
    OperatorHarness.sleep(1_000);
    OperatorHarness.Activity rest = harness.activity(cr, Duration.ofSeconds(4));
    System.out.println("at rest: " + rest);
    assertThat(rest.passes()).as("passes at rest: %s", rest).isLessThanOrEqualTo(4);
    assertThat(rest.statusWrites()).as("status writes at rest: %s", rest).isZero();
  }

  private CloudRunEgressJob edit(CloudRunEgressJob cr, UnaryOperator<CloudRunEgressJob> change) {
    return harness.client.resources(CloudRunEgressJob.class).inNamespace(cr.getMetadata().getNamespace())
        .withName(cr.getMetadata().getName()).edit(change);
  }

  private Optional<RouterNat> nat(String router) {
    return harness.gcp.router(PROJECT, REGION, router).flatMap(r -> r.getNatsList().stream().filter(n -> n.getName().equals("egress-nat")).findFirst());
  }

  private double operationsInFlight() {
    return harness.registry.find("crej.operations.in.flight").gauge().value();
  }

  private static String reason(CloudRunEgressJob cr, String type) {
    return cr.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals(type)) ? condition(cr, type).getReason() : null;
  }

  private static Optional<OperationStatus> connectorOperation(CloudRunEgressJob cr, String target) {
    return cr.getStatus() == null ? Optional.empty()
        : cr.getStatus().getOperations().stream().filter(o -> o.getPart().equals("connector") && o.getTarget().equals(target)).findFirst();
  }
}
