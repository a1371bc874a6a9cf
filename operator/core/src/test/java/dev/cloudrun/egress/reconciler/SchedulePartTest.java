package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.scheduler.v1.Job;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.Run;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * spec.execution.schedule through the operator and the fake's Cloud Scheduler: the job it makes,
 * its firing on the fake clock reported as a scheduled run, suspend, and deletion with the spec
 * and with the resource. Drift of its fields is in {@link OwnedFieldDriftTest} (example 09).
 */
class SchedulePartTest {
  private static final String KEY = "platform-agents/my-agent-9";
  private static final String RUN_JOB = "projects/myproject/locations/europe-west2/jobs/my-agent-9";
  private static final String SCHEDULE = RUN_JOB + "-schedule";
  private static final String INVOKER = "scheduler-invoker@myproject.iam.gserviceaccount.com";

  @Test
  void theScheduleCallsTheJobsRunEndpointAsTheInvokerAndItsFiringIsReported() {
    try (World world = World.start(9, new Stats())) {
      world.letSchedulesFire();
      world.run(new Step.Create("09-seed-nightly-and-after-each-release.yaml", 0, "my-agent-9"));

      Job schedule = world.gcp().schedulerJob(SCHEDULE).orElseThrow();
      assertThat(schedule.getSchedule()).isEqualTo("0 2 * * *");
      assertThat(schedule.getTimeZone()).isEqualTo("Europe/London");
      assertThat(schedule.getHttpTarget().getUri()).isEqualTo("https://run.googleapis.com/v2/" + RUN_JOB + ":run");
      assertThat(schedule.getHttpTarget().getOauthToken().getServiceAccountEmail()).isEqualTo(INVOKER);
      assertThat(schedule.getState()).isEqualTo(Job.State.ENABLED);
      CloudRunEgressJob cr = world.resource(KEY).orElseThrow();
      assertThat(Invariants.condition(cr, Conditions.SCHEDULE_READY).getStatus()).isEqualTo("True");
      assertThat(cr.getStatus().getExecution().getSchedule().getNextRunTime()).isEqualTo("2025-01-01T02:00:00Z"); // London is on UTC in January

      // Time passes (a restart is a step that lets the world settle through three resync intervals) past 02:00.
      Optional<Run> scheduled = Optional.empty();
      for (int step = 0; step < 20 && scheduled.isEmpty(); step++) {
        world.run(new Step.Restart());
        scheduled = world.resource(KEY).orElseThrow().getStatus().getExecution().getHistory().stream()
            .filter(r -> r.getTrigger().equals(RunPart.SCHEDULE)).findFirst();
      }
      assertThat(scheduled).as("a run started by the schedule, reported").isPresent();
      assertThat(scheduled.get().getCreator()).isEqualTo(INVOKER);
      assertThat(scheduled.get().getPhase()).isEqualTo("Succeeded");
      cr = world.resource(KEY).orElseThrow();
      assertThat(cr.getStatus().getExecution().getSchedule().getLastAttemptStatus()).isEqualTo("OK");
      assertThat(cr.getStatus().getExecution().getSchedule().getNextRunTime()).isEqualTo("2025-01-02T02:00:00Z");
      assertThat(RunPartTest.started(world, RUN_JOB, RunPart.RUN_TOKEN)).as("the token's run, once").hasSize(1);
    }
  }

  @Test
  void suspendPausesTheScheduleAndRemovingItDeletesIt() {
    try (World world = World.start(10, new Stats())) {
      world.run(new Step.Create("09-seed-nightly-and-after-each-release.yaml", 0, "my-agent-9"));
      world.run(new Step.Edit(KEY, Step.EditKind.SUSPEND_SCHEDULE, 0));
      assertThat(world.gcp().schedulerJob(SCHEDULE).orElseThrow().getState()).isEqualTo(Job.State.PAUSED);
      assertThat(Invariants.condition(world.resource(KEY).orElseThrow(), Conditions.SCHEDULE_READY).getReason()).isEqualTo("Suspended");

      world.run(new Step.Edit(KEY, Step.EditKind.TOGGLE_SCHEDULE, 0));
      assertThat(world.gcp().schedulerJob(SCHEDULE)).isEmpty();
      assertThat(world.resource(KEY).orElseThrow().getStatus().getConditions()).noneMatch(c -> c.getType().equals(Conditions.SCHEDULE_READY));

      world.run(new Step.Edit(KEY, Step.EditKind.TOGGLE_SCHEDULE, 0));
      assertThat(world.gcp().schedulerJob(SCHEDULE)).isPresent();
      world.run(new Step.Delete(KEY));
      assertThat(world.gcp().schedulerJob(SCHEDULE)).as("deleted with the resource").isEmpty();
    }
  }
}
