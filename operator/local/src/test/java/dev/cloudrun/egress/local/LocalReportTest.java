package dev.cloudrun.egress.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.FailedTask;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.Run;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.RunRequest;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.RunsStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ScheduleStatus;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The runs section of local mode's report for what the fake's runs in local mode do not show (they
 * succeed): a failed run with its tasks' exit codes, a cancelled one, a run still asked for, a
 * schedule never fired.
 */
class LocalReportTest {
  @Test
  void showsEachRunsOutcomeWithTheExitCodesOfItsFailedTasks() throws IOException {
    CloudRunEgressJob cr = Serialization.unmarshal(
        Files.readString(Manifests.projectRoot().resolve("examples/09-seed-nightly-and-after-each-release.yaml")), CloudRunEgressJob.class);
    RunsStatus runs = new RunsStatus();
    Run failed = run("my-agent-9-f41ed", "Schedule", "Failed", 4, 2, 2, 0);
    failed.setReason("Execution failed: 2 tasks failed.");
    failed.setFailedTasks(List.of(task(1, 3, "Task 1 exited with code 3.", "https://console.cloud.google.com/logs/viewer?t=1"), task(3, null, null, null)));
    Run cancelled = run("my-agent-9-c4nc3", "Manual", "Cancelled", 1, 0, 0, 1);
    cancelled.setReason("Execution was cancelled by someone@example.com.");
    runs.setHistory(List.of(failed, cancelled, run("my-agent-9-0k0k0", "RunToken", "Succeeded", 1, 1, 0, 0)));
    RunRequest request = new RunRequest();
    request.setTrigger("Annotation");
    request.setValue("2026-12-01T09:00:00Z");
    request.setWaiting("Waiting for the job to be ready: it is being updated.");
    runs.setRequest(request);
    ScheduleStatus schedule = new ScheduleStatus();
    schedule.setName("projects/myproject/locations/europe-west2/jobs/my-agent-9-schedule");
    schedule.setState("PAUSED");
    runs.setSchedule(schedule);
    cr.setStatus(new CloudRunEgressJobStatus());
    cr.getStatus().setExecution(runs);

    StringWriter text = new StringWriter();
    PrintWriter out = new PrintWriter(text);
    new LocalReport(out, null).runs(cr);
    out.flush();

    assertThat(text.toString()).isEqualTo("""
          platform-agents/my-agent-9
            EXECUTION          TRIGGER    PHASE       TASKS                            STARTED                COMPLETED
            my-agent-9-f41ed   Schedule   Failed      4 tasks: 2 succeeded, 2 failed   2026-12-02T02:00:00Z   2026-12-02T02:01:00Z
              task 1 exited with code 3: Task 1 exited with code 3. (logs https://console.cloud.google.com/logs/viewer?t=1)
              task 3 did not finish
            my-agent-9-c4nc3   Manual     Cancelled   1 task: 1 cancelled              2026-12-02T02:00:00Z   2026-12-02T02:01:00Z
              Execution was cancelled by someone@example.com.
            my-agent-9-0k0k0   RunToken   Succeeded   1 task: 1 succeeded              2026-12-02T02:00:00Z   2026-12-02T02:01:00Z
            asked for, not started: Annotation 2026-12-01T09:00:00Z (Waiting for the job to be ready: it is being updated.)
            schedule my-agent-9-schedule: PAUSED, never fired
        """);
  }

  private static Run run(String id, String trigger, String phase, int tasks, int succeeded, int failed, int cancelled) {
    Run run = new Run();
    run.setName("projects/myproject/locations/europe-west2/jobs/my-agent-9/executions/" + id);
    run.setTrigger(trigger);
    run.setPhase(phase);
    run.setTaskCount(tasks);
    run.setSucceeded(succeeded);
    run.setFailed(failed);
    run.setCancelled(cancelled);
    run.setStartTime("2026-12-02T02:00:00.123456Z");
    run.setCompletionTime("2026-12-02T02:01:00.5Z");
    return run;
  }

  private static FailedTask task(int index, Integer exitCode, String message, String logUri) {
    FailedTask task = new FailedTask();
    task.setIndex(index);
    task.setExitCode(exitCode);
    task.setMessage(message);
    task.setLogUri(logUri);
    return task;
  }
}
