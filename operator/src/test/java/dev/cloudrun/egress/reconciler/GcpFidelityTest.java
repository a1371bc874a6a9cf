package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.fabric8.kubernetes.api.model.Event;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator against what GCP really answers (docs/gcp-fidelity.md, issue 13): fields GCP fills or
 * shortens are not drift, a merge patch must send what it means to change, and a connector patch
 * names both instance bounds. Once ready, three resyncs make no GCP write.
 */
class GcpFidelityTest {
  private static final String CONNECTOR = "projects/myproject/locations/europe-west2/connectors/vpc-conn-europe";
  private static final int RESYNCS = 3;
  private OperatorHarness harness;

  @AfterEach
  void stop() {
    harness.close();
  }

  /** Ledger row 1 (GCP fills network on a subnet connector) and J2 (Cloud Run shortens the connector). */
  @Test
  void aConnectorOnASubnetIsReadyAndThenLeftAlone() {
    harness = new OperatorHarness();
    harness.gcp.seedNetwork("myproject", "corp-vpc");
    harness.gcp.seedSubnetwork("myproject", "europe-west2", "serverless-connector-euw2", "corp-vpc", "10.100.0.0/28");
    harness.start();

    CloudRunEgressJob cr = harness.applyAndAwaitReady("02-private-ranges-only.yaml");

    String connector = "projects/myproject/locations/europe-west2/connectors/conn-corp-euw2";
    assertThat(harness.gcp.connector(connector).orElseThrow().getNetwork()).as("filled by GCP").isEqualTo("corp-vpc");
    assertThat(harness.gcp.job("projects/myproject/locations/europe-west2/jobs/artifact-sync").orElseThrow()
        .getTemplate().getTemplate().getVpcAccess().getConnector()).as("shortened by Cloud Run").isEqualTo("conn-corp-euw2");
    assertThat(writesOverResyncs()).isZero();
    assertThat(OperatorHarness.condition(harness.get(cr), Conditions.READY).getStatus()).isEqualTo("True");
    assertThat(harness.services.metrics().driftCorrections("job")).isZero();
    assertThat(harness.services.metrics().driftCorrections("connector")).isZero();
  }

  /** Ledger J2: a range connector's job, named by path and answered by short name, is not updated on every pass. */
  @Test
  void aJobWhoseConnectorCloudRunShortensGetsNoUpdate() {
    harness = OperatorHarness.withExampleNetwork();
    harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");

    assertThat(writesOverResyncs()).isZero();
    assertThat(harness.services.metrics().driftCorrections("job")).isZero();
    assertThat(events("DriftCorrected")).isEmpty();
  }

  /** Ledger row 2: firewalls.patch is a merge patch, so re-enabling a rule means sending "disabled": false. */
  @Test
  void aFirewallRuleDisabledOutOfBandIsEnabledAgainInOneWrite() {
    harness = OperatorHarness.withExampleNetwork();
    CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    harness.gcp.calls().reset();

    harness.gcp.compute().editFirewall("myproject", "crej-my-agent-4-deny-all", f -> f.toBuilder().setDisabled(true).build());

    OperatorHarness.awaitTrue(() -> harness.gcp.firewall("myproject", "crej-my-agent-4-deny-all").map(f -> !f.getDisabled()).orElse(false));
    harness.awaitCondition(seed, Conditions.READY, "True");
    OperatorHarness.sleep(RESYNCS * 2_000L);
    assertThat(harness.gcp.calls().count("compute", "firewalls.patch")).isEqualTo(1);
    assertThat(harness.gcp.calls().writes()).isEqualTo(1);
    assertThat(harness.services.metrics().driftCorrections("firewall")).isEqualTo(1);
    assertThat(events("DriftCorrected")).singleElement().satisfies(m -> assertThat(m).contains("crej-my-agent-4-deny-all", "disabled"));
  }

  /** Ledger row 4: gcloud needs both instance flags and Terraform always sends both; so does the operator. */
  @Test
  void aChangeOfMaxInstancesPatchesBothBounds() {
    harness = OperatorHarness.withExampleNetwork();
    CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");

    CloudRunEgressJob current = harness.get(seed);
    current.getSpec().getEgress().getConnector().setMaxInstances(5);
    harness.client.resource(current).update();

    OperatorHarness.awaitTrue(() -> harness.gcp.connector(CONNECTOR).map(c -> c.getMaxInstances() == 5 && c.getState() == Connector.State.READY).orElse(false));
    harness.awaitCondition(current, Conditions.READY, "True");
    assertThat(harness.gcp.vpcAccess().updateMasks(CONNECTOR)).containsExactly("minInstances,maxInstances");
    Connector patched = harness.gcp.connector(CONNECTOR).orElseThrow();
    assertThat(patched.getMinInstances()).isEqualTo(2);
    assertThat(patched.getMaxThroughput()).isEqualTo(500);
  }

  /** GCP writes over {@link #RESYNCS} resync intervals (2 s in the harness), once the last follow-up passes are done. */
  private long writesOverResyncs() {
    OperatorHarness.sleep(2_500);
    harness.gcp.calls().reset();
    OperatorHarness.sleep(RESYNCS * 2_000L);
    return harness.gcp.calls().writes();
  }

  private List<String> events(String reason) {
    return harness.client.v1().events().inNamespace("platform-agents").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason())).map(Event::getMessage).toList();
  }
}
