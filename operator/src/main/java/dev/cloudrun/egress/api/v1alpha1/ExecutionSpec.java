package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
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

  public enum ConcurrencyPolicy {
    Forbid,
    Allow,
    Replace
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
        message = "spec.execution.overrides.env names must be unique: each variable once")
    @ValidationRule(
        value = "self.all(e, !(e.name in " + JobSpec.RESERVED_ENV + "))",
        message = "spec.execution.overrides.env must not set variables Cloud Run sets itself (CLOUD_RUN_JOB, CLOUD_RUN_EXECUTION, CLOUD_RUN_TASK_*, PORT, K_*): rename the variable")
    @JsonPropertyDescription("Plain variables merged over the job's for the run (--update-env-vars): same name replaces, new names are added.")
    private List<JobSpec.EnvVar> env;

    @Min(1)
    @Max(10000)
    @JsonPropertyDescription("Number of tasks for the run (--tasks). Unset keeps the job's.")
    private Integer taskCount;

    @Size(max = 20)
    @ValidationRule(
        value = "self != '' && self.matches('" + CelPatterns.DURATION + "') && duration(self) > duration('0s') && duration(self) <= duration('168h')",
        message = "spec.execution.overrides.timeout must be a duration between 1s and 168h written like 10m, 1h30m or 90s")
    @JsonPropertyDescription("Time limit for each task attempt of the run (--task-timeout), e.g. 1h. Unset keeps the job's.")
    private String timeout;
  }
}
