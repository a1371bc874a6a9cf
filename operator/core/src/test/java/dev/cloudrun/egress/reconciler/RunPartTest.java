package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.run.v2.Execution;
import com.google.protobuf.util.Timestamps;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.Run;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Runs of the job through the operator and the fake's official-client API: exactly once per
 * runToken and annotation value, across restarts and lost status writes; the concurrency
 * policies; every run's outcome in status and events, whoever started it.
 */
class RunPartTest {
  private static final String KEY = "platform-agents/my-agent";
  private static final String JOB = "projects/myproject/locations/europe-west2/jobs/my-agent";

  @Test
  void eachNewRunTokenStartsOneRunAndNothingRunsWhenNothingAsked() {
    try (World world = World.start(1, new Stats())) {
      world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent"));
      world.run(new Step.Restart());
      assertThat(world.gcp().executionsOf(JOB)).as("no run asked for").isEmpty();

      world.run(new Step.Edit(KEY, Step.EditKind.CHANGE_RUN_TOKEN, 0));
      assertThat(started(world, RunPart.RUN_TOKEN)).hasSize(1);
      world.run(new Step.Restart());
      world.run(new Step.Edit(KEY, Step.EditKind.CHANGE_IMAGE, 0));
      assertThat(started(world, RunPart.RUN_TOKEN)).as("an edit that keeps the token runs nothing").hasSize(1);

      world.run(new Step.Edit(KEY, Step.EditKind.CHANGE_RUN_TOKEN, 1));
      assertThat(started(world, RunPart.RUN_TOKEN)).hasSize(2);
      CloudRunEgressJob cr = world.resource(KEY).orElseThrow();
      Run last = cr.getStatus().getExecution().getLast();
      assertThat(last.getPhase()).isEqualTo("Succeeded");
      assertThat(last.getTrigger()).isEqualTo(RunPart.RUN_TOKEN);
      assertThat(cr.getStatus().getExecution().getLastSuccessful().getName()).isEqualTo(last.getName());
      assertThat(cr.getStatus().getExecution().getHistory()).hasSize(2);
      assertThat(Invariants.condition(cr, Conditions.RUN_SUCCEEDED).getStatus()).isEqualTo("True");
      assertThat(world.eventCount(KEY, "RunStarted")).isEqualTo(2);
      assertThat(world.eventCount(KEY, "RunSucceeded")).isEqualTo(2);
    }
  }

  /** The bar: one token change, one run, across 50 histories of random restarts, crashes and lost status writes. */
  @Test
  void oneRunPerTokenChangeAcrossRandomRestartsAndLostStatusWrites() {
    Stats stats = new Stats();
    long lostWrites = 0;
    for (long seed = 1; seed <= 50; seed++) {
      Random random = new Random(seed);
      try (World world = World.start(seed, stats)) {
        world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent"));
        int asked = 0;
        for (int step = 0; step < 6; step++) {
          switch (random.nextInt(4)) {
            case 0 -> world.run(new Step.Restart());
            case 1 -> world.run(new Step.CrashAtStatusWrite(1 + random.nextInt(3)));
            case 2 -> world.run(new Step.LoseStatusWrite(1 + random.nextInt(3)));
            default -> { }
          }
          world.run(new Step.Edit(KEY, Step.EditKind.CHANGE_RUN_TOKEN, random.nextInt(100)));
          asked++;
        }
        assertThat(started(world, RunPart.RUN_TOKEN)).as("seed %d", seed).hasSize(asked);
        lostWrites += world.lostWrites();
      }
    }
    // The faults the histories name did happen: crashes between a GCP call and the status write, and lost writes.
    assertThat(stats.crashes).as("crashes at a status write").isPositive();
    assertThat(lostWrites).as("status writes lost to another writer").isPositive();
  }

  /** jobs.run did its work but its answer was lost (a timeout): the retry finds the execution by its id. */
  @Test
  void aRunWhoseAnswerWasLostIsFoundNotStartedAgain() {
    try (World world = World.start(7, new Stats())) {
      world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent"));
      world.run(new Step.Fault(Step.FaultKind.LOST_RUN_ANSWER, 1));
      world.run(new Step.Edit(KEY, Step.EditKind.CHANGE_RUN_TOKEN, 0));
      assertThat(world.gcp().calls().count("run", "jobs.run", 503)).as("the answer was lost").isEqualTo(1);
      assertThat(started(world, RunPart.RUN_TOKEN)).hasSize(1);
      assertThat(world.resource(KEY).orElseThrow().getStatus().getExecution().getLast().getPhase()).isEqualTo("Succeeded");
      world.run(new Step.Fault(Step.FaultKind.LOST_RUN_ANSWER, 1));
      world.run(new Step.RequestRun(KEY));
      assertThat(started(world, RunPart.ANNOTATION)).hasSize(1);
    }
  }

  /**
   * A value replaced while its run waits (Forbid, someone's run in progress) never runs: the
   * newer one does. The replacement comes while the process is down, after the wait was recorded.
   */
  @Test
  void aTokenReplacedWhileItsRunWaitsIsSkippedForTheNewerOne() {
    try (World world = World.start(8, new Stats())) {
      world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent"));
      world.run(new Step.Together(List.of(new Step.OutOfBand(KEY, Step.OutOfBandKind.RUN_JOB_BY_HAND),
          new Step.Edit(KEY, Step.EditKind.CHANGE_RUN_TOKEN, 0),
          new Step.CrashThenEdit(2, KEY, Step.EditKind.CHANGE_RUN_TOKEN, 1))));

      CloudRunEgressJob cr = world.resource(KEY).orElseThrow();
      assertThat(cr.getSpec().getExecution().getRunToken()).isEqualTo("deploy-2");
      assertThat(cr.getStatus().getExecution().getRunToken()).isEqualTo("deploy-2");
      assertThat(world.eventCount(KEY, "RunSkipped")).isEqualTo(1);
      assertThat(started(world, RunPart.RUN_TOKEN)).as("only the newer value ran").hasSize(1);
    }
  }

  @Test
  void eachNewAnnotationValueStartsOneRun() {
    try (World world = World.start(2, new Stats())) {
      world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent"));
      world.run(new Step.CrashAtStatusWrite(2));
      world.run(new Step.RequestRun(KEY));
      world.run(new Step.Restart());
      assertThat(started(world, RunPart.ANNOTATION)).hasSize(1);
      world.run(new Step.RequestRun(KEY));
      assertThat(started(world, RunPart.ANNOTATION)).hasSize(2);
      CloudRunEgressJob cr = world.resource(KEY).orElseThrow();
      assertThat(cr.getStatus().getExecution().getRunRequest()).isEqualTo(ReconcileTriggers.annotation(cr, ReconcileTriggers.RUN_REQUESTED));
    }
  }

  /** A token and an annotation at once: two runs; how they overlap is the concurrency policy's. */
  @Test
  void forbidRunsTheSecondAfterTheFirstEnds() {
    List<Execution> runs = twoRunsAtOnce(null);
    assertThat(runs).hasSize(2);
    assertThat(Timestamps.compare(runs.get(1).getCreateTime(), runs.get(0).getCompletionTime())).isGreaterThanOrEqualTo(0);
    assertThat(RunPart.phase(runs.get(0))).isEqualTo("Succeeded");
  }

  @Test
  void allowRunsTheSecondWhileTheFirstRuns() {
    List<Execution> runs = twoRunsAtOnce(Step.EditKind.CHANGE_CONCURRENCY_POLICY);
    assertThat(runs).hasSize(2);
    assertThat(Timestamps.compare(runs.get(1).getCreateTime(), runs.get(0).getCompletionTime())).isLessThan(0);
    assertThat(RunPart.phase(runs.get(0))).isEqualTo("Succeeded");
    assertThat(RunPart.phase(runs.get(1))).isEqualTo("Succeeded");
  }

  @Test
  void replaceCancelsTheFirstRun() {
    List<Execution> runs = twoRunsAtOnce(Step.EditKind.CHANGE_CONCURRENCY_POLICY, 1);
    assertThat(runs).hasSize(2);
    assertThat(RunPart.phase(runs.get(0))).isEqualTo("Cancelled");
    assertThat(RunPart.phase(runs.get(1))).isEqualTo("Succeeded");
  }

  private static List<Execution> twoRunsAtOnce(Step.EditKind policy) {
    return twoRunsAtOnce(policy, 0);
  }

  /** choice 0 of CHANGE_CONCURRENCY_POLICY from Forbid is Allow, 1 is Replace. */
  private static List<Execution> twoRunsAtOnce(Step.EditKind policy, int choice) {
    try (World world = World.start(3, new Stats())) {
      world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent"));
      if (policy != null) {
        world.run(new Step.Edit(KEY, policy, choice + 1));
      }
      world.run(new Step.Together(List.of(new Step.Edit(KEY, Step.EditKind.CHANGE_RUN_TOKEN, 0), new Step.RequestRun(KEY))));
      // The token's run first: it is asked first (the second may start at the same instant).
      List<Execution> runs = new ArrayList<>(started(world, RunPart.RUN_TOKEN));
      runs.addAll(started(world, RunPart.ANNOTATION));
      return runs;
    }
  }

  @Test
  void aFailedTaskIsReportedWithItsExitCodeAndLogLink() {
    try (World world = World.start(4, new Stats())) {
      world.gcp().run().taskBehaviour((job, execution, task, state) -> task.getIndex() == 0 ? 3 : 0);
      world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent"));
      world.run(new Step.Edit(KEY, Step.EditKind.CHANGE_RUN_TOKEN, 0));

      CloudRunEgressJob cr = world.resource(KEY).orElseThrow();
      Run last = cr.getStatus().getExecution().getLast();
      assertThat(last.getPhase()).isEqualTo("Failed");
      assertThat(last.getFailedTasks()).hasSize(1);
      assertThat(last.getFailedTasks().get(0).getIndex()).isZero();
      assertThat(last.getFailedTasks().get(0).getExitCode()).isEqualTo(3);
      assertThat(last.getFailedTasks().get(0).getLogUri()).startsWith("https://console.cloud.google.com/logs/");
      assertThat(cr.getStatus().getExecution().getLastSuccessful()).isNull();
      assertThat(Invariants.condition(cr, Conditions.RUN_SUCCEEDED).getStatus()).isEqualTo("False");
      assertThat(Invariants.condition(cr, Conditions.READY).getStatus()).as("a failed run is not a broken deployment").isEqualTo("True");
      assertThat(world.eventsOf(KEY)).anySatisfy(e -> assertThat(e).startsWith("Warning RunFailed").contains("Task 0 exited with code 3")
          .contains("logs: https://console.cloud.google.com/logs/"));
    }
  }

  @Test
  void aRunStartedOutsideTheOperatorIsReported() {
    try (World world = World.start(5, new Stats())) {
      world.run(new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent"));
      world.run(new Step.OutOfBand(KEY, Step.OutOfBandKind.RUN_JOB_BY_HAND));

      CloudRunEgressJob cr = world.resource(KEY).orElseThrow();
      Run last = cr.getStatus().getExecution().getLast();
      assertThat(last.getTrigger()).isEqualTo(RunPart.MANUAL);
      assertThat(last.getCreator()).isNotBlank();
      assertThat(last.getPhase()).isEqualTo("Succeeded");
      assertThat(started(world, RunPart.RUN_TOKEN)).isEmpty();
      assertThat(world.eventCount(KEY, "RunSucceeded")).isEqualTo(1);
    }
  }

  /** Executions of {@link #JOB} the operator started for {@code trigger}. */
  private static List<Execution> started(World world, String trigger) {
    return started(world, JOB, trigger);
  }

  static List<Execution> started(World world, String job, String trigger) {
    String prefix = trigger.equals(RunPart.RUN_TOKEN) ? "t-" : "a-";
    return world.gcp().executionsOf(job).stream().filter(e -> RunPart.marker(e) != null && RunPart.marker(e).startsWith(prefix)).toList();
  }
}
