package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import org.junit.jupiter.api.Test;

/** Names derived from the job's stay within GCP's 63 characters and apart from each other. */
class TargetsTest {
  private static final String JOBS = "projects/myproject/locations/europe-west2/jobs/";

  @Test
  void aShortJobKeepsItsNameInTheDerivedOnes() {
    Targets targets = Targets.of(seedWithJob("my-agent-4"));
    assertThat(targets.probeJobPath(ProbeJobPart.SUFFIX)).isEqualTo(JOBS + "my-agent-4-egress-probe");
    assertThat(targets.denyRuleName()).isEqualTo("crej-my-agent-4-deny-all");
  }

  @Test
  void longJobsThatShareAPrefixGetDistinctNamesWithinTheLimit() {
    String prefix = "nightly-infrastructure-drift-report-for-the-platform-team-";
    Targets east = Targets.of(seedWithJob(prefix + "east"));
    Targets west = Targets.of(seedWithJob(prefix + "west"));
    for (Targets targets : new Targets[] {east, west}) {
      assertThat(targets.probeJobPath(ProbeJobPart.SUFFIX).substring(JOBS.length())).hasSizeLessThanOrEqualTo(63).endsWith("-egress-probe");
      assertThat(targets.denyRuleName()).hasSizeLessThanOrEqualTo(63).startsWith("crej-nightly-").endsWith("-deny-all");
    }
    assertThat(east.probeJobPath(ProbeJobPart.SUFFIX)).isNotEqualTo(west.probeJobPath(ProbeJobPart.SUFFIX));
    assertThat(east.denyRuleName()).isNotEqualTo(west.denyRuleName());
  }

  private static CloudRunEgressJob seedWithJob(String jobName) {
    CloudRunEgressJob cr = OperatorHarness.readExample("01-seed-github-static-ip.yaml").get(0);
    cr.getSpec().getJob().setName(jobName);
    return cr;
  }
}
