package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.LaunchStage;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.ExecutionsClient;
import com.google.cloud.run.v2.ExecutionsSettings;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.VpcAccess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Cloud Run v1 view's writes (ledger C5) and the v2 clients: one store, so a job written through
 * v1 is the job the v2 client reads, and a v2 job is what v1 replaces and runs.
 */
class RunV1ApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JOBS = "/apis/run.googleapis.com/v1/namespaces/myproject/jobs";

  private FakeGcp gcp;
  private JobsClient jobs;
  private ExecutionsClient executions;

  @BeforeEach
  void start() throws Exception {
    gcp = FakeGcp.start();
    jobs = JobsClient.create(gcp.configure(JobsSettings.newHttpJsonBuilder()).build());
    executions = ExecutionsClient.create(gcp.configure(ExecutionsSettings.newHttpJsonBuilder()).build());
  }

  @AfterEach
  void stop() {
    jobs.close();
    executions.close();
    gcp.close();
  }

  @Test
  void aJobCreatedThroughV1IsReadIdenticallyThroughTheV2Client() throws Exception {
    HttpResponse<String> created = v1("POST", JOBS, """
        {"apiVersion": "run.googleapis.com/v1", "kind": "Job",
         "metadata": {"name": "v1-job", "namespace": "myproject", "labels": {"team": "x"},
                      "annotations": {"run.googleapis.com/client-name": "gcloud", "run.googleapis.com/client-version": "528.0.0"}},
         "spec": {"template": {
           "metadata": {"labels": {"client.knative.dev/nonce": "abc"},
                        "annotations": {"run.googleapis.com/vpc-access-connector": "projects/myproject/locations/europe-west2/connectors/c1",
                                        "run.googleapis.com/vpc-access-egress": "private-ranges-only",
                                        "run.googleapis.com/execution-environment": "gen2"}},
           "spec": {"taskCount": 3, "parallelism": 2, "template": {"spec": {
             "containers": [{"name": "main", "image": "busybox", "command": ["sh"], "args": ["-c", "true"],
                             "env": [{"name": "A", "value": "1"}], "resources": {"limits": {"cpu": "1", "memory": "512Mi"}}}],
             "maxRetries": 2, "timeoutSeconds": "120", "serviceAccountName": "sa@myproject.iam.gserviceaccount.com"}}}}}}
        """);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    gcp.clock().advance(Duration.ofMinutes(1));

    Job job = jobs.getJob("projects/myproject/locations/europe-west2/jobs/v1-job");

    assertThat(job.getLabelsMap()).containsExactly(java.util.Map.entry("team", "x"));
    assertThat(job.getAnnotationsMap()).as("the system annotations became fields").isEmpty();
    assertThat(job.getClient()).isEqualTo("gcloud");
    assertThat(job.getClientVersion()).isEqualTo("528.0.0");
    assertThat(job.getLaunchStage()).isEqualTo(LaunchStage.GA);
    ExecutionTemplate template = job.getTemplate();
    assertThat(template.getLabelsMap()).containsEntry("client.knative.dev/nonce", "abc");
    assertThat(template.getTaskCount()).isEqualTo(3);
    assertThat(template.getParallelism()).isEqualTo(2);
    TaskTemplate task = template.getTemplate();
    assertThat(task.getVpcAccess().getConnector()).as("ledger J2: the short form").isEqualTo("c1");
    assertThat(task.getVpcAccess().getEgress()).isEqualTo(VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY);
    assertThat(task.getExecutionEnvironment().name()).isEqualTo("EXECUTION_ENVIRONMENT_GEN2");
    assertThat(task.getMaxRetries()).isEqualTo(2);
    assertThat(task.getTimeout().getSeconds()).isEqualTo(120);
    assertThat(task.getServiceAccount()).isEqualTo("sa@myproject.iam.gserviceaccount.com");
    Container container = task.getContainers(0);
    assertThat(container.getName()).isEqualTo("main");
    assertThat(container.getImage()).isEqualTo("busybox");
    assertThat(container.getCommandList()).containsExactly("sh");
    assertThat(container.getArgsList()).containsExactly("-c", "true");
    assertThat(container.getEnvList()).containsExactly(EnvVar.newBuilder().setName("A").setValue("1").build());
    assertThat(container.getResources().getLimitsMap()).containsEntry("cpu", "1").containsEntry("memory", "512Mi");

    JsonNode v1 = json(v1("GET", JOBS + "/v1-job", ""));
    assertThat(v1.path("metadata").path("uid").asText()).isEqualTo(job.getUid());
    assertThat(v1.path("metadata").path("generation").asLong()).isEqualTo(job.getGeneration());
    assertThat(v1.path("metadata").path("resourceVersion").asText()).isEqualTo(job.getEtag());
    assertThat(v1.path("spec").path("template").path("metadata").path("annotations").path("run.googleapis.com/vpc-access-connector").asText())
        .isEqualTo("c1");
  }

  @Test
  void aV2JobIsReplacedAndRunThroughV1AndTheV2ClientSeesBoth() throws Exception {
    jobs.createJobAsync(com.google.cloud.run.v2.CreateJobRequest.newBuilder().setParent("projects/myproject/locations/europe-west2")
        .setJobId("v2-job").setJob(Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder().setTemplate(TaskTemplate.newBuilder()
            .addContainers(Container.newBuilder().setImage("busybox"))))).build());
    gcp.clock().advance(Duration.ofMinutes(1));
    JsonNode read = json(v1("GET", JOBS + "/v2-job", ""));
    ((com.fasterxml.jackson.databind.node.ObjectNode) read.path("spec").path("template").path("spec").path("template").path("spec")
        .path("containers").get(0)).put("image", "busybox:1.36");

    JsonNode replaced = json(v1("PUT", JOBS + "/v2-job", read.toString()));
    gcp.clock().advance(Duration.ofMinutes(1));
    JsonNode execution = json(v1("POST", JOBS + "/v2-job:run", "{}"));

    assertThat(replaced.path("metadata").path("generation").asLong()).isEqualTo(2);
    Job job = jobs.getJob("projects/myproject/locations/europe-west2/jobs/v2-job");
    assertThat(job.getGeneration()).isEqualTo(2);
    assertThat(job.getTemplate().getTemplate().getContainers(0).getImage()).isEqualTo("busybox:1.36");
    assertThat(job.getExecutionCount()).isEqualTo(1);
    Execution v2 = executions.getExecution(job.getName() + "/executions/" + execution.path("metadata").path("name").asText());
    assertThat(v2.getTemplate().getContainers(0).getImage()).isEqualTo("busybox:1.36");
    assertThat(job.getLatestCreatedExecution().getName()).isEqualTo(execution.path("metadata").path("name").asText());
  }

  @Test
  void fieldsAndAnnotationsTheFakeDoesNotServeAreRefusedNotDropped() throws Exception {
    String volume = """
        {"metadata": {"name": "j"}, "spec": {"template": {"spec": {"template": {"spec": {
          "containers": [{"image": "busybox", "volumeMounts": [{"name": "v", "mountPath": "/v"}]}]}}}}}}
        """;
    String annotation = """
        {"metadata": {"name": "j", "annotations": {"run.googleapis.com/cloudsql-instances": "p:r:i"}},
         "spec": {"template": {"spec": {"template": {"spec": {"containers": [{"image": "busybox"}]}}}}}}
        """;
    String otherNamespace = """
        {"metadata": {"name": "j", "namespace": "other"}, "spec": {"template": {"spec": {"template": {"spec": {
          "containers": [{"image": "busybox"}]}}}}}}
        """;

    String volumes = """
        {"metadata": {"name": "j"}, "spec": {"template": {"spec": {"template": {"spec": {
          "containers": [{"image": "busybox"}], "volumes": [{"name": "v", "emptyDir": {}}]}}}}}}
        """;
    String secret = """
        {"metadata": {"name": "j"}, "spec": {"template": {"spec": {"template": {"spec": {
          "containers": [{"image": "busybox", "env": [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "latest"}}}]}]}}}}}}
        """;

    for (String body : List.of(volume, annotation, otherNamespace, volumes, secret)) {
      HttpResponse<String> response = v1("POST", JOBS, body);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    }
    HttpResponse<String> noRegion = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gcp.endpoint() + JOBS))
        .POST(HttpRequest.BodyPublishers.ofString(volume)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(noRegion.statusCode()).as("a write needs the regional host").isEqualTo(400);
    assertThat(gcp.allJobs()).isEmpty();
  }

  @Test
  void runningAMissingJobAndCancellingAMissingExecutionAre404() throws Exception {
    assertThat(v1("POST", JOBS + "/missing:run", "{}").statusCode()).isEqualTo(404);
    assertThat(v1("POST", "/apis/run.googleapis.com/v1/namespaces/myproject/executions/missing:cancel", "{}").statusCode()).isEqualTo(404);
    assertThat(v1("DELETE", "/apis/run.googleapis.com/v1/namespaces/myproject/executions/missing", "").statusCode()).isEqualTo(404);
    assertThat(v1("GET", "/apis/run.googleapis.com/v1/namespaces/myproject/tasks/missing", "").statusCode()).isEqualTo(404);
  }

  private HttpResponse<String> v1(String method, String path, String body) throws Exception {
    return GcloudRequestsTest.viaRegionalHost(gcp, "europe-west2", method, path, body);
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return GcloudRequestsTest.json(response);
  }
}
