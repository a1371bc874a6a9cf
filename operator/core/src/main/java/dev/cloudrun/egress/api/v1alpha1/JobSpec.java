package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;
import lombok.Data;

/** The Cloud Run Job (v2) itself: every flag of `gcloud run jobs deploy` that the job needs. */
@Data
@ValidationRule(
    value = "!has(self.parallelism) || self.parallelism <= self.taskCount",
    message = "spec.job.parallelism must not exceed spec.job.taskCount: lower parallelism, raise taskCount, or set parallelism to 0 (as many as possible)",
    fieldPath = ".parallelism")
@ValidationRule(
    value = "!(self.cpu == '4') || self.memory.matches('" + CelPatterns.MEMORY_AT_LEAST_2GI + "')",
    message = "spec.job.memory must be at least 2Gi when spec.job.cpu is 4: raise memory to 2Gi or lower cpu",
    fieldPath = ".memory")
@ValidationRule(
    value = "!(self.cpu in ['6', '8']) || self.memory.matches('" + CelPatterns.MEMORY_AT_LEAST_4GI + "')",
    message = "spec.job.memory must be at least 4Gi when spec.job.cpu is 6 or 8: raise memory to 4Gi or lower cpu",
    fieldPath = ".memory")
// Cloud Run's minimum CPUs for a memory size, one rule per CPU value so that one cause gives one error
@ValidationRule(
    value = "self.cpu != '1' || !self.memory.matches('" + CelPatterns.MEMORY_MORE_THAN_4GI + "')",
    message = "spec.job.cpu must be at least 2 when spec.job.memory is more than 4Gi (Cloud Run's minimum CPUs for that memory): raise cpu to \"2\" or lower memory to 4Gi",
    fieldPath = ".cpu")
@ValidationRule(
    value = "self.cpu != '2' || !self.memory.matches('" + CelPatterns.MEMORY_MORE_THAN_8GI + "')",
    message = "spec.job.cpu must be at least 4 when spec.job.memory is more than 8Gi (Cloud Run's minimum CPUs for that memory): raise cpu to \"4\" or lower memory to 8Gi",
    fieldPath = ".cpu")
@ValidationRule(
    value = "self.cpu != '4' || !self.memory.matches('" + CelPatterns.MEMORY_MORE_THAN_16GI + "')",
    message = "spec.job.cpu must be at least 6 when spec.job.memory is more than 16Gi (Cloud Run's minimum CPUs for that memory): raise cpu to \"6\" or lower memory to 16Gi",
    fieldPath = ".cpu")
@ValidationRule(
    value = "self.cpu != '6' || !self.memory.matches('" + CelPatterns.MEMORY_MORE_THAN_24GI + "')",
    message = "spec.job.cpu must be 8 when spec.job.memory is more than 24Gi (Cloud Run's minimum CPUs for that memory): raise cpu to \"8\" or lower memory to 24Gi",
    fieldPath = ".cpu")
@ValidationRule(
    value = "!has(self.env) || !has(self.secretEnv) || self.secretEnv.all(s, !self.env.exists(e, e.name == s.name))",
    message = "spec.job.env and spec.job.secretEnv set the same variable: each variable must come from one of them only",
    fieldPath = ".secretEnv")
public class JobSpec {

  @Size(max = 63)
  @ValidationRule(
      value = "self.matches('^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$')",
      message = "spec.job.name must be a Cloud Run job ID: up to 63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen")
  @ValidationRule(
      value = "self == oldSelf",
      message = "spec.job.name is immutable: to rename the job create a new CloudRunEgressJob and delete this one")
  @JsonPropertyDescription("Cloud Run job ID (the NAME of `gcloud run jobs deploy NAME`). Defaults to metadata.name. Immutable.")
  private String name;

  @Required
  @Size(max = 1024)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.CONTAINER_IMAGE + "')",
      message = "spec.job.image must be a container image reference such as europe-west2-docker.pkg.dev/PROJECT/REPO/IMAGE:TAG or ...@sha256:DIGEST")
  @JsonPropertyDescription("Container image (--image), e.g. europe-west2-docker.pkg.dev/myproject/containers/my-agent:latest.")
  private String image;

  @Size(max = 64)
  @JsonPropertyDescription("Entrypoint override (--command). Empty keeps the image's ENTRYPOINT.")
  private List<String> command;

  @Size(max = 256)
  @JsonPropertyDescription("Arguments (--args). Empty keeps the image's CMD.")
  private List<String> args;

  @Size(max = 200)
  @ValidationRule(
      value = "self.all(e, self.exists_one(f, f.name == e.name))",
      message = "spec.job.env names must be unique: each variable once")
  @ValidationRule(
      value = "self.all(e, !(e.name in " + JobSpec.RESERVED_ENV + "))",
      message = "spec.job.env must not set variables Cloud Run sets itself (CLOUD_RUN_JOB, CLOUD_RUN_EXECUTION, CLOUD_RUN_TASK_INDEX, CLOUD_RUN_TASK_ATTEMPT, CLOUD_RUN_TASK_COUNT, PORT, K_SERVICE, K_REVISION, K_CONFIGURATION) or the operator's EGRESS_OPERATOR_RUN: rename the variable")
  @JsonPropertyDescription("Plain environment variables (--set-env-vars). Never put secrets here: use secretEnv.")
  private List<EnvVar> env;

  @Size(max = 100)
  @ValidationRule(
      value = "self.all(e, self.exists_one(f, f.name == e.name))",
      message = "spec.job.secretEnv names must be unique: each variable once")
  @ValidationRule(
      value = "self.all(e, !(e.name in " + JobSpec.RESERVED_ENV + "))",
      message = "spec.job.secretEnv must not set variables Cloud Run sets itself (CLOUD_RUN_JOB, CLOUD_RUN_EXECUTION, CLOUD_RUN_TASK_*, PORT, K_*) or the operator's EGRESS_OPERATOR_RUN: rename the variable")
  @JsonPropertyDescription("Environment variables filled from Secret Manager (--set-secrets NAME=SECRET:VERSION). Only the reference is stored here, never the value.")
  private List<SecretEnvVar> secretEnv;

  @Default("3")
  @Min(0)
  @Max(10)
  @JsonPropertyDescription("Retries per failed task before the task fails (--max-retries), 0-10. Default 3.")
  private Integer maxRetries = 3;

  @Default("10m")
  @Size(max = 20)
  @ValidationRule(
      value = "self != '' && self.matches('" + CelPatterns.DURATION + "') && duration(self) > duration('0s') && duration(self) <= duration('168h')",
      message = "spec.job.taskTimeout must be a duration between 1s and 168h written like 10m, 1h30m or 90s")
  @JsonPropertyDescription("Time limit for each task attempt (--task-timeout), e.g. 10m, 1h30m. Default 10m, at most 168h.")
  private String taskTimeout = "10m";

  @Default("1")
  @Min(1)
  @Max(10000)
  @JsonPropertyDescription("Number of tasks per execution (--tasks); each gets CLOUD_RUN_TASK_INDEX. Default 1.")
  private Integer taskCount = 1;

  @Min(0)
  @Max(10000)
  @JsonPropertyDescription("Tasks run at once (--parallelism), at most taskCount; 0 or unset runs as many as possible.")
  private Integer parallelism;

  @Default("1")
  @Size(max = 10)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.CPU + "')",
      message = "spec.job.cpu must be one of \"1\", \"2\", \"4\", \"6\", \"8\" (whole CPUs, quoted in YAML)")
  @JsonPropertyDescription("CPU limit per task (--cpu): \"1\", \"2\", \"4\", \"6\" or \"8\". Default \"1\". 4 CPUs need at least 2Gi of memory, 6 or 8 at least 4Gi; memory above 4Gi needs at least 2 CPUs, above 8Gi 4, above 16Gi 6, above 24Gi 8.")
  private String cpu = "1";

  @Default("512Mi")
  @Size(max = 10)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.MEMORY + "')",
      message = "spec.job.memory must be a whole number of Mi or Gi, such as 512Mi or 2Gi")
  @ValidationRule(
      value = "!self.matches('" + CelPatterns.MEMORY + "') || self.matches('" + CelPatterns.MEMORY_512MI_TO_32GI + "')",
      message = "spec.job.memory must be from 512Mi to 32Gi, the least and the most memory Cloud Run gives a job's task")
  @JsonPropertyDescription("Memory limit per task (--memory), in Mi or Gi, from 512Mi to 32Gi, e.g. 512Mi. Default 512Mi. See cpu for the CPUs each size needs.")
  private String memory = "512Mi";

  @Size(max = 50)
  @ValidationRule(
      value = "self.all(k, k.matches('" + CelPatterns.LABEL_KEY + "') && !k.startsWith('crej-'))",
      message = "spec.job.labels keys must be GCP label keys (lowercase letters, digits, _ and -, starting with a letter, at most 63) and must not start with crej- (reserved for the operator's ownership labels)")
  @ValidationRule(
      value = "self.all(k, self[k].matches('" + CelPatterns.LABEL_VALUE + "'))",
      message = "spec.job.labels values must be GCP label values: at most 63 lowercase letters, digits, _ and -")
  @JsonPropertyDescription("Labels on the Cloud Run Job (--labels). The operator adds its own crej-* ownership labels.")
  private Map<String, @Size(max = 63) String> labels;

  @Size(max = 100)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.SERVICE_ACCOUNT + "')",
      message = "spec.job.serviceAccount must be a service account email such as NAME@PROJECT.iam.gserviceaccount.com")
  @JsonPropertyDescription("Runtime service account email (--service-account). Unset uses the project's default compute service account.")
  private String serviceAccount;

  @Size(max = 300)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.KMS_KEY + "')",
      message = "spec.job.encryptionKey must be a Cloud KMS key path: projects/PROJECT/locations/REGION/keyRings/RING/cryptoKeys/KEY")
  @JsonPropertyDescription("Customer-managed encryption key for the job (--key), a Cloud KMS key in the job's region.")
  private String encryptionKey;

  /** Names Cloud Run sets in every task, and the operator's run id (RunPart.MARKER); a job may not set them itself. */
  static final String RESERVED_ENV =
      "['CLOUD_RUN_JOB', 'CLOUD_RUN_EXECUTION', 'CLOUD_RUN_TASK_INDEX', 'CLOUD_RUN_TASK_ATTEMPT', 'CLOUD_RUN_TASK_COUNT', 'PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION', 'EGRESS_OPERATOR_RUN']";

  /** A plain environment variable (of the job, or of a run's overrides). */
  @Data
  public static class EnvVar {
    @Required
    @Size(max = 255)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.ENV_NAME + "')",
        message = "env[].name must be an environment variable name: letters, digits and underscores, not starting with a digit")
    @JsonPropertyDescription("Variable name.")
    private String name;

    @Size(max = 32768)
    @JsonPropertyDescription("Value; empty when unset.")
    private String value;
  }

  /** An environment variable whose value Cloud Run reads from Secret Manager; it never passes through the operator. */
  @Data
  public static class SecretEnvVar {
    @Required
    @Size(max = 255)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.ENV_NAME + "')",
        message = "spec.job.secretEnv[].name must be an environment variable name: letters, digits and underscores, not starting with a digit")
    @JsonPropertyDescription("Variable name.")
    private String name;

    @Required
    @Size(max = 300)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.SECRET + "')",
        message = "spec.job.secretEnv[].secret must be a Secret Manager secret name (letters, digits, _ and -) or projects/PROJECT/secrets/NAME")
    @JsonPropertyDescription("Secret Manager secret name, or projects/PROJECT/secrets/NAME for a secret in another project.")
    private String secret;

    @Default("latest")
    @Size(max = 20)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.SECRET_VERSION + "')",
        message = "spec.job.secretEnv[].version must be latest or a secret version number such as 3")
    @JsonPropertyDescription("Secret version: latest (default) or a version number.")
    private String version = "latest";
  }
}
