package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.diagnosis.PathPredictor;
import io.fabric8.kubernetes.api.model.Condition;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 row 3: a rule of anyone's that cuts the connector off from Google's serverless
 * infrastructure is predicted (ConnectorCutOff) and confirmed by the probe, which the fake fails
 * from the network alone (its checks through the connector time out).
 */
class DiagnosisPartTest {
  private static final String RESOURCE = "platform-agents/my-agent-5";

  @Test
  void aConnectorCutOffBySomeoneElsesDenyIsPredictedAndConfirmedByTheProbe() {
    try (World world = World.start(13, new Stats())) {
      world.run(new Step.Create("06-seed-egress-diagnosis.yaml", 0, "my-agent-5"));
      assertThat(condition(world, Conditions.EGRESS_REACHABLE).getStatus()).isEqualTo("True");

      world.run(new Step.OutOfBand(RESOURCE, Step.OutOfBandKind.CUT_OFF_CONNECTOR)); // settles, checks every invariant

      Condition egress = condition(world, Conditions.EGRESS_REACHABLE);
      assertThat(egress.getStatus()).isEqualTo("False");
      assertThat(egress.getReason()).isEqualTo(PathPredictor.CONNECTOR_CUT_OFF);
      assertThat(egress.getMessage()).contains("team-deny-", "priority 50", "The probe confirms it");
      assertThat(condition(world, Conditions.READY).getReason()).isEqualTo(PathPredictor.CONNECTOR_CUT_OFF);
    }
  }

  private static Condition condition(World world, String type) {
    CloudRunEgressJob cr = world.resource(RESOURCE).orElseThrow();
    return Invariants.condition(cr, type);
  }
}
