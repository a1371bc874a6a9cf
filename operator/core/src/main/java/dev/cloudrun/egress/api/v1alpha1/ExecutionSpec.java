package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;

/**
 * Runs of the job the operator starts: one for each new runToken (from Git) and each new value of
 * the run-requested-at annotation (from kubectl), with the overrides given here.
 */
@Data
public class ExecutionSpec {
  @Size(max = 128)
  @ValidationRule(
      value = "self != ''",
      message = "spec.execution.runToken must not be empty: remove the field to ask for no run, or set any new value (a date, a commit) to start one")
  @JsonPropertyDescription("Any text; each new value starts exactly one execution of the job (the first value too, once the job is ready)."
      + " Unchanged, nothing runs. Change it in Git to run a migration or a backfill after a deploy.")
  private String runToken;

  @Default("Forbid")
  @JsonPropertyDescription("What a run the operator is asked for does while an execution of the job is still running (whoever started it)."
      + " Forbid (default): it waits until none runs. Allow: it starts at once. Replace: the running executions are cancelled and it starts.")
  private ConcurrencyPolicy concurrencyPolicy = ConcurrencyPolicy.Forbid;

  @JsonPropertyDescription("Overrides for the runs the operator starts, as gcloud run jobs execute --args, --update-env-vars, --tasks and --task-timeout give them.")
  private RunOverrides overrides;

  @JsonPropertyDescription("Runs on a cron schedule, by a Cloud Scheduler job the operator manages: it fires while the operator is down.")
  private ScheduleSpec schedule;

  public enum ConcurrencyPolicy {
    Forbid,
    Allow,
    Replace
  }

  /** A Cloud Scheduler job that calls the job's :run endpoint with an OAuth token of the invoker service account. */
  @Data
  public static class ScheduleSpec {
    @Required
    @Size(max = 100)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.CRON + "')",
        message = "spec.execution.schedule.cron must be a unix-cron schedule of five fields, such as \"0 3 * * *\" (03:00 every day)")
    @JsonPropertyDescription("When to run, in unix-cron (minute hour day-of-month month day-of-week), e.g. \"0 3 * * *\".")
    private String cron;

    @Required
    @Size(max = 64)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.TIME_ZONE + "')",
        message = "spec.execution.schedule.timeZone must be a tz database name such as Europe/London or UTC")
    @JsonPropertyDescription("The time zone of cron, from the tz database (Europe/London, UTC). Required: a schedule without one silently runs in UTC.")
    private String timeZone;

    @Required
    @Size(max = 100)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.SERVICE_ACCOUNT + "')",
        message = "spec.execution.schedule.serviceAccount must be a service account email such as NAME@PROJECT.iam.gserviceaccount.com")
    @JsonPropertyDescription("The invoker: the service account whose OAuth token Cloud Scheduler sends to the job's :run endpoint. It needs roles/run.invoker on the job"
        + " (and the operator iam.serviceAccounts.actAs on it).")
    private String serviceAccount;

    @Default("0")
    @Min(0)
    @Max(5)
    @JsonPropertyDescription("How many times Cloud Scheduler retries a firing whose :run call failed, 0-5. Default 0: a :run that reached Cloud Run started an execution, and a retry could start a second one.")
    private Integer retryCount = 0;

    @Default("3m")
    @Size(max = 20)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.DURATION + "') && duration(self) >= duration('15s') && duration(self) <= duration('30m')",
        message = "spec.execution.schedule.attemptDeadline must be a duration from 15s to 30m, such as 3m")
    @JsonPropertyDescription("How long Cloud Scheduler waits for the :run call to answer, 15s-30m. Default 3m.")
    private String attemptDeadline = "3m";

    @Default("false")
    @JsonPropertyDescription("True pauses the schedule (the Cloud Scheduler job is PAUSED) without deleting it.")
    private Boolean suspend = false;

    @JsonPropertyDescription("Overrides for the scheduled runs, sent in the body of each :run call; unset sends spec.execution.overrides.")
    private RunOverrides overrides;
  }

  /** RunJobRequest.overrides, one field each: the job itself is not changed. */
  @Data
  public static class RunOverrides {
    @Size(max = 256)
    @JsonPropertyDescription("Arguments that replace the job's args for the run (--args). Unset keeps the job's.")
    private List<String> args;

    @Size(max = 50)
    @ValidationRule(
        value = "self.all(e, self.exists_one(f, f.name == e.name))",
        message = "overrides.env names must be unique: each variable once")
    @ValidationRule(
        value = "self.all(e, !(e.name in " + JobSpec.RESERVED_ENV + "))",
        message = "overrides.env must not set variables Cloud Run sets itself (CLOUD_RUN_JOB, CLOUD_RUN_EXECUTION, CLOUD_RUN_TASK_*, PORT, K_*) or the operator's EGRESS_OPERATOR_RUN: rename the variable")
    @JsonPropertyDescription("Plain variables merged over the job's for the run (--update-env-vars): same name replaces, new names are added.")
    private List<JobSpec.EnvVar> env;

    @Min(1)
    @Max(10000)
    @JsonPropertyDescription("Number of tasks for the run (--tasks). Unset keeps the job's.")
    private Integer taskCount;

    @Size(max = 20)
    @ValidationRule(
        value = "self != '' && self.matches('" + CelPatterns.DURATION + "') && duration(self) > duration('0s') && duration(self) <= duration('168h')",
        message = "overrides.timeout must be a duration between 1s and 168h written like 10m, 1h30m or 90s")
    @JsonPropertyDescription("Time limit for each task attempt of the run (--task-timeout), e.g. 1h. Unset keeps the job's.")
    private String timeout;
  }
}
