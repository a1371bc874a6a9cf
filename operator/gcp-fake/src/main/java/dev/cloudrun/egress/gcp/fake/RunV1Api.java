package dev.cloudrun.egress.gcp.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.LaunchStage;
import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.ExecutionEnvironment;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ResourceRequirements;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.VpcAccess;
import com.google.longrunning.Operation;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cloud Run Admin v1 (the Knative-style {@code /apis/run.googleapis.com/v1/namespaces/...} surface)
 * as a view of the v2 jobs and executions the fake holds (ledger C5): what {@code gcloud run jobs
 * list|describe|delete} and {@code gcloud run jobs executions list|describe} call. GCP serves v1 only
 * on regional hosts ({@code REGION-run.googleapis.com}); the fake reads the region from such a host
 * when the request names one (through an HTTP proxy) and answers for every region when it does not.
 * The namespace is the project ID (GCP answers with the project number).
 */
final class RunV1Api {
  private static final String API = "run";
  private static final String V1 = "run.googleapis.com/v1";
  private static final String PREFIX = "/apis/run.googleapis.com/v1/namespaces/";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern REGIONAL_HOST = Pattern.compile("([a-z]+-[a-z]+[0-9]+)-.+");
  private static final Pattern SELECTOR_TERM = Pattern.compile("\\s*([^=!,\\s]+)\\s*(==|=|!=)\\s*([^,\\s]*)\\s*");
  private static final Pattern SELECTOR_SET = Pattern.compile("\\s*([^=!,\\s]+)\\s+(in|notin)\\s*\\(([^)]*)\\)\\s*");
  private static final String RUN_GROUP = "run.googleapis.com/";
  private static final String CLIENT_NAME = RUN_GROUP + "client-name";
  private static final String CLIENT_VERSION = RUN_GROUP + "client-version";
  private static final String LOCATION_LABEL = "cloud.googleapis.com/location";
  private static final String LAST_UPDATED_LABEL = RUN_GROUP + "lastUpdatedTime";
  /** Annotations GCP writes on output (the fake among them); sent back by a read-modify-replace, they are ignored. */
  private static final Set<String> OUTPUT_ANNOTATIONS = Set.of(RUN_GROUP + "creator", RUN_GROUP + "lastModifier", RUN_GROUP + "operation-id");

  private final RunApi run;

  RunV1Api(RunApi run) {
    this.run = run;
  }

  void register(Routes routes) {
    String namespace = "/apis/run.googleapis.com/v1/namespaces/{namespace}";
    routes.add(API, "namespaces.jobs.create", "POST", namespace + "/jobs", this::createJob);
    routes.add(API, "namespaces.jobs.list", "GET", namespace + "/jobs", this::listJobs);
    routes.add(API, "namespaces.jobs.get", "GET", namespace + "/jobs/{job}", r -> job(requireJob(r)));
    routes.add(API, "namespaces.jobs.replaceJob", "PUT", namespace + "/jobs/{job}", this::replaceJob);
    routes.add(API, "namespaces.jobs.delete", "DELETE", namespace + "/jobs/{job}", this::deleteJob);
    routes.add(API, "namespaces.jobs.run", "POST", namespace + "/jobs/{job}:run", this::runJob);
    routes.add(API, "namespaces.executions.list", "GET", namespace + "/executions", this::listExecutions);
    routes.add(API, "namespaces.executions.get", "GET", namespace + "/executions/{execution}", r -> execution(requireExecution(r)));
    routes.add(API, "namespaces.executions.delete", "DELETE", namespace + "/executions/{execution}", this::deleteExecution);
    routes.add(API, "namespaces.executions.cancel", "POST", namespace + "/executions/{execution}:cancel",
        r -> execution(run.execution(unpack(run.cancelExecution(requireExecution(r).getName())).getName()).orElseThrow()));
    routes.add(API, "namespaces.tasks.list", "GET", namespace + "/tasks", this::listTasks);
    routes.add(API, "namespaces.tasks.get", "GET", namespace + "/tasks/{task}", r -> task(requireTask(r)));
  }

  /** The region of a regional host ("europe-west2-run.googleapis.com", "europe-west2-127.0.0.1"), or null. */
  static String regionOf(String host) {
    if (host == null) {
      return null;
    }
    Matcher m = REGIONAL_HOST.matcher(host);
    return m.matches() ? m.group(1) : null;
  }

  // ---- jobs ----

  private Object listJobs(Routes.Request r) {
    List<java.util.function.Predicate<JsonNode>> selector = selector(r.query("labelSelector"));
    ObjectNode list = MAPPER.createObjectNode().put("apiVersion", V1).put("kind", "JobsList");
    list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    for (Job job : run.jobs()) {
      ObjectNode v1 = job(job);
      if (inNamespaceAndRegion(job.getName(), r) && matches(v1, selector)) {
        items.add(v1);
      }
    }
    return list;
  }

  private Object deleteJob(Routes.Request r) {
    Job job = requireJob(r);
    run.deleteJob(job.getName());
    return success(r.path("job"), "jobs", job.getUid());
  }

  private static ObjectNode success(String name, String kind, String uid) {
    ObjectNode status = MAPPER.createObjectNode().put("apiVersion", "v1").put("kind", "Status").put("status", "Success");
    status.putObject("details").put("name", name).put("group", "run.googleapis.com").put("kind", kind).put("uid", uid);
    return status;
  }

  /**
   * namespaces.jobs.create: the v1 Job becomes the v2 job of the region the host names (one store:
   * v2 clients see it). A v1 create answers the Job itself, not an operation; gcloud then polls the
   * job until its Ready condition is True or False for the current generation.
   */
  private Object createJob(Routes.Request r) {
    String region = requireRegion(r);
    JsonNode body = body(r);
    String id = body.path("metadata").path("name").asText("");
    if (id.isEmpty()) {
      throw ApiError.invalid("metadata.name: Required field is not set.");
    }
    String parent = "projects/" + r.path("namespace") + "/locations/" + region;
    run.create(parent, id, v2Job(body, r), false, r.method());
    return job(run.job(parent + "/jobs/" + id).orElseThrow()); // stored before create answers
  }

  /** namespaces.jobs.replaceJob: the whole spec, labels and annotations; metadata.resourceVersion guards as v2's etag. */
  private Object replaceJob(Routes.Request r) {
    Job current = requireJob(r);
    JsonNode body = body(r);
    String id = body.path("metadata").path("name").asText(r.path("job"));
    if (!id.equals(r.path("job"))) {
      throw ApiError.invalid("metadata.name: '" + id + "' does not match the job named in the path, '" + r.path("job") + "'.");
    }
    Job spec = v2Job(body, r).toBuilder().setEtag(body.path("metadata").path("resourceVersion").asText("")).build();
    run.update(current.getName(), spec, false, r.method());
    return job(run.job(current.getName()).orElseThrow());
  }

  /** namespaces.jobs.run: starts an execution (v2 jobs.run) and answers it as a v1 Execution. */
  private Object runJob(Routes.Request r) {
    Job job = requireJob(r);
    JsonNode overrides = body(r).path("overrides");
    RunJobRequest.Overrides.Builder v2 = RunJobRequest.Overrides.newBuilder();
    if (overrides.has("taskCount")) {
      v2.setTaskCount(overrides.path("taskCount").asInt());
    }
    if (overrides.has("timeoutSeconds")) {
      v2.setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(overrides.path("timeoutSeconds").asLong()));
    }
    for (JsonNode c : overrides.path("containerOverrides")) {
      RunJobRequest.Overrides.ContainerOverride.Builder override = RunJobRequest.Overrides.ContainerOverride.newBuilder()
          .setName(c.path("name").asText("")).setClearArgs(c.path("clearArgs").asBoolean(false));
      c.path("args").forEach(a -> override.addArgs(a.asText()));
      c.path("env").forEach(e -> override.addEnv(envVar(e, "overrides.containerOverrides.env")));
      v2.addContainerOverrides(override);
    }
    Operation operation = run.run(job.getName(), RunJobRequest.newBuilder().setName(job.getName()).setOverrides(v2).build(), RunApi.USER);
    return execution(run.execution(unpack(operation).getName()).orElseThrow());
  }

  private Job requireJob(Routes.Request r) {
    return find(run.jobs().stream().map(Job::getName).toList(), r, "jobs", r.path("job")).flatMap(run::job)
        .orElseThrow(() -> ApiError.notFound("Resource '" + r.path("job") + "' of kind 'JOB' in region '" + regionLabel(r)
            + "' in project '" + r.path("namespace") + "' does not exist."));
  }

  /** v2 Job to v1 Job (SDK-run-v1 Job, JobSpec, ExecutionTemplateSpec, TaskSpec, JobStatus). */
  private ObjectNode job(Job job) {
    Name name = Name.of(job.getName());
    ObjectNode v1 = MAPPER.createObjectNode().put("apiVersion", V1).put("kind", "Job");
    Map<String, String> labels = new LinkedHashMap<>(job.getLabelsMap());
    if (job.hasUpdateTime()) {
      // gcloud's "Last updated on" (api_lib/run/job.py, last_modified_timestamp); the value's form is UNSOURCED.
      labels.put(LAST_UPDATED_LABEL, Instant.ofEpochSecond(job.getUpdateTime().getSeconds(), job.getUpdateTime().getNanos()).toString());
    }
    ObjectNode metadata = metadata(v1, name, "jobs", job.getUid(), job.getGeneration(), job.getCreateTime(), labels);
    metadata.put("resourceVersion", job.getEtag());
    ObjectNode annotations = metadata.putObject("annotations");
    job.getAnnotationsMap().forEach(annotations::put);
    annotations.put("run.googleapis.com/creator", job.getCreator());
    annotations.put("run.googleapis.com/lastModifier", job.getLastModifier());
    annotations.put("run.googleapis.com/launch-stage", job.getLaunchStage().name());
    if (!job.getClient().isEmpty()) {
      annotations.put(CLIENT_NAME, job.getClient());
    }
    if (!job.getClientVersion().isEmpty()) {
      annotations.put(CLIENT_VERSION, job.getClientVersion());
    }
    ObjectNode template = v1.putObject("spec").putObject("template");
    ObjectNode templateMetadata = template.putObject("metadata");
    ObjectNode templateAnnotations = templateMetadata.putObject("annotations");
    job.getTemplate().getAnnotationsMap().forEach(templateAnnotations::put);
    vpcAnnotations(templateAnnotations, job.getTemplate().getTemplate());
    if (job.getTemplate().getLabelsCount() > 0) {
      ObjectNode templateLabels = templateMetadata.putObject("labels");
      job.getTemplate().getLabelsMap().forEach(templateLabels::put);
    }
    ObjectNode spec = template.putObject("spec");
    if (job.getTemplate().getParallelism() > 0) {
      spec.put("parallelism", job.getTemplate().getParallelism());
    }
    spec.put("taskCount", job.getTemplate().getTaskCount());
    spec.putObject("template").set("spec", taskSpec(job.getTemplate().getTemplate()));
    ObjectNode status = v1.putObject("status").put("observedGeneration", job.getObservedGeneration());
    ArrayNode conditions = status.putArray("conditions");
    if (job.hasTerminalCondition()) {
      conditions.add(condition(job.getTerminalCondition()));
    }
    job.getConditionsList().forEach(c -> conditions.add(condition(c)));
    status.put("executionCount", job.getExecutionCount());
    if (job.hasLatestCreatedExecution()) {
      ObjectNode latest = status.putObject("latestCreatedExecution").put("name", job.getLatestCreatedExecution().getName());
      putTime(latest, "creationTimestamp", job.getLatestCreatedExecution().getCreateTime());
      putTime(latest, "completionTimestamp", job.getLatestCreatedExecution().getCompletionTime());
      if (job.getLatestCreatedExecution().getCompletionStatusValue() != 0) {
        latest.put("completionStatus", job.getLatestCreatedExecution().getCompletionStatus().name());
      }
    }
    return v1;
  }

  // ---- executions ----

  private Object listExecutions(Routes.Request r) {
    List<java.util.function.Predicate<JsonNode>> selector = selector(r.query("labelSelector"));
    ObjectNode list = MAPPER.createObjectNode().put("apiVersion", V1).put("kind", "ExecutionsList");
    list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    for (Job job : run.jobs()) {
      if (!inNamespaceAndRegion(job.getName(), r)) {
        continue;
      }
      for (Execution execution : run.executionsOf(job.getName())) {
        ObjectNode v1 = execution(execution);
        if (matches(v1, selector)) {
          items.add(v1);
        }
      }
    }
    return list;
  }

  private Object deleteExecution(Routes.Request r) {
    Execution execution = requireExecution(r);
    run.deleteExecution(execution.getName());
    return success(r.path("execution"), "executions", execution.getUid());
  }

  private Execution requireExecution(Routes.Request r) {
    List<String> names = new ArrayList<>();
    run.jobs().forEach(job -> run.executionsOf(job.getName()).forEach(e -> names.add(e.getName())));
    return find(names, r, "executions", r.path("execution")).flatMap(run::execution)
        .orElseThrow(() -> ApiError.notFound("Resource '" + r.path("execution") + "' of kind 'EXECUTION' in region '" + regionLabel(r)
            + "' in project '" + r.path("namespace") + "' does not exist."));
  }

  /** v2 Execution to v1 Execution (SDK-run-v1 Execution, ExecutionSpec, ExecutionStatus). */
  private ObjectNode execution(Execution execution) {
    Name name = Name.of(execution.getName());
    ObjectNode v1 = MAPPER.createObjectNode().put("apiVersion", V1).put("kind", "Execution");
    Map<String, String> labels = new LinkedHashMap<>(execution.getLabelsMap());
    labels.put("run.googleapis.com/job", execution.getJob());
    ObjectNode metadata = metadata(v1, name, "executions", execution.getUid(), execution.getGeneration(), execution.getCreateTime(), labels);
    metadata.put("resourceVersion", execution.getEtag());
    ObjectNode annotations = metadata.putObject("annotations");
    execution.getAnnotationsMap().forEach(annotations::put);
    annotations.put("run.googleapis.com/creator", execution.getCreator());
    annotations.put("run.googleapis.com/launch-stage", execution.getLaunchStage().name());
    ObjectNode spec = v1.putObject("spec");
    if (execution.getParallelism() > 0) {
      spec.put("parallelism", execution.getParallelism());
    }
    spec.put("taskCount", execution.getTaskCount());
    spec.putObject("template").set("spec", taskSpec(execution.getTemplate()));
    ObjectNode status = v1.putObject("status").put("observedGeneration", execution.getObservedGeneration());
    ArrayNode conditions = status.putArray("conditions");
    execution.getConditionsList().forEach(c -> conditions.add(condition(c)));
    if (execution.hasStartTime()) {
      // gcloud waits for these two (stages.ExecutionStages, execution.STARTED_CONDITION); the v2 execution
      // holds only Completed, and its tasks start when it is created: both are True from its start time.
      for (String type : List.of("ResourcesAvailable", "Started")) {
        ObjectNode c = conditions.addObject().put("type", type).put("status", "True");
        putTime(c, "lastTransitionTime", execution.getStartTime());
      }
    }
    putTime(status, "startTime", execution.getStartTime());
    putTime(status, "completionTime", execution.getCompletionTime());
    putCount(status, "runningCount", execution.getRunningCount());
    putCount(status, "succeededCount", execution.getSucceededCount());
    putCount(status, "failedCount", execution.getFailedCount());
    putCount(status, "cancelledCount", execution.getCancelledCount());
    putCount(status, "retriedCount", execution.getRetriedCount());
    if (!execution.getLogUri().isEmpty()) {
      status.put("logUri", execution.getLogUri());
    }
    return v1;
  }

  // ---- tasks ----

  private Object listTasks(Routes.Request r) {
    List<java.util.function.Predicate<JsonNode>> selector = selector(r.query("labelSelector"));
    ObjectNode list = MAPPER.createObjectNode().put("apiVersion", V1).put("kind", "TasksList");
    list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    for (Task task : tasksInScope(r)) {
      ObjectNode v1 = task(task);
      if (matches(v1, selector)) {
        items.add(v1);
      }
    }
    return list;
  }

  private List<Task> tasksInScope(Routes.Request r) {
    List<Task> tasks = new ArrayList<>();
    for (Job job : run.jobs()) {
      if (inNamespaceAndRegion(job.getName(), r)) {
        run.executionsOf(job.getName()).forEach(e -> tasks.addAll(run.tasks(e.getName())));
      }
    }
    return tasks;
  }

  private Task requireTask(Routes.Request r) {
    return tasksInScope(r).stream().filter(t -> t.getName().endsWith("/tasks/" + r.path("task"))).findFirst()
        .orElseThrow(() -> ApiError.notFound("Resource '" + r.path("task") + "' of kind 'TASK' in region '" + regionLabel(r)
            + "' in project '" + r.path("namespace") + "' does not exist."));
  }

  /** v2 Task to v1 Task (SDK-run-v1 Task, TaskSpec, TaskStatus; gcloud's labels run.googleapis.com/execution and runningState). */
  private ObjectNode task(Task task) {
    Name name = Name.of(task.getName());
    ObjectNode v1 = MAPPER.createObjectNode().put("apiVersion", V1).put("kind", "Task");
    Map<String, String> labels = new LinkedHashMap<>(task.getLabelsMap());
    labels.put(RUN_GROUP + "job", task.getJob());
    labels.put(RUN_GROUP + "execution", task.getExecution());
    labels.put(RUN_GROUP + "runningState", runningState(task));
    ObjectNode metadata = metadata(v1, name, "tasks", task.getUid(), task.getGeneration(), task.getCreateTime(), labels);
    metadata.put("resourceVersion", task.getEtag());
    TaskTemplate.Builder spec = TaskTemplate.newBuilder().addAllContainers(task.getContainersList()).setMaxRetries(task.getMaxRetries())
        .setServiceAccount(task.getServiceAccount());
    if (task.hasTimeout()) {
      spec.setTimeout(task.getTimeout());
    }
    v1.set("spec", taskSpec(spec.build()));
    ObjectNode status = v1.putObject("status").put("observedGeneration", task.getObservedGeneration()).put("index", task.getIndex());
    ArrayNode conditions = status.putArray("conditions");
    task.getConditionsList().forEach(c -> conditions.add(condition(c)));
    if (task.hasStartTime()) {
      ObjectNode started = conditions.addObject().put("type", "Started").put("status", "True");
      putTime(started, "lastTransitionTime", task.getStartTime());
    }
    putTime(status, "startTime", task.getStartTime());
    putTime(status, "completionTime", task.getCompletionTime());
    putCount(status, "retried", task.getRetried());
    if (task.hasLastAttemptResult()) {
      ObjectNode attempt = status.putObject("lastAttemptResult").put("exitCode", task.getLastAttemptResult().getExitCode());
      ObjectNode rpc = attempt.putObject("status");
      if (task.getLastAttemptResult().getStatus().getCode() != 0) {
        rpc.put("code", task.getLastAttemptResult().getStatus().getCode());
      }
      if (!task.getLastAttemptResult().getStatus().getMessage().isEmpty()) {
        rpc.put("message", task.getLastAttemptResult().getStatus().getMessage());
      }
    }
    if (!task.getLogUri().isEmpty()) {
      status.put("logUri", task.getLogUri());
    }
    return v1;
  }

  /** gcloud's states (flags.AddTaskFilterFlags): Pending, Running, Succeeded, Failed, Cancelled, Abandoned. */
  private static String runningState(Task task) {
    if (!task.hasCompletionTime()) {
      return task.hasStartTime() ? "Running" : "Pending";
    }
    Condition completed = task.getConditionsList().stream().filter(c -> c.getType().equals("Completed")).findFirst()
        .orElse(Condition.getDefaultInstance());
    if (completed.getState() == Condition.State.CONDITION_SUCCEEDED) {
      return "Succeeded";
    }
    return completed.getExecutionReason() == Condition.ExecutionReason.CANCELLED ? "Cancelled" : "Failed";
  }

  // ---- v1 input to the v2 model ----

  private static JsonNode body(Routes.Request r) {
    try {
      JsonNode body = MAPPER.readTree(r.body().isBlank() ? "{}" : r.body());
      if (!body.isObject()) {
        throw ApiError.invalid("Invalid JSON payload received: not an object.");
      }
      return body;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw ApiError.invalid("Invalid JSON payload received. " + e.getOriginalMessage());
    }
  }

  /** A write names its region by the regional host, as gcloud's calls do; the fake cannot guess one without it. */
  private static String requireRegion(Routes.Request r) {
    String region = regionOf(r.host());
    if (region == null) {
      throw ApiError.invalid("Cloud Run v1 writes go to a regional host (REGION-run.googleapis.com); the request's host '"
          + r.host() + "' names no region.");
    }
    return region;
  }

  /**
   * A v1 Job (as gcloud writes it) to the v2 job spec: labels and annotations; the system annotations
   * each have "a corresponding field in v2" (the v2 reference on labels and annotations): client-name
   * and client-version, launch-stage, and on the template vpc-access-connector, vpc-access-egress and
   * execution-environment. Other annotations of a system namespace, and fields the fake does not model,
   * are refused rather than dropped.
   */
  private static Job v2Job(JsonNode v1, Routes.Request r) {
    JsonNode metadata = v1.path("metadata");
    String namespace = metadata.path("namespace").asText("");
    if (!namespace.isEmpty() && !namespace.equals(r.path("namespace"))) {
      throw ApiError.invalid("metadata.namespace: '" + namespace + "' does not match the namespace of the path, '" + r.path("namespace") + "'.");
    }
    Job.Builder job = Job.newBuilder();
    String region = regionOf(r.host());
    fields(metadata.path("labels"), (key, value) -> {
      if (!isLocation("metadata.labels", key, value, region)) {
        job.putLabels(key, value);
      }
    });
    fields(metadata.path("annotations"), (key, value) -> {
      switch (key) {
        case CLIENT_NAME -> job.setClient(value);
        case CLIENT_VERSION -> job.setClientVersion(value);
        case RUN_GROUP + "launch-stage" -> job.setLaunchStage(launchStage(value));
        default -> {
          if (!OUTPUT_ANNOTATIONS.contains(key)) {
            job.putAnnotations(userKey("metadata.annotations", key), value);
          }
        }
      }
    });
    JsonNode spec = v1.path("spec");
    only(spec, "spec", "template");
    JsonNode template = spec.path("template");
    only(template, "spec.template", "metadata", "spec");
    ExecutionTemplate.Builder execution = ExecutionTemplate.newBuilder();
    TaskTemplate.Builder task = TaskTemplate.newBuilder();
    fields(template.path("metadata").path("labels"), (key, value) -> {
      if (!isLocation("spec.template.metadata.labels", key, value, region)) {
        execution.putLabels(key, value);
      }
    });
    fields(template.path("metadata").path("annotations"), (key, value) -> {
      switch (key) {
        case CLIENT_NAME, CLIENT_VERSION -> { } // the job's, again (gcloud writes them on both)
        case RUN_GROUP + "vpc-access-connector" -> task.getVpcAccessBuilder().setConnector(value);
        case RUN_GROUP + "vpc-access-egress" -> task.getVpcAccessBuilder().setEgress(switch (value) {
          case "all-traffic", "all" -> VpcAccess.VpcEgress.ALL_TRAFFIC;
          case "private-ranges-only" -> VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY;
          default -> throw ApiError.invalid("spec.template.metadata.annotations: '" + key + "' must be all-traffic or private-ranges-only, got '" + value + "'.");
        });
        case RUN_GROUP + "execution-environment" -> task.setExecutionEnvironment(switch (value) {
          case "gen1" -> ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN1;
          case "gen2" -> ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN2;
          default -> throw ApiError.invalid("spec.template.metadata.annotations: '" + key + "' must be gen1 or gen2, got '" + value + "'.");
        });
        default -> execution.putAnnotations(userKey("spec.template.metadata.annotations", key), value);
      }
    });
    JsonNode executionSpec = template.path("spec");
    only(executionSpec, "spec.template.spec", "parallelism", "taskCount", "template");
    execution.setParallelism(executionSpec.path("parallelism").asInt(0)).setTaskCount(executionSpec.path("taskCount").asInt(0));
    only(executionSpec.path("template"), "spec.template.spec.template", "spec");
    JsonNode taskSpec = executionSpec.path("template").path("spec");
    only(taskSpec, "spec.template.spec.template.spec", "containers", "maxRetries", "timeoutSeconds", "serviceAccountName");
    if (taskSpec.has("maxRetries")) {
      task.setMaxRetries(taskSpec.path("maxRetries").asInt());
    }
    if (taskSpec.has("timeoutSeconds")) {
      task.setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(taskSpec.path("timeoutSeconds").asLong()));
    }
    task.setServiceAccount(taskSpec.path("serviceAccountName").asText(""));
    int i = 0;
    for (JsonNode c : taskSpec.path("containers")) {
      String field = "spec.template.spec.template.spec.containers[" + i++ + "]";
      only(c, field, "name", "image", "command", "args", "env", "resources", "workingDir");
      Container.Builder container = Container.newBuilder().setName(c.path("name").asText("")).setImage(c.path("image").asText(""))
          .setWorkingDir(c.path("workingDir").asText(""));
      c.path("command").forEach(a -> container.addCommand(a.asText()));
      c.path("args").forEach(a -> container.addArgs(a.asText()));
      c.path("env").forEach(e -> container.addEnv(envVar(e, field + ".env")));
      only(c.path("resources"), field + ".resources", "limits");
      if (c.path("resources").path("limits").size() > 0) {
        ResourceRequirements.Builder resources = ResourceRequirements.newBuilder();
        fields(c.path("resources").path("limits"), resources::putLimits);
        container.setResources(resources);
      }
      task.addContainers(container);
    }
    return job.setTemplate(execution.setTemplate(task)).build();
  }

  /**
   * The labels GCP writes on output, the region and the last update time (gcloud copies the job's
   * labels to the template and sends both back on a replace): dropped, the region as long as it
   * names the request's region.
   */
  private static boolean isLocation(String where, String key, String value, String region) {
    if (key.equals(LAST_UPDATED_LABEL)) {
      return true; // output only, like the location
    }
    if (!key.equals(LOCATION_LABEL)) {
      return false;
    }
    if (region != null && !value.equals(region)) {
      throw ApiError.invalid(where + ": '" + LOCATION_LABEL + "' is '" + value + "', the request's region is '" + region + "'.");
    }
    return true;
  }

  private static EnvVar envVar(JsonNode env, String field) {
    only(env, field, "name", "value");
    return EnvVar.newBuilder().setName(env.path("name").asText("")).setValue(env.path("value").asText("")).build();
  }

  /** Refuses a non-empty field the fake does not model, rather than dropping what the caller asked for. */
  private static void only(JsonNode object, String where, String... known) {
    Set<String> allowed = Set.of(known);
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode value = field.getValue();
      boolean empty = value.isNull() || (value.isContainerNode() && value.isEmpty()) || (value.isTextual() && value.asText().isEmpty());
      if (!allowed.contains(field.getKey()) && !empty) {
        throw ApiError.invalid(where + "." + field.getKey() + ": the fake does not serve this field (docs/gcp-fidelity.md, row C5).");
      }
    }
  }

  private static void fields(JsonNode object, java.util.function.BiConsumer<String, String> each) {
    object.fields().forEachRemaining(f -> each.accept(f.getKey(), f.getValue().asText()));
  }

  /** A key in a system namespace that is not one of the annotations the fake maps is refused (UNSOURCED: what v1 does). */
  private static String userKey(String where, String key) {
    if (RunApi.inReservedNamespace(key)) {
      throw ApiError.invalid(where + ": the fake does not serve the annotation '" + key + "' (docs/gcp-fidelity.md, row C5).");
    }
    return key;
  }

  private static LaunchStage launchStage(String value) {
    try {
      return LaunchStage.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("metadata.annotations: 'run.googleapis.com/launch-stage' '" + value + "' is not a launch stage.");
    }
  }

  private static Execution unpack(Operation operation) {
    try {
      return operation.getMetadata().unpack(Execution.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String camelCase(String enumName) {
    StringBuilder out = new StringBuilder();
    for (String word : enumName.toLowerCase(Locale.ROOT).split("_")) {
      if (!word.isEmpty()) {
        out.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
      }
    }
    return out.toString();
  }

  // ---- shared pieces ----

  private record Name(String project, String region, String id) {
    /** "projects/P/locations/L/jobs/J" or ".../jobs/J/executions/E". */
    static Name of(String v2Name) {
      String[] parts = v2Name.split("/");
      return new Name(parts[1], parts[3], parts[parts.length - 1]);
    }
  }

  private static ObjectNode metadata(ObjectNode v1, Name name, String collection, String uid, long generation, Timestamp created,
      Map<String, String> userLabels) {
    ObjectNode metadata = v1.putObject("metadata").put("name", name.id()).put("namespace", name.project())
        .put("selfLink", PREFIX + name.project() + "/" + collection + "/" + name.id()).put("uid", uid).put("generation", generation);
    putTime(metadata, "creationTimestamp", created);
    ObjectNode labels = metadata.putObject("labels");
    userLabels.forEach(labels::put);
    labels.put("cloud.googleapis.com/location", name.region());
    return metadata;
  }

  /** gcloud's container_resource annotations for a connector and its egress. */
  private static void vpcAnnotations(ObjectNode annotations, TaskTemplate task) {
    if (task.hasVpcAccess() && !task.getVpcAccess().getConnector().isEmpty()) {
      annotations.put("run.googleapis.com/vpc-access-connector", task.getVpcAccess().getConnector());
      VpcAccess.VpcEgress egress = task.getVpcAccess().getEgress();
      if (egress != VpcAccess.VpcEgress.VPC_EGRESS_UNSPECIFIED) {
        annotations.put("run.googleapis.com/vpc-access-egress",
            egress == VpcAccess.VpcEgress.ALL_TRAFFIC ? "all-traffic" : "private-ranges-only");
      }
    }
    if (task.getExecutionEnvironmentValue() != 0) {
      annotations.put("run.googleapis.com/execution-environment",
          task.getExecutionEnvironment().name().replace("EXECUTION_ENVIRONMENT_", "").toLowerCase(Locale.ROOT));
    }
  }

  /** v2 TaskTemplate to v1 TaskSpec. */
  private static ObjectNode taskSpec(TaskTemplate task) {
    ObjectNode spec = MAPPER.createObjectNode();
    ArrayNode containers = spec.putArray("containers");
    for (Container container : task.getContainersList()) {
      ObjectNode c = containers.addObject();
      if (!container.getName().isEmpty()) {
        c.put("name", container.getName());
      }
      c.put("image", container.getImage());
      if (container.getCommandCount() > 0) {
        container.getCommandList().forEach(c.putArray("command")::add);
      }
      if (container.getArgsCount() > 0) {
        container.getArgsList().forEach(c.putArray("args")::add);
      }
      if (!container.getWorkingDir().isEmpty()) {
        c.put("workingDir", container.getWorkingDir());
      }
      if (container.getEnvCount() > 0) {
        ArrayNode env = c.putArray("env");
        for (EnvVar var : container.getEnvList()) {
          env.addObject().put("name", var.getName()).put("value", var.getValue());
        }
      }
      if (container.hasResources() && container.getResources().getLimitsCount() > 0) {
        ObjectNode limits = c.putObject("resources").putObject("limits");
        container.getResources().getLimitsMap().forEach(limits::put);
      }
    }
    spec.put("maxRetries", task.getMaxRetries());
    if (task.hasTimeout()) {
      spec.put("timeoutSeconds", Long.toString(task.getTimeout().getSeconds()));
    }
    if (!task.getServiceAccount().isEmpty()) {
      spec.put("serviceAccountName", task.getServiceAccount());
    }
    return spec;
  }

  /** v2 Condition to v1 (Knative) condition: the state becomes "True", "False" or "Unknown". */
  private static ObjectNode condition(Condition condition) {
    ObjectNode v1 = MAPPER.createObjectNode().put("type", condition.getType()).put("status", switch (condition.getState()) {
      case CONDITION_SUCCEEDED -> "True";
      case CONDITION_FAILED -> "False";
      default -> "Unknown";
    });
    if (!condition.getMessage().isEmpty()) {
      v1.put("message", condition.getMessage());
    }
    putTime(v1, "lastTransitionTime", condition.getLastTransitionTime());
    if (condition.getExecutionReasonValue() != 0) {
      // gcloud reads reason "Cancelled" as a cancelled execution (command_lib/run/cancellation.py).
      v1.put("reason", camelCase(condition.getExecutionReason().name()));
    }
    if (condition.getSeverityValue() != 0) {
      String severity = condition.getSeverity().name();
      v1.put("severity", severity.charAt(0) + severity.substring(1).toLowerCase(Locale.ROOT));
    }
    return v1;
  }

  private static void putTime(ObjectNode node, String field, Timestamp time) {
    if (time.getSeconds() != 0 || time.getNanos() != 0) {
      node.put(field, Instant.ofEpochSecond(time.getSeconds(), time.getNanos()).toString());
    }
  }

  private static void putCount(ObjectNode node, String field, int count) {
    if (count != 0) {
      node.put(field, count);
    }
  }

  /** The v2 name among {@code names} that the v1 path names, in the request's region if its host names one. */
  private static java.util.Optional<String> find(List<String> names, Routes.Request r, String collection, String id) {
    return names.stream().filter(n -> inNamespaceAndRegion(n, r) && n.endsWith("/" + collection + "/" + id)).findFirst();
  }

  private static boolean inNamespaceAndRegion(String v2Name, Routes.Request r) {
    Name name = Name.of(v2Name);
    String region = regionOf(r.host());
    return name.project().equals(r.path("namespace")) && (region == null || name.region().equals(region));
  }

  private static String regionLabel(Routes.Request r) {
    String region = regionOf(r.host());
    return region == null ? "any" : region;
  }

  /**
   * A Kubernetes label selector as gcloud sends it: "k = v", "k != v" and "k in (a,b)" / "k notin (a,b)"
   * terms, comma-separated (gcloud's task state flags send the set form).
   */
  private static List<java.util.function.Predicate<JsonNode>> selector(String text) {
    List<java.util.function.Predicate<JsonNode>> terms = new ArrayList<>();
    if (text.isBlank()) {
      return terms;
    }
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      if (c == ',' && depth == 0) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(text.substring(start));
    for (String term : parts) {
      Matcher m = SELECTOR_TERM.matcher(term);
      Matcher set = SELECTOR_SET.matcher(term);
      if (m.matches()) {
        String key = m.group(1);
        String value = m.group(3);
        boolean negated = m.group(2).equals("!=");
        terms.add(labels -> negated != value.equals(labels.path(key).asText(null)));
      } else if (set.matches()) {
        String key = set.group(1);
        Set<String> values = new java.util.HashSet<>();
        for (String v : set.group(3).split(",")) {
          values.add(v.trim());
        }
        boolean negated = set.group(2).equals("notin");
        terms.add(labels -> negated != values.contains(labels.path(key).asText(null)));
      } else {
        throw ApiError.invalid("Invalid labelSelector '" + text + "': the fake takes only 'key = value', 'key != value',"
            + " 'key in (a,b)' and 'key notin (a,b)' terms.");
      }
    }
    return terms;
  }

  private static boolean matches(JsonNode object, List<java.util.function.Predicate<JsonNode>> selector) {
    JsonNode labels = object.path("metadata").path("labels");
    return selector.stream().allMatch(term -> term.test(labels));
  }
}
