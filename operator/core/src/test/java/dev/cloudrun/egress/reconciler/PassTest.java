package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import dev.cloudrun.egress.gcp.Inventory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The bookkeeping of intents and operations in status.operations, without GCP. */
class PassTest {

  /** Issue 12: status.operations had no bound. Past it a change waits, unrecorded, for room. */
  @Test
  void statusOperationsHasNoBound_aChangePastTheBoundWaitsUnrecorded() {
    CloudRunEgressJob cr = OperatorHarness.readExample("01-seed-github-static-ip.yaml").get(0);
    cr.getMetadata().setUid("uid-1");
    CloudRunEgressJobStatus status = new CloudRunEgressJobStatus();
    Clock clock = Clock.systemUTC();
    Services services = new Services(null, new Inventory(null, clock, Duration.ofMinutes(5)), null, WriteBudget.perSecond(0), new Attempts(),
        new Events(null, clock), new Metrics(new SimpleMeterRegistry()), clock);
    Pass pass = new Pass(cr, services, status, Duration.ofMinutes(5), Duration.ofMinutes(5), new Cluster() {
      @Override
      public java.util.Collection<CloudRunEgressJob> watched() {
        return java.util.List.of(cr);
      }

      @Override
      public java.util.List<CloudRunEgressJob> everywhere() {
        return java.util.List.of(cr);
      }

      @Override
      public boolean writeStatus(CloudRunEgressJob written, CloudRunEgressJobStatus before, CloudRunEgressJobStatus after) {
        throw new UnsupportedOperationException("no status write in this test");
      }

      @Override
      public CloudRunEgressJobStatus copy(CloudRunEgressJobStatus s) {
        throw new UnsupportedOperationException("no copy in this test");
      }
    });

    for (int i = 0; i < Pass.MAX_OPERATIONS; i++) {
      assertThat(pass.change("firewall", "create", "rule-" + i, () -> "never started").reason()).isEqualTo("Creating");
    }
    PartResult past = pass.change("firewall", "create", "rule-" + Pass.MAX_OPERATIONS, () -> "never started");

    assertThat(status.getOperations()).hasSize(Pass.MAX_OPERATIONS);
    assertThat(past.progress()).isEqualTo(PartResult.Progress.PROGRESSING);
    assertThat(past.message()).contains("rule-" + Pass.MAX_OPERATIONS).contains(Pass.MAX_OPERATIONS + " changes");
  }
}
