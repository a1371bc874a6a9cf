package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.LaunchStage;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ResourceRequirements;
import com.google.cloud.run.v2.TaskTemplate;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Ledger 9l: fields GCP fills or answers in its own form, with values it does not publish, are no
 * drift: otherwise each would be a perpetual update on real GCP, which the fake cannot show.
 */
class CloudRunJobPartTest {

  @Test
  void limitsInAnotherFormAreTheSameAmounts() {
    assertThat(CloudRunJobPart.sameQuantities(Map.of("cpu", "1", "memory", "1Gi"), Map.of("cpu", "1000m", "memory", "1024Mi"))).isTrue();
    assertThat(CloudRunJobPart.sameQuantities(Map.of("cpu", "2", "memory", "512Mi"), Map.of("cpu", "2", "memory", "536870912"))).isTrue();
  }

  @Test
  void otherAmountsOrAnotherSetOfLimitsDiffer() {
    assertThat(CloudRunJobPart.sameQuantities(Map.of("cpu", "1"), Map.of("cpu", "2"))).isFalse();
    assertThat(CloudRunJobPart.sameQuantities(Map.of("cpu", "1", "memory", "1Gi"), Map.of("cpu", "1"))).isFalse();
    assertThat(CloudRunJobPart.sameQuantities(Map.of("cpu", "one"), Map.of("cpu", "two"))).as("not quantities: compared as text").isFalse();
  }

  @Test
  void parallelismGcpFilledCountsOnlyWhenTheSpecSetsIt() {
    Job unset = job(0, "1");
    assertThat(CloudRunJobPart.KIND.differences(unset, job(4, "1"))).isEmpty();
    assertThat(CloudRunJobPart.KIND.differences(job(2, "1"), job(4, "1"))).containsExactly("parallelism");
  }

  @Test
  void aCpuLimitAnsweredInMillicoresIsNoDrift() {
    assertThat(CloudRunJobPart.KIND.differences(job(0, "1"), job(0, "1000m"))).isEmpty();
    assertThat(CloudRunJobPart.KIND.differences(job(0, "1"), job(0, "2"))).containsExactly("resources.limits");
  }

  /** Ledger 6: a task timeout over 24 h was Preview; the job is sent with launch stage BETA, and taken. */
  @Test
  void aTaskTimeoutOverADayIsSentWithLaunchStageBeta() {
    try (World world = World.start(6, new Stats())) {
      world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent-4"));
      world.run(new Step.Edit("platform-agents/my-agent-4", Step.EditKind.CHANGE_TASK_TIMEOUT, 1)); // 30h

      Job job = world.gcp().job("projects/myproject/locations/europe-west2/jobs/my-agent-4").orElseThrow();
      assertThat(job.getTemplate().getTemplate().getTimeout().getSeconds()).isEqualTo(30 * 3600);
      assertThat(job.getLaunchStage()).isEqualTo(LaunchStage.BETA);
      assertThat(Invariants.condition(world.resource("platform-agents/my-agent-4").orElseThrow(), Conditions.READY).getStatus()).isEqualTo("True");
    }
  }

  private static Job job(int parallelism, String cpu) {
    return Job.newBuilder().setName("projects/p/locations/europe-west2/jobs/agent").setTemplate(ExecutionTemplate.newBuilder()
        .setTaskCount(1).setParallelism(parallelism)
        .setTemplate(TaskTemplate.newBuilder().addContainers(Container.newBuilder().setImage("image")
            .setResources(ResourceRequirements.newBuilder().putLimits("cpu", cpu).putLimits("memory", "512Mi"))))).build();
  }
}
