package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Objects with our names that the operator did not create are never changed or deleted until adopted. */
class OwnershipTest {
  private static final String RULE = "crej-my-agent-4-allow-github";
  private static final String JOB = "projects/myproject/locations/europe-west2/jobs/my-agent-4";
  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.withExampleNetwork();
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void aSameNamedFirewallRuleThatIsNotOursIsLeftAloneUntilAdopted() throws Exception {
    Firewall handMade = Firewall.newBuilder()
        .setName(RULE)
        .setNetwork("projects/myproject/global/networks/default")
        .setDescription("Opened by hand for the release train")
        .setDirection("EGRESS")
        .setPriority(1000)
        .addDestinationRanges("192.0.2.0/24")
        .addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("8443"))
        .build();
    harness.gcpClients.firewalls.insertAsync("myproject", handMade).get();
    Firewall before = harness.gcp.firewall("myproject", RULE).orElseThrow();

    CloudRunEgressJob seed = harness.awaitCondition(harness.applyExample("01-seed-github-static-ip.yaml").get(0), Conditions.FIREWALL_READY, "False");
    assertThat(condition(seed, Conditions.FIREWALL_READY).getReason()).isEqualTo("NotOwned");
    assertThat(condition(seed, Conditions.FIREWALL_READY).getMessage()).contains(RULE).contains("spec.adoptExisting: true");
    assertThat(condition(seed, Conditions.READY).getStatus()).isEqualTo("False");
    OperatorHarness.sleep(2_500); // more than one resync
    assertThat(harness.gcp.firewall("myproject", RULE)).contains(before);

    CloudRunEgressJob adopting = harness.get(seed);
    adopting.getSpec().setAdoptExisting(true);
    harness.client.resource(adopting).update();
    harness.awaitCondition(adopting, Conditions.READY, "True");
    Firewall adopted = harness.gcp.firewall("myproject", RULE).orElseThrow();
    assertThat(adopted.getAllowed(0).getPortsList()).containsExactly("443", "22");
    assertThat(adopted.getDestinationRangesList()).contains("140.82.112.0/20");
  }

  @Test
  void aSameNamedJobThatIsNotOursIsNeitherChangedNorDeleted() throws ExecutionException, InterruptedException {
    Job theirs = Job.newBuilder()
        .setTemplate(ExecutionTemplate.newBuilder().setTemplate(TaskTemplate.newBuilder()
            .addContainers(Container.newBuilder().setImage("europe-west2-docker.pkg.dev/otherteam/containers/their-agent:1.0"))))
        .build();
    harness.gcpClients.jobs.createJobAsync("projects/myproject/locations/europe-west2", theirs, "my-agent-4").get();
    Job before = harness.gcp.job(JOB).orElseThrow();

    CloudRunEgressJob seed = harness.awaitCondition(harness.applyExample("01-seed-github-static-ip.yaml").get(0), Conditions.JOB_READY, "False");
    seed = harness.await(seed, c -> "NotOwned".equals(condition(c, Conditions.JOB_READY).getReason()), java.time.Duration.ofSeconds(30));
    assertThat(condition(seed, Conditions.JOB_READY).getMessage()).contains(JOB).contains("spec.job.name");
    assertThat(condition(seed, Conditions.STALLED).getStatus()).isEqualTo("True");

    harness.client.resource(seed).delete();
    harness.awaitGone(seed);
    assertThat(harness.gcp.job(JOB)).contains(before);
    // What the operator did create is gone.
    assertThat(harness.gcp.connector("projects/myproject/locations/europe-west2/connectors/vpc-conn-europe")).isEmpty();
  }

  /**
   * Issue 12, a 409 on create read as "already ours": a connector someone else created after the
   * operator listed and before its create is not recorded as managed, so it is neither changed nor
   * deleted with the resource. (Connectors carry no marker: one is ours when a create intent of
   * this resource is recorded and the connector is what that create asked for.)
   */
  @Test
  void conflictOnCreate_aConnectorSomeoneElseJustCreatedIsNotOwned() throws Exception {
    String connector = "projects/myproject/locations/europe-west2/connectors/vpc-conn-europe";
    // The operator's list of connectors is taken before the network team's create, and this resource accepts it for 10 minutes.
    assertThat(harness.services.inventory().connectors("myproject", "europe-west2")).isEmpty();
    harness.gcpClients.connectors.createConnectorCallable().call(CreateConnectorRequest.newBuilder()
        .setParent("projects/myproject/locations/europe-west2").setConnectorId("vpc-conn-europe")
        .setConnector(Connector.newBuilder().setNetwork("default").setIpCidrRange("10.9.0.0/28").setMachineType("e2-micro")
            .setMinInstances(2).setMaxInstances(10))
        .build());
    CloudRunEgressJob seed = OperatorHarness.readExample("01-seed-github-static-ip.yaml").get(0);
    seed.getMetadata().setAnnotations(java.util.Map.of(ReconcileTriggers.RESYNC_INTERVAL, "10m"));
    seed = harness.client.resource(seed).create();

    CloudRunEgressJob refused = harness.await(seed, c -> c.getStatus() != null && c.getStatus().getConditions().stream()
        .anyMatch(k -> k.getType().equals(Conditions.CONNECTOR_READY) && k.getStatus().equals("False") && !k.getReason().equals("Creating")),
        java.time.Duration.ofSeconds(30));
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.create", 409)).as("the operator's create was refused").isEqualTo(1);
    assertThat(condition(refused, Conditions.CONNECTOR_READY).getReason()).isEqualTo("NotOwned");
    assertThat(refused.getStatus().getOwned()).as("the connector is not recorded as this resource's")
        .noneMatch(o -> o.getKind().equals("connector"));

    harness.client.resource(refused).delete();
    harness.awaitGone(refused);
    assertThat(harness.gcp.connector(connector)).as("the network team's connector").isPresent()
        .hasValueSatisfying(c -> assertThat(c.getIpCidrRange()).isEqualTo("10.9.0.0/28"));
  }

  /**
   * Issue 12, a 409 on create read as "already ours": the NAT's create is a routers.update, whose
   * 409 says another change raced it, not that the NAT is there. It is retried with backoff and
   * reported as such.
   */
  @Test
  void conflictOnCreate_a409OnTheNatsRoutersUpdateIsAConflictNotSuccess() {
    CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    harness.gcp.faults().failNext("compute", "routers.update", 1, 409);
    harness.gcp.compute().editRouter("myproject", "europe-west2", "egress-router-europe-west2", r -> r.toBuilder().clearNats().build());

    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (harness.gcp.calls().count("compute", "routers.update", 200) == 0 && System.nanoTime() < deadline) {
      OperatorHarness.sleep(20);
    }
    assertThat(harness.gcp.calls().count("compute", "routers.update", 409)).as("the injected conflict was met").isEqualTo(1);
    assertThat(warnings()).as("warnings").anyMatch(m -> m.contains("ABORTED") && m.contains("retrying with backoff"));
    harness.awaitCondition(seed, Conditions.READY, "True");
    assertThat(harness.gcp.router("myproject", "europe-west2", "egress-router-europe-west2").orElseThrow().getNatsList()).hasSize(1);
  }

  private java.util.List<String> warnings() {
    return harness.client.v1().events().inNamespace("platform-agents").list().getItems().stream()
        .filter(e -> "Warning".equals(e.getType())).map(e -> e.getReason() + ": " + e.getMessage()).toList();
  }
}
