package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Example 04: two jobs share one connector and one router + NAT; the last claimant deletes them. */
class SharedInfrastructureTest {
  private static final String CONNECTOR = "projects/myproject/locations/europe-west2/connectors/shared-conn-euw2";
  private OperatorHarness harness;
  private CloudRunEgressJob plan;
  private CloudRunEgressJob apply;

  @BeforeEach
  void bothReady() {
    harness = OperatorHarness.withExampleNetwork();
    List<CloudRunEgressJob> applied = harness.applyExample("04-shared-connector.yaml");
    plan = harness.awaitCondition(applied.get(0), Conditions.READY, "True");
    apply = harness.awaitCondition(applied.get(1), Conditions.READY, "True");
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void oneConnectorAndOneNatServeBothAndStatusCountsTheirClaimants() {
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.create")).isEqualTo(1);
    assertThat(harness.gcp.calls().count("compute", "routers.insert")).isEqualTo(1);
    for (CloudRunEgressJob cr : List.of(plan, apply)) {
      CloudRunEgressJob current = harness.await(cr, c -> c.getStatus().getConnector().getSharedBy() == 2 && c.getStatus().getNat().getSharedBy() == 2,
          java.time.Duration.ofSeconds(30));
      assertThat(current.getStatus().getConnector().getName()).isEqualTo(CONNECTOR);
      assertThat(current.getStatus().getEgressIPs()).hasSize(1);
    }
    assertThat(harness.get(plan).getStatus().getEgressIPs()).isEqualTo(harness.get(apply).getStatus().getEgressIPs());
  }

  @Test
  void deletingOneKeepsTheSharedObjectsAndDeletingBothRemovesThem() {
    harness.client.resource(harness.get(plan)).delete();
    harness.awaitGone(plan);
    assertThat(harness.gcp.job("projects/myproject/locations/europe-west2/jobs/infra-plan")).isEmpty();
    assertThat(harness.gcp.connector(CONNECTOR)).isPresent();
    assertThat(harness.gcp.router("myproject", "europe-west2", "egress-router-europe-west2")).isPresent();
    assertThat(harness.gcp.address("myproject", "europe-west2", "github-egress-ip")).isPresent();
    CloudRunEgressJob survivor = harness.await(apply, c -> c.getStatus().getConnector().getSharedBy() == 1, java.time.Duration.ofSeconds(30));
    assertThat(condition(survivor, Conditions.READY).getStatus()).isEqualTo("True");

    harness.client.resource(harness.get(apply)).delete();
    harness.awaitGone(apply);
    assertThat(harness.gcp.connector(CONNECTOR)).isEmpty();
    assertThat(harness.gcp.router("myproject", "europe-west2", "egress-router-europe-west2")).isEmpty();
    assertThat(harness.gcp.address("myproject", "europe-west2", "github-egress-ip")).isEmpty();
  }

  @Test
  void aLaterClaimWithOtherSettingsIsRefusedAndChangesNothing() {
    CloudRunEgressJob bigger = harness.client.getKubernetesSerialization().clone(harness.get(apply));
    bigger.setMetadata(new ObjectMeta());
    bigger.getMetadata().setName("infra-destroy");
    bigger.getMetadata().setNamespace("platform-agents");
    bigger.getSpec().getJob().setName(null);
    bigger.getSpec().getEgress().getConnector().setMaxInstances(6);
    bigger.setStatus(null);
    bigger = harness.client.resource(bigger).create();

    CloudRunEgressJob refused = harness.awaitCondition(bigger, Conditions.CONNECTOR_READY, "False");
    assertThat(condition(refused, Conditions.CONNECTOR_READY).getReason()).isEqualTo("SharedSpecConflict");
    assertThat(condition(refused, Conditions.CONNECTOR_READY).getMessage()).contains("infra-plan").contains(CONNECTOR);
    assertThat(harness.gcp.connector(CONNECTOR).orElseThrow().getMaxInstances()).isEqualTo(4);
    // The job must not run on a connector it disagrees with.
    assertThat(harness.gcp.job("projects/myproject/locations/europe-west2/jobs/infra-destroy")).isEmpty();
  }
}
