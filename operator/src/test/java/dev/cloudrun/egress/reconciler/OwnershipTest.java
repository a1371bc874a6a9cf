package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.TaskTemplate;
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
}
