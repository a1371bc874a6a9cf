package dev.cloudrun.egress.gcp.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.VpcAccess;
import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

  private final RunApi run;

  RunV1Api(RunApi run) {
    this.run = run;
  }

  void register(Routes routes) {
    String namespace = "/apis/run.googleapis.com/v1/namespaces/{namespace}";
    routes.add(API, "namespaces.jobs.list", "GET", namespace + "/jobs", this::listJobs);
    routes.add(API, "namespaces.jobs.get", "GET", namespace + "/jobs/{job}", r -> job(requireJob(r)));
    routes.add(API, "namespaces.jobs.delete", "DELETE", namespace + "/jobs/{job}", this::deleteJob);
    routes.add(API, "namespaces.executions.list", "GET", namespace + "/executions", this::listExecutions);
    routes.add(API, "namespaces.executions.get", "GET", namespace + "/executions/{execution}", r -> execution(requireExecution(r)));
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
    Map<String, String> selector = selector(r.query("labelSelector"));
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
    ObjectNode status = MAPPER.createObjectNode().put("apiVersion", "v1").put("kind", "Status").put("status", "Success");
    status.putObject("details").put("name", r.path("job")).put("group", "run.googleapis.com").put("kind", "jobs").put("uid", job.getUid());
    return status;
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
    ObjectNode metadata = metadata(v1, name, "jobs", job.getUid(), job.getGeneration(), job.getCreateTime(), job.getLabelsMap());
    metadata.put("resourceVersion", job.getEtag());
    ObjectNode annotations = metadata.putObject("annotations");
    job.getAnnotationsMap().forEach(annotations::put);
    annotations.put("run.googleapis.com/creator", job.getCreator());
    annotations.put("run.googleapis.com/lastModifier", job.getLastModifier());
    annotations.put("run.googleapis.com/launch-stage", job.getLaunchStage().name());
    ObjectNode template = v1.putObject("spec").putObject("template");
    ObjectNode templateMetadata = template.putObject("metadata");
    ObjectNode templateAnnotations = templateMetadata.putObject("annotations");
    job.getTemplate().getAnnotationsMap().forEach(templateAnnotations::put);
    vpcAnnotations(templateAnnotations, job.getTemplate().getTemplate());
    if (job.getTemplate().getLabelsCount() > 0) {
      ObjectNode labels = templateMetadata.putObject("labels");
      job.getTemplate().getLabelsMap().forEach(labels::put);
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
    Map<String, String> selector = selector(r.query("labelSelector"));
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

  /** A Kubernetes equality-based label selector: "k = v, k2 != v2" (the form gcloud sends). */
  private static Map<String, String> selector(String text) {
    Map<String, String> terms = new LinkedHashMap<>();
    if (text.isBlank()) {
      return terms;
    }
    for (String term : text.split(",")) {
      Matcher m = SELECTOR_TERM.matcher(term);
      if (!m.matches()) {
        throw ApiError.invalid("Invalid labelSelector '" + text + "': the fake takes only 'key = value' and 'key != value' terms.");
      }
      terms.put((m.group(2).equals("!=") ? "!" : "") + m.group(1), m.group(3));
    }
    return terms;
  }

  private static boolean matches(JsonNode object, Map<String, String> selector) {
    JsonNode labels = object.path("metadata").path("labels");
    return selector.entrySet().stream().allMatch(term -> {
      boolean negated = term.getKey().startsWith("!");
      String key = negated ? term.getKey().substring(1) : term.getKey();
      boolean equal = term.getValue().equals(labels.path(key).asText(null));
      return negated != equal;
    });
  }
}
