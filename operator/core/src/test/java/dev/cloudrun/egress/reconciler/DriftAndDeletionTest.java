package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.run.v2.Container;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Out-of-band changes are corrected within a resync and reported; deletion removes or keeps everything. */
class DriftAndDeletionTest {
  private static final String CONNECTOR = "projects/myproject/locations/europe-west2/connectors/vpc-conn-europe";
  private static final String JOB = "projects/myproject/locations/europe-west2/jobs/my-agent-4";
  private OperatorHarness harness;
  private CloudRunEgressJob seed;

  @BeforeEach
  void seedIsReady() {
    harness = OperatorHarness.withExampleNetwork();
    seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void driftOnEveryKindIsCorrectedWithinOneResyncAndReported() {
    // Connectors only scale out, so the drift that can be undone in place is the machine type.
    harness.gcp.vpcAccess().edit(CONNECTOR, c -> c.toBuilder().setMachineType("f1-micro").build());
    harness.gcp.compute().editFirewall("myproject", "crej-my-agent-4-allow-github",
        f -> f.toBuilder().clearAllowed().addAllowed(Allowed.newBuilder().setIPProtocol("all")).build());
    harness.gcp.compute().deleteFirewall("myproject", "crej-my-agent-4-deny-all");
    harness.gcp.compute().editRouter("myproject", "europe-west2", "egress-router-europe-west2",
        r -> r.toBuilder().setNats(0, r.getNats(0).toBuilder().setSourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES")).build());
    harness.gcp.run().editJob(JOB, j -> j.toBuilder().setTemplate(j.getTemplate().toBuilder().setTemplate(
        j.getTemplate().getTemplate().toBuilder().setContainers(0, Container.newBuilder(j.getTemplate().getTemplate().getContainers(0))
            .setImage("europe-west2-docker.pkg.dev/myproject/containers/someone-elses:latest")))).build());

    // Resync is 2 s in this harness: every change must be undone well within a few resyncs.
    OperatorHarness.awaitTrue(() -> harness.gcp.connector(CONNECTOR).map(c -> c.getMachineType().equals("e2-micro")
        && c.getState() == Connector.State.READY).orElse(false));
    OperatorHarness.awaitTrue(() -> harness.gcp.firewall("myproject", "crej-my-agent-4-allow-github").map(f -> f.getAllowed(0).getIPProtocol().equals("tcp")).orElse(false));
    OperatorHarness.awaitTrue(() -> harness.gcp.firewall("myproject", "crej-my-agent-4-deny-all").isPresent());
    OperatorHarness.awaitTrue(() -> harness.gcp.router("myproject", "europe-west2", "egress-router-europe-west2")
        .map(r -> r.getNats(0).getSourceSubnetworkIpRangesToNat().equals("ALL_SUBNETWORKS_ALL_IP_RANGES")).orElse(false));
    OperatorHarness.awaitTrue(() -> harness.gcp.job(JOB).map(j -> j.getTemplate().getTemplate().getContainers(0).getImage().endsWith("/my-agent:latest")).orElse(false));

    harness.awaitCondition(seed, Conditions.READY, "True");
    List<String> drift = events("DriftCorrected");
    assertThat(drift).anyMatch(m -> m.contains("Connector " + CONNECTOR) && m.contains("machineType"));
    assertThat(drift).anyMatch(m -> m.contains("crej-my-agent-4-allow-github") && m.contains("allowed"));
    assertThat(drift).anyMatch(m -> m.contains("NAT projects/myproject/regions/europe-west2/routers/egress-router-europe-west2/nats/egress-nat") && m.contains("sourceSubnetworkIpRangesToNat"));
    assertThat(drift).anyMatch(m -> m.contains("Cloud Run job " + JOB) && m.contains("image"));
    // One correction each: reported when the update starts, not again while it runs.
    assertThat(drift.stream().filter(m -> m.contains("Connector " + CONNECTOR))).hasSize(1);
    assertThat(drift.stream().filter(m -> m.contains("Cloud Run job " + JOB))).hasSize(1);
    assertThat(harness.services.metrics().driftCorrections("connector")).isEqualTo(1);
    assertThat(harness.services.metrics().driftCorrections("router")).isEqualTo(1);
    assertThat(harness.services.metrics().driftCorrections("job")).isEqualTo(1);
  }

  @Test
  void aChangeOfTheSpecIsAnUpdateNotDrift() {
    CloudRunEgressJob current = harness.get(seed);
    current.getSpec().getJob().setMaxRetries(5);
    harness.client.resource(current).update();
    OperatorHarness.awaitTrue(() -> harness.gcp.job(JOB).map(j -> j.getTemplate().getTemplate().getMaxRetries() == 5).orElse(false));
    harness.awaitCondition(current, Conditions.READY, "True");
    assertThat(events("UpdateStarted")).anyMatch(m -> m.contains("jobs/my-agent-4"));
    assertThat(events("DriftCorrected")).isEmpty();
    assertThat(harness.services.metrics().driftCorrections("job")).isZero();
  }

  @Test
  void aConnectorScaledOutElsewhereNeedsReplacementNotASilentShrink() {
    harness.gcp.vpcAccess().edit(CONNECTOR, c -> c.toBuilder().setMaxInstances(7).build());
    CloudRunEgressJob stalled = harness.await(seed, c -> OperatorHarness.hasCondition(c, Conditions.CONNECTOR_READY, "False"), Duration.ofSeconds(30));
    assertThat(condition(stalled, Conditions.CONNECTOR_READY).getReason()).isEqualTo("ReplacementRequired");
    assertThat(condition(stalled, Conditions.CONNECTOR_READY).getMessage()).contains("never scales in").contains("replacePolicy: Recreate");
    assertThat(condition(stalled, Conditions.STALLED).getStatus()).isEqualTo("True");
    assertThat(harness.gcp.connector(CONNECTOR).orElseThrow().getMaxInstances()).isEqualTo(7);
  }

  @Test
  void deleteRemovesEveryObjectInReverseOrder() {
    harness.client.resource(seed).delete();
    harness.awaitGone(seed);
    assertThat(harness.gcp.job(JOB)).isEmpty();
    assertThat(harness.gcp.firewall("myproject", "crej-my-agent-4-allow-github")).isEmpty();
    assertThat(harness.gcp.firewall("myproject", "crej-my-agent-4-deny-all")).isEmpty();
    assertThat(harness.gcp.router("myproject", "europe-west2", "egress-router-europe-west2")).isEmpty();
    assertThat(harness.gcp.address("myproject", "europe-west2", "github-egress-ip")).isEmpty();
    assertThat(harness.gcp.connector(CONNECTOR)).isEmpty();
    // Reverse order: the job goes before the connector it uses, the NAT before its address.
    List<String> deletions = events("DeleteStarted");
    assertThat(indexOf(deletions, "jobs/my-agent-4")).isLessThan(indexOf(deletions, "firewalls/"));
    assertThat(indexOf(deletions, "firewalls/")).isLessThan(indexOf(deletions, "routers/egress-router-europe-west2"));
    assertThat(indexOf(deletions, "routers/egress-router-europe-west2")).isLessThan(indexOf(deletions, "addresses/github-egress-ip"));
    assertThat(indexOf(deletions, "addresses/github-egress-ip")).isLessThan(indexOf(deletions, "connectors/vpc-conn-europe"));
  }

  @Test
  void abandonLeavesEveryObjectInPlace() {
    CloudRunEgressJob current = harness.get(seed);
    current.getSpec().setDeletionPolicy(CloudRunEgressJobSpec.DeletionPolicy.Abandon);
    harness.client.resource(current).update();
    harness.awaitCondition(current, Conditions.READY, "True");
    harness.client.resource(current).delete();
    harness.awaitGone(current);
    assertThat(harness.gcp.job(JOB)).isPresent();
    assertThat(harness.gcp.connector(CONNECTOR)).isPresent();
    assertThat(harness.gcp.router("myproject", "europe-west2", "egress-router-europe-west2")).isPresent();
    assertThat(harness.gcp.firewall("myproject", "crej-my-agent-4-deny-all")).isPresent();
    assertThat(harness.gcp.address("myproject", "europe-west2", "github-egress-ip")).isPresent();
  }

  @Test
  void aStatusWriteHappensOnlyWhenSomethingChanged() {
    String version = harness.get(seed).getMetadata().getResourceVersion();
    String transition = condition(harness.get(seed), Conditions.READY).getLastTransitionTime();
    OperatorHarness.sleep(5_000); // two resyncs with nothing to do
    assertThat(harness.get(seed).getMetadata().getResourceVersion()).isEqualTo(version);
    assertThat(condition(harness.get(seed), Conditions.READY).getLastTransitionTime()).isEqualTo(transition);
  }

  private List<String> events(String reason) {
    return harness.client.v1().events().inNamespace("platform-agents").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .sorted(java.util.Comparator.comparing(Event::getMetadata, java.util.Comparator.comparing(m -> m.getCreationTimestamp() == null ? "" : m.getCreationTimestamp()))
            .thenComparing(Event::getLastTimestamp))
        .map(Event::getMessage)
        .toList();
  }

  private static int indexOf(List<String> messages, String fragment) {
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i).contains(fragment)) {
        return i;
      }
    }
    throw new AssertionError("no event mentions " + fragment + " in " + messages);
  }
}
