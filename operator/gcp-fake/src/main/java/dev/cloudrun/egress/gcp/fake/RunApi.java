package dev.cloudrun.egress.gcp.fake;

import com.google.api.LaunchStage;
import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.ExecutionReference;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ListExecutionsResponse;
import com.google.cloud.run.v2.ListJobsResponse;
import com.google.cloud.run.v2.ListTasksResponse;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.TaskAttemptResult;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.VpcAccess;
import com.google.longrunning.Operation;
import com.google.protobuf.Message;
import com.google.protobuf.util.Timestamps;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Cloud Run Admin v2: jobs, their executions and tasks. An execution's tasks all start when it is
 * created (parallelism is not simulated); each attempt lasts {@link Latencies.Kind#TASK} and ends
 * with the exit code the {@link TaskBehaviour} picks.
 */
public final class RunApi {
  private static final String API = "run";
  static final String USER = "fake-gcp@example.com";
  private static final Pattern JOB_ID = Pattern.compile("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$");
  private static final Set<String> RESERVED_NAMESPACES =
      Set.of("run.googleapis.com", "cloud.googleapis.com", "serving.knative.dev", "autoscaling.knative.dev");
  private static final int DEFAULT_PAGE_SIZE = 100;

  private final Simulation sim;
  private final Faults faults;
  private final GcpState state;
  private final Store<Job> jobs = new Store<>();
  private final Store<Execution> executions = new Store<>();
  private final Store<Task> tasks = new Store<>();
  private final LongRunningOperations operations = new LongRunningOperations();
  /** Execution name to the run operation that completes with it. */
  private final Map<String, String> runOperations = new HashMap<>();
  private volatile TaskBehaviour taskBehaviour = TaskBehaviour.SUCCEED;
  private final EgressProbeSimulation egressProbe = new EgressProbeSimulation();

  RunApi(Simulation sim, Faults faults, GcpState state) {
    this.sim = sim;
    this.faults = faults;
    this.state = state;
  }

  void register(Routes routes) {
    String location = "/v2/projects/{project}/locations/{location}";
    String job = location + "/jobs/{job}";
    String execution = job + "/executions/{execution}";
    routes.add(API, "jobs.create", "POST", location + "/jobs", this::createJob);
    routes.add(API, "jobs.list", "GET", location + "/jobs", this::listJobs);
    routes.add(API, "jobs.get", "GET", job, r -> requireJob(r));
    routes.add(API, "jobs.update", "PATCH", job, this::updateJob);
    routes.add(API, "jobs.delete", "DELETE", job, this::deleteJob);
    routes.add(API, "jobs.run", "POST", job + ":run", this::runJob);
    routes.add(API, "executions.list", "GET", job + "/executions", this::listExecutions);
    routes.add(API, "executions.get", "GET", execution, r -> requireExecution(r));
    routes.add(API, "executions.delete", "DELETE", execution, this::deleteExecution);
    routes.add(API, "executions.cancel", "POST", execution + ":cancel", this::cancelExecution);
    routes.add(API, "tasks.list", "GET", execution + "/tasks", this::listTasks);
    routes.add(API, "tasks.get", "GET", execution + "/tasks/{task}", r -> tasks.require(
        executionName(r) + "/tasks/" + r.path("task"), notFound(r, "TASK", r.path("task"))));
    // "wait" answers at once: time only moves with the FakeClock.
    routes.add(API, "operations.get", "GET", location + "/operations/{operation}", r -> operations.get(operationName(r)));
    routes.add(API, "operations.wait", "POST", location + "/operations/{operation}:wait", r -> operations.get(operationName(r)));
  }

  /** Replaces how task attempts end, for every job but egress probes ({@link #egressProbe()}); the default exits 0. */
  public void taskBehaviour(TaskBehaviour behaviour) {
    this.taskBehaviour = behaviour;
  }

  /** How tasks of egress probe jobs ({@code *-egress-probe}) end: simulated from the fake's network objects. */
  public EgressProbeSimulation egressProbe() {
    return egressProbe;
  }

  // ---- out-of-band access ----

  public Job editJob(String name, UnaryOperator<Job> change) {
    return sim.locked(() -> putJob(change.apply(jobs.existing(name))));
  }

  public void deleteJob(String name) {
    sim.locked(() -> removeJob(name));
  }

  Optional<Job> job(String name) {
    return sim.locked(() -> jobs.get(name));
  }

  Optional<Execution> execution(String name) {
    return sim.locked(() -> executions.get(name));
  }

  List<Job> jobs() {
    return sim.locked(() -> List.copyOf(jobs.under("projects/")));
  }

  List<Execution> executionsOf(String job) {
    return sim.locked(() -> List.copyOf(executions.under(job + "/executions/")));
  }

  List<Task> tasks(String executionName) {
    return sim.locked(() -> List.copyOf(tasks.under(executionName + "/tasks/")));
  }

  // ---- jobs ----

  private Message createJob(Routes.Request r) {
    return create(parent(r), r.query("jobId"), r.body(Job.newBuilder()).build(), r.boolQuery("validateOnly"), r.method());
  }

  /**
   * jobs.create for {@code parent} ("projects/P/locations/L"), as the v2 API and the v1 view
   * ({@link RunV1Api}) make it: {@code method} names the call for injected operation failures.
   */
  Operation create(String parent, String id, Job spec, boolean validateOnly, String method) {
    if (!JOB_ID.matcher(id).matches()) {
      throw ApiError.invalid("Invalid job ID '" + id + "': use lowercase letters, digits and hyphens, start with a"
          + " letter, do not end with a hyphen, at most 63 characters.");
    }
    String name = parent + "/jobs/" + id;
    if (jobs.contains(name)) {
      throw ApiError.alreadyExists("Resource '" + id + "' already exists.");
    }
    // Ledger J4: annotations in the system's namespaces "will be rejected on new resources".
    checkNamespaces("annotation", List.of(spec.getAnnotationsMap(), spec.getTemplate().getAnnotationsMap()));
    return reconcile(parent, withSpec(newJob(name), spec), validateOnly, method);
  }

  private Message listJobs(Routes.Request r) {
    var page = jobs.page(parent(r) + "/jobs/", r.intQuery("pageSize"), r.query("pageToken"), DEFAULT_PAGE_SIZE);
    return ListJobsResponse.newBuilder().addAllJobs(page.items()).setNextPageToken(page.nextPageToken()).build();
  }

  /** Full replacement of the job's spec (no update mask); allowMissing turns it into an upsert. */
  private Message updateJob(Routes.Request r) {
    String name = jobName(r);
    Job spec = r.body(Job.newBuilder()).build();
    if (jobs.get(name).isEmpty() && !r.boolQuery("allowMissing")) {
      throw ApiError.notFound(notFound(r, "JOB", r.path("job")));
    }
    return update(name, spec, r.boolQuery("validateOnly"), r.method());
  }

  /** jobs.patch of the job {@code name} (created if missing), for the v2 API and the v1 view's replace. */
  Operation update(String name, Job spec, boolean validateOnly, String method) {
    Optional<Job> current = jobs.get(name);
    current.ifPresent(job -> checkEtag(spec.getEtag(), job));
    return reconcile(name.substring(0, name.indexOf("/jobs/")), withSpec(current.orElseGet(() -> newJob(name)), spec), validateOnly, method);
  }

  private Message deleteJob(Routes.Request r) {
    Job job = requireJob(r);
    checkEtag(r.query("etag"), job);
    Operation operation = operations.start(parent(r), job);
    if (r.boolQuery("validateOnly")) {
      return operations.finish(operation.getName(), job, job);
    }
    removeJob(job.getName());
    sim.after(Latencies.Kind.JOB_MUTATION, () -> operations.finish(operation.getName(), job, job));
    return operations.get(operation.getName());
  }

  private Job newJob(String name) {
    return Job.newBuilder().setName(name).setUid(Simulation.newId()).setCreator(USER)
        .setCreateTime(Simulation.timestamp(sim.now())).build();
  }

  /** {@code base} with the user-settable fields of {@code spec}, one generation further, reconciling. */
  private Job withSpec(Job base, Job spec) {
    checkSpec(spec);
    ExecutionTemplate template = spec.getTemplate();
    TaskTemplate.Builder task = template.getTemplate().toBuilder();
    if (!task.hasMaxRetries()) {
      task.setMaxRetries(3);
    }
    if (!task.hasTimeout()) {
      task.setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(600));
    }
    if (task.hasVpcAccess() && task.getVpcAccess().getEgress() == VpcAccess.VpcEgress.VPC_EGRESS_UNSPECIFIED
        && (!task.getVpcAccess().getConnector().isEmpty() || task.getVpcAccess().getNetworkInterfacesCount() > 0)) {
      task.setVpcAccess(task.getVpcAccess().toBuilder().setEgress(VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY)); // ledger J1
    }
    String connector = task.getVpcAccess().getConnector();
    String sameLocation = base.getName().substring(0, base.getName().indexOf("/jobs/")) + "/connectors/";
    if (connector.startsWith(sameLocation)) {
      // Ledger J2: Cloud Run answers a connector of the job's own project and region by its short name
      // (magic-modules#10332). What it answers for another project's connector is UNSOURCED: kept as sent.
      task.setVpcAccess(task.getVpcAccess().toBuilder().setConnector(connector.substring(sameLocation.length())));
    }
    Job.Builder job = base.toBuilder().clearLabels().putAllLabels(spec.getLabelsMap()).clearAnnotations()
        .putAllAnnotations(spec.getAnnotationsMap()).setClient(spec.getClient()).setClientVersion(spec.getClientVersion())
        // Ledger J6: on output the stage of the features in use (a task timeout over 24 h is the only
        // preview feature the fake knows; checkSpec refused it unless BETA or ALPHA was sent).
        .setLaunchStage(task.getTimeout().getSeconds() > PREVIEW_TASK_TIMEOUT_SECONDS ? LaunchStage.BETA : LaunchStage.GA)
        .setTemplate(template.toBuilder().setTaskCount(template.getTaskCount() == 0 ? 1 : template.getTaskCount()).setTemplate(task))
        .setGeneration(base.getGeneration() + 1).setUpdateTime(Simulation.timestamp(sim.now())).setLastModifier(USER)
        .setEtag(Simulation.newId()).setReconciling(true)
        .setTerminalCondition(condition("Ready", Condition.State.CONDITION_RECONCILING, "Deploying job."));
    if (spec.hasBinaryAuthorization()) {
      job.setBinaryAuthorization(spec.getBinaryAuthorization());
    } else {
      job.clearBinaryAuthorization();
    }
    return job.build();
  }

  /** Stores the job; after JOB_MUTATION its Ready condition succeeds (or fails, if injected). */
  private Operation reconcile(String parent, Job job, boolean validateOnly, String method) {
    Operation operation = operations.start(parent, job);
    if (validateOnly) {
      return operations.finish(operation.getName(), job, job);
    }
    putJob(job);
    Optional<ApiError> failure = faults.takeOperationFailure(API, method);
    sim.after(Latencies.Kind.JOB_MUTATION, () -> {
      Job current = jobs.get(job.getName()).orElse(job);
      if (current.getGeneration() == job.getGeneration() && jobs.contains(job.getName())) {
        Condition ready = failure.isPresent()
            ? condition("Ready", Condition.State.CONDITION_FAILED, failure.get().getMessage()).toBuilder().setSeverity(Condition.Severity.ERROR).build()
            : condition("Ready", Condition.State.CONDITION_SUCCEEDED, "");
        current = jobs.put(job.getName(), current.toBuilder().setReconciling(false)
            .setObservedGeneration(job.getGeneration()).setTerminalCondition(ready).build());
      }
      if (failure.isPresent()) {
        operations.fail(operation.getName(), current, failure.get());
      } else {
        operations.finish(operation.getName(), current, current);
      }
    });
    return operations.get(operation.getName());
  }

  /** A label or annotation key in a namespace the system keeps for itself (run.googleapis.com/...). */
  static boolean inReservedNamespace(String key) {
    int slash = key.indexOf('/');
    return slash > 0 && RESERVED_NAMESPACES.contains(key.substring(0, slash));
  }

  private static void checkNamespaces(String what, List<Map<String, String>> maps) {
    for (Map<String, String> map : maps) {
      for (String key : map.keySet()) {
        if (inReservedNamespace(key)) {
          throw ApiError.invalid("Invalid " + what + " key '" + key + "': the namespace '" + key.substring(0, key.indexOf('/'))
              + "' is reserved for the system.");
        }
      }
    }
  }

  private static void checkSpec(Job spec) {
    checkNamespaces("label", List.of(spec.getLabelsMap(), spec.getTemplate().getLabelsMap()));
    TaskTemplate task = spec.getTemplate().getTemplate();
    if (task.getContainersCount() == 0) {
      throw ApiError.invalid("template.template.containers: at least one container must be specified.");
    }
    for (int i = 0; i < task.getContainersCount(); i++) {
      if (task.getContainers(i).getImage().isEmpty()) {
        throw ApiError.invalid("template.template.containers[" + i + "].image: Required field is not set.");
      }
    }
    if (task.hasVpcAccess()) {
      VpcAccess vpc = task.getVpcAccess();
      boolean connector = !vpc.getConnector().isEmpty();
      boolean interfaces = vpc.getNetworkInterfacesCount() > 0;
      if (connector == interfaces && (connector || vpc.getEgress() != VpcAccess.VpcEgress.VPC_EGRESS_UNSPECIFIED)) {
        throw ApiError.invalid("template.template.vpc_access.connector: one and only one of connector and network_interfaces must be set");
      }
    }
    if (task.hasMaxRetries() && (task.getMaxRetries() < 0 || task.getMaxRetries() > 10)) {
      throw ApiError.invalid("template.template.max_retries: must be between 0 and 10, got " + task.getMaxRetries() + ".");
    }
    // Ledger 8i: at most 10,000 tasks; parallelism at most the task count (0: as many as possible).
    int taskCount = spec.getTemplate().getTaskCount();
    if (taskCount < 0 || taskCount > MAX_TASKS) {
      throw ApiError.invalid("template.task_count: must be between 0 and " + MAX_TASKS + ", got " + taskCount + ".");
    }
    if (spec.getTemplate().getParallelism() < 0 || taskCount > 0 && spec.getTemplate().getParallelism() > taskCount) {
      throw ApiError.invalid("template.parallelism: must be at most task_count (" + taskCount + "), got " + spec.getTemplate().getParallelism() + ".");
    }
    for (int i = 0; i < task.getContainersCount(); i++) {
      checkResources("template.template.containers[" + i + "].resources.limits", task.getContainers(i).getResources().getLimitsMap());
    }
    // Ledger 6: at most 168 h; over 24 h was a Preview feature, refused without a launch stage that admits it.
    long timeout = task.getTimeout().getSeconds();
    if (timeout > MAX_TASK_TIMEOUT_SECONDS) {
      throw ApiError.invalid("template.template.timeout: must be at most 168h, got " + timeout + "s.");
    }
    if (timeout > PREVIEW_TASK_TIMEOUT_SECONDS && spec.getLaunchStage() != LaunchStage.BETA && spec.getLaunchStage() != LaunchStage.ALPHA) {
      throw ApiError.failedPrecondition("Precondition check failed.");
    }
  }

  private static final long MAX_TASK_TIMEOUT_SECONDS = 168 * 3600;
  private static final int MAX_TASKS = 10_000;
  private static final Set<String> CPUS = Set.of("1", "2", "4", "6", "8");
  private static final long GI = 1L << 30;

  /**
   * Ledger 8g: whole CPUs 1, 2, 4, 6 or 8; memory 512Mi to 32Gi; 4 CPUs need at least 2Gi, 6 or 8 at
   * least 4Gi; more than 4Gi needs 2 CPUs, more than 8Gi 4, more than 16Gi 6, more than 24Gi 8.
   */
  private static void checkResources(String field, Map<String, String> limits) {
    try {
      checkAmounts(field, limits);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw ApiError.invalid(field + ": not a quantity: " + limits + ".");
    }
  }

  private static void checkAmounts(String field, Map<String, String> limits) {
    String cpu = limits.getOrDefault("cpu", "1");
    BigDecimal count = Quantity.getAmountInBytes(new Quantity(cpu));
    if (count.stripTrailingZeros().scale() > 0 || !CPUS.contains(count.toBigInteger().toString())) {
      throw ApiError.invalid(field + ".cpu: '" + cpu + "' is not a supported CPU count (1, 2, 4, 6 or 8).");
    }
    int cpus = count.intValue();
    String memory = limits.get("memory");
    if (memory == null) {
      return;
    }
    long bytes = Quantity.getAmountInBytes(new Quantity(memory)).longValue();
    if (bytes < GI / 2 || bytes > 32 * GI) {
      throw ApiError.invalid(field + ".memory: '" + memory + "' is outside 512Mi to 32Gi.");
    }
    long least = cpus >= 6 ? 4 * GI : cpus >= 4 ? 2 * GI : 0;
    int needed = bytes > 24 * GI ? 8 : bytes > 16 * GI ? 6 : bytes > 8 * GI ? 4 : bytes > 4 * GI ? 2 : 1;
    if (bytes < least || cpus < needed) {
      throw ApiError.invalid(field + ": " + cpu + " CPU with " + memory + " of memory is not a supported combination.");
    }
  }
  private static final long PREVIEW_TASK_TIMEOUT_SECONDS = 24 * 3600;

  private static void checkEtag(String etag, Job job) {
    if (!etag.isEmpty() && !etag.equals(job.getEtag())) {
      throw ApiError.aborted("The etag '" + etag + "' does not match the current etag of job '" + job.getName() + "'.");
    }
  }

  private Job putJob(Job job) {
    return jobs.put(job.getName(), job);
  }

  /** The job goes at once, with its executions (running ones are cancelled first). */
  private void removeJob(String name) {
    for (Execution execution : List.copyOf(executions.under(name + "/executions/"))) {
      cancel(execution.getName());
      tasks.removeUnder(execution.getName() + "/tasks/");
    }
    executions.removeUnder(name + "/executions/");
    jobs.remove(name);
  }

  // ---- executions and tasks ----

  private Message runJob(Routes.Request r) {
    return run(jobName(r), r.body(RunJobRequest.newBuilder()).build(), USER);
  }

  /**
   * Starts an execution of {@code jobName} as {@code creator} (the caller's email, which GCP records
   * in the execution): the body of jobs.run, for the API and for callers inside the fake (Cloud
   * Scheduler firing with its invoker's token). Answers the run's operation.
   */
  Operation run(String jobName, RunJobRequest body, String creator) {
    return sim.locked(() -> startExecution(jobName, body, creator));
  }

  private Operation startExecution(String jobName, RunJobRequest body, String creator) {
    String parent = jobName.substring(0, jobName.indexOf("/jobs/"));
    String jobId = jobName.substring(jobName.lastIndexOf('/') + 1);
    String project = parent.split("/")[1];
    Job job = jobs.require(jobName, "Resource '" + jobId + "' of kind 'JOB' in region '" + parent.split("/")[3]
        + "' in project '" + project + "' does not exist.");
    checkEtag(body.getEtag(), job);
    if (job.getTerminalCondition().getState() != Condition.State.CONDITION_SUCCEEDED) {
      throw ApiError.failedPrecondition("Job '" + jobId + "' is not ready: " + job.getTerminalCondition().getState());
    }
    ExecutionTemplate template = withOverrides(job.getTemplate(), body.getOverrides());
    String id = jobId + "-" + Simulation.newId().substring(0, 5);
    String name = job.getName() + "/executions/" + id;
    var now = Simulation.timestamp(sim.now());
    Execution execution = Execution.newBuilder().setName(name).setUid(Simulation.newId()).setCreator(creator).setGeneration(1)
        .setCreateTime(now).setStartTime(now).setUpdateTime(now).setLaunchStage(job.getLaunchStage()).setJob(jobId)
        .setParallelism(template.getParallelism()).setTaskCount(template.getTaskCount()).setTemplate(template.getTemplate())
        .setReconciling(true).setObservedGeneration(1).setRunningCount(template.getTaskCount()).setEtag(Simulation.newId())
        .setLogUri(logUri(project, jobId, id, null))
        .addConditions(condition("Completed", Condition.State.CONDITION_RECONCILING, "Tasks are running.")).build();
    Operation operation = operations.start(parent, execution);
    if (body.getValidateOnly()) {
      return operations.finish(operation.getName(), execution, execution);
    }
    executions.put(name, execution);
    runOperations.put(name, operation.getName());
    putJob(job.toBuilder().setExecutionCount(job.getExecutionCount() + 1).setLatestCreatedExecution(ExecutionReference
        .newBuilder().setName(id).setCreateTime(now).setCompletionStatus(ExecutionReference.CompletionStatus.EXECUTION_RUNNING)).build());
    TaskTemplate spec = template.getTemplate();
    for (int index = 0; index < template.getTaskCount(); index++) {
      String taskName = name + "/tasks/" + id + "-task" + index;
      tasks.put(taskName, Task.newBuilder().setName(taskName).setUid(Simulation.newId()).setGeneration(1).setJob(jobId)
          .setExecution(id).setIndex(index).addAllContainers(spec.getContainersList()).addAllVolumes(spec.getVolumesList())
          .setMaxRetries(spec.getMaxRetries()).setTimeout(spec.getTimeout()).setServiceAccount(spec.getServiceAccount())
          .setExecutionEnvironment(spec.getExecutionEnvironment()).setEncryptionKey(spec.getEncryptionKey())
          .setVpcAccess(spec.getVpcAccess()).setCreateTime(now).setScheduledTime(now).setStartTime(now)
          .setLogUri(logUri(project, jobId, id, index))
          .setReconciling(true).setObservedGeneration(1).setEtag(Simulation.newId()).build());
      sim.after(Latencies.Kind.TASK, () -> attemptEnded(taskName));
    }
    return operations.get(operation.getName());
  }

  private static ExecutionTemplate withOverrides(ExecutionTemplate template, RunJobRequest.Overrides overrides) {
    ExecutionTemplate.Builder result = template.toBuilder();
    if (overrides.getTaskCount() > 0) {
      result.setTaskCount(overrides.getTaskCount());
    }
    if (overrides.hasTimeout()) {
      result.getTemplateBuilder().setTimeout(overrides.getTimeout());
    }
    for (RunJobRequest.Overrides.ContainerOverride override : overrides.getContainerOverridesList()) {
      for (Container.Builder container : result.getTemplateBuilder().getContainersBuilderList()) {
        if (override.getName().isEmpty() ? container == result.getTemplateBuilder().getContainersBuilder(0)
            : override.getName().equals(container.getName())) {
          if (override.getClearArgs() || override.getArgsCount() > 0) {
            container.clearArgs().addAllArgs(override.getArgsList());
          }
          Map<String, EnvVar> env = new LinkedHashMap<>();
          container.getEnvList().forEach(e -> env.put(e.getName(), e));
          override.getEnvList().forEach(e -> env.put(e.getName(), e));
          container.clearEnv().addAllEnv(env.values());
        }
      }
    }
    return result.build();
  }

  /** One attempt is over: the TaskBehaviour decides; a failure is retried while retries are left. */
  private void attemptEnded(String taskName) {
    Task task = tasks.get(taskName).orElse(null);
    if (task == null || task.hasCompletionTime()) {
      return;
    }
    String executionName = taskName.substring(0, taskName.indexOf("/tasks/"));
    Execution execution = executions.get(executionName).orElseThrow();
    Job job = jobs.get(executionName.substring(0, executionName.indexOf("/executions/"))).orElseThrow();
    int exitCode = (EgressProbeSimulation.isProbe(job) ? egressProbe : taskBehaviour).exitCode(job, execution, task, state);
    Status status = exitCode == 0 ? Status.getDefaultInstance()
        : Status.newBuilder().setCode(Code.UNKNOWN_VALUE).setMessage("Task " + task.getIndex() + " exited with code " + exitCode + ".").build();
    Task.Builder attempted = task.toBuilder().setLastAttemptResult(TaskAttemptResult.newBuilder().setExitCode(exitCode).setStatus(status));
    if (exitCode != 0 && task.getRetried() < task.getMaxRetries()) {
      tasks.put(taskName, attempted.setRetried(task.getRetried() + 1).build());
      executions.put(executionName, execution.toBuilder().setRetriedCount(execution.getRetriedCount() + 1).build());
      sim.after(Latencies.Kind.TASK, () -> attemptEnded(taskName));
      return;
    }
    Condition completed = exitCode == 0 ? condition("Completed", Condition.State.CONDITION_SUCCEEDED, "")
        : condition("Completed", Condition.State.CONDITION_FAILED, status.getMessage()).toBuilder()
            .setExecutionReason(Condition.ExecutionReason.NON_ZERO_EXIT_CODE).build();
    tasks.put(taskName, attempted.setCompletionTime(Simulation.timestamp(sim.now())).setReconciling(false)
        .clearConditions().addConditions(completed).build());
    Execution.Builder counted = execution.toBuilder().setRunningCount(execution.getRunningCount() - 1);
    if (exitCode == 0) {
      counted.setSucceededCount(execution.getSucceededCount() + 1);
    } else {
      counted.setFailedCount(execution.getFailedCount() + 1);
    }
    executions.put(executionName, counted.build());
    if (counted.getRunningCount() == 0) {
      complete(executionName);
    }
  }

  /** All tasks are over: conditions and completion time, the run operation, the job's reference. */
  private void complete(String name) {
    Execution execution = executions.get(name).orElseThrow();
    String id = name.substring(name.lastIndexOf('/') + 1);
    String tally = execution.getSucceededCount() + "/" + execution.getTaskCount() + " tasks were a success.";
    Condition completed;
    ExecutionReference.CompletionStatus status;
    if (execution.getCancelledCount() > 0) {
      completed = condition("Completed", Condition.State.CONDITION_FAILED, "Execution " + id + " was cancelled. " + tally)
          .toBuilder().setExecutionReason(Condition.ExecutionReason.CANCELLED).build();
      status = ExecutionReference.CompletionStatus.EXECUTION_CANCELLED;
    } else if (execution.getFailedCount() > 0) {
      completed = condition("Completed", Condition.State.CONDITION_FAILED, "Execution " + id + " has failed to complete, " + tally)
          .toBuilder().setExecutionReason(Condition.ExecutionReason.NON_ZERO_EXIT_CODE).build();
      status = ExecutionReference.CompletionStatus.EXECUTION_FAILED;
    } else {
      completed = condition("Completed", Condition.State.CONDITION_SUCCEEDED, "Execution " + id + " has completed successfully, " + tally);
      status = ExecutionReference.CompletionStatus.EXECUTION_SUCCEEDED;
    }
    var now = Simulation.timestamp(sim.now());
    Execution done = executions.put(name, execution.toBuilder().setCompletionTime(now).setUpdateTime(now)
        .setReconciling(false).clearConditions().addConditions(completed).build());
    String operation = runOperations.remove(name);
    if (operation != null) {
      operations.finish(operation, done, done);
    }
    String jobName = name.substring(0, name.indexOf("/executions/"));
    jobs.get(jobName).filter(job -> job.getLatestCreatedExecution().getName().equals(id)).ifPresent(job -> jobs.put(jobName,
        job.toBuilder().setLatestCreatedExecution(job.getLatestCreatedExecution().toBuilder()
            .setCompletionTime(now).setCompletionStatus(status)).build()));
  }

  /** "Results are sorted by creation time, descending" (ledger J15): newest first; the page token is the offset. */
  private Message listExecutions(Routes.Request r) {
    requireJob(r);
    List<Execution> newestFirst = new ArrayList<>(executions.under(jobName(r) + "/executions/"));
    newestFirst.sort(Comparator.comparing((Execution e) -> Timestamps.toNanos(e.getCreateTime())).reversed().thenComparing(Execution::getName));
    int size = r.intQuery("pageSize") > 0 ? r.intQuery("pageSize") : DEFAULT_PAGE_SIZE;
    int from;
    try {
      from = r.query("pageToken").isEmpty() ? 0 : Integer.parseInt(r.query("pageToken"));
    } catch (NumberFormatException e) {
      throw ApiError.invalid("Invalid page token: " + r.query("pageToken"));
    }
    int to = Math.min(newestFirst.size(), from + size);
    ListExecutionsResponse.Builder list = ListExecutionsResponse.newBuilder().addAllExecutions(newestFirst.subList(Math.min(from, to), to));
    return (to < newestFirst.size() ? list.setNextPageToken(String.valueOf(to)) : list).build();
  }

  private Message cancelExecution(Routes.Request r) {
    return cancelExecution(requireExecution(r).getName());
  }

  /** executions.cancel of an existing execution, for the v2 API and the v1 view: its finished operation. */
  Operation cancelExecution(String name) {
    cancel(name);
    Execution cancelled = executions.get(name).orElseThrow();
    return operations.finish(operations.start(name.substring(0, name.indexOf("/jobs/")), cancelled).getName(), cancelled, cancelled);
  }

  private Message deleteExecution(Routes.Request r) {
    return deleteExecution(requireExecution(r).getName());
  }

  /** executions.delete of an existing execution (cancelled first), for the v2 API and the v1 view. */
  Operation deleteExecution(String name) {
    cancel(name);
    Execution deleted = executions.remove(name).orElseThrow();
    tasks.removeUnder(name + "/tasks/");
    return operations.finish(operations.start(name.substring(0, name.indexOf("/jobs/")), deleted).getName(), deleted, deleted);
  }

  /** Stops the tasks still running; a finished execution is left as it is. */
  private void cancel(String name) {
    Execution execution = executions.get(name).orElseThrow();
    if (execution.hasCompletionTime()) {
      return;
    }
    var now = Simulation.timestamp(sim.now());
    int cancelled = 0;
    for (Task task : List.copyOf(tasks.under(name + "/tasks/"))) {
      if (!task.hasCompletionTime()) {
        cancelled++;
        tasks.put(task.getName(), task.toBuilder().setCompletionTime(now).setReconciling(false).clearConditions()
            .addConditions(condition("Completed", Condition.State.CONDITION_FAILED, "The task was cancelled.").toBuilder()
                .setExecutionReason(Condition.ExecutionReason.CANCELLED)).build());
      }
    }
    executions.put(name, execution.toBuilder().setRunningCount(0)
        .setCancelledCount(execution.getCancelledCount() + cancelled).build());
    complete(name);
  }

  private Message listTasks(Routes.Request r) {
    requireExecution(r);
    var page = tasks.page(executionName(r) + "/tasks/", r.intQuery("pageSize"), r.query("pageToken"), DEFAULT_PAGE_SIZE);
    return ListTasksResponse.newBuilder().addAllTasks(page.items()).setNextPageToken(page.nextPageToken()).build();
  }

  // ---- helpers ----

  /**
   * A Cloud Logging link for an execution (or one of its tasks), of the shape the console opens:
   * its exact form is UNSOURCED (Execution.log_uri and Task.log_uri only say "URI where logs ... can
   * be found in Cloud Console"), and the operator only passes it on.
   */
  private static String logUri(String project, String job, String execution, Integer task) {
    String query = "resource.type%3D%22cloud_run_job%22%0Aresource.labels.job_name%3D%22" + job
        + "%22%0Alabels.%22run.googleapis.com%2Fexecution_name%22%3D%22" + execution + "%22"
        + (task == null ? "" : "%0Alabels.%22run.googleapis.com%2Ftask_index%22%3D%22" + task + "%22");
    return "https://console.cloud.google.com/logs/viewer?project=" + project + "&advancedFilter=" + query;
  }

  private Condition condition(String type, Condition.State state, String message) {
    return Condition.newBuilder().setType(type).setState(state).setMessage(message)
        .setLastTransitionTime(Simulation.timestamp(sim.now())).build();
  }

  private Job requireJob(Routes.Request r) {
    return jobs.require(jobName(r), notFound(r, "JOB", r.path("job")));
  }

  private Execution requireExecution(Routes.Request r) {
    return executions.require(executionName(r), notFound(r, "EXECUTION", r.path("execution")));
  }

  private static String notFound(Routes.Request r, String kind, String id) {
    return "Resource '" + id + "' of kind '" + kind + "' in region '" + r.path("location") + "' in project '"
        + r.path("project") + "' does not exist.";
  }

  private static String parent(Routes.Request r) {
    return "projects/" + r.path("project") + "/locations/" + r.path("location");
  }

  private static String jobName(Routes.Request r) {
    return parent(r) + "/jobs/" + r.path("job");
  }

  private static String executionName(Routes.Request r) {
    return jobName(r) + "/executions/" + r.path("execution");
  }

  private static String operationName(Routes.Request r) {
    return parent(r) + "/operations/" + r.path("operation");
  }
}
