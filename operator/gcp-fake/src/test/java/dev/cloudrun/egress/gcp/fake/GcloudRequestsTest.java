package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Firewall;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The requests gcloud 528 sends (as its --log-http shows them) for the commands docs/operating.md
 * lists under "The GCP emulator" (and for gcloud run jobs create, update, execute and executions
 * cancel, delete and tasks list), replayed with java.net.http, and the shape of the answers gcloud
 * reads. No gcloud needed; {@link GcloudCliTest} runs the real one where it is installed.
 */
class GcloudRequestsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String P = "myproject";
  private static final String R = "europe-west2";
  /** gcloud's apitools batch: python's email generator, "\n" line ends, a quoted boundary. */
  private static final String BOUNDARY = "===============8245167171572281903==";

  private final HttpClient http = HttpClient.newHttpClient();
  private FakeGcp gcp;

  @BeforeEach
  void start() {
    gcp = FakeGcp.start();
    gcp.latencies().setAll(Duration.ZERO);
    gcp.seedNetwork(P, "default");
    gcp.seedSubnetwork(P, "us-central1", "jobs-usc1", "default", "10.30.0.0/24");
  }

  @AfterEach
  void stop() {
    gcp.close();
  }

  @Test
  void routersListIsAnAggregatedListKeyedByScopeWithAWarningOnEmptyScopes() throws Exception {
    post("/compute/v1/projects/myproject/regions/europe-west2/routers", "{\"name\":\"nat-router\",\"network\":\"global/networks/default\"}");

    JsonNode list = getJson("/compute/v1/projects/myproject/aggregated/routers?alt=json&includeAllScopes=True&maxResults=500&returnPartialSuccess=True");

    assertThat(list.path("kind").asText()).isEqualTo("compute#routerAggregatedList");
    assertThat(list.path("id").asText()).isEqualTo("projects/myproject/aggregated/routers");
    assertThat(list.has("nextPageToken")).isFalse();
    JsonNode items = list.path("items");
    assertThat(items.path("regions/europe-west2").path("routers").get(0).path("name").asText()).isEqualTo("nat-router");
    assertThat(items.path("regions/europe-west2").has("warning")).isFalse();
    JsonNode empty = items.path("regions/us-central1").path("warning");
    assertThat(empty.path("code").asText()).isEqualTo("NO_RESULTS_ON_PAGE");
    assertThat(empty.path("message").asText()).isEqualTo("There are no results for scope 'regions/us-central1' on this page.");
    assertThat(empty.path("data").get(0).path("key").asText()).isEqualTo("scope");
    assertThat(empty.path("data").get(0).path("value").asText()).isEqualTo("regions/us-central1");
    assertThat(items.path("global").path("warning").path("code").asText())
        .as("includeAllScopes asks for the global scope too").isEqualTo("NO_RESULTS_ON_PAGE");
    assertThat(getJson("/compute/v1/projects/myproject/aggregated/routers?alt=json&maxResults=500").path("items").has("global")).isFalse();
  }

  @Test
  void anAggregatedListPagesThroughItemsAcrossScopes() throws Exception {
    post("/compute/v1/projects/myproject/regions/europe-west2/addresses", "{\"name\":\"a\"}");
    post("/compute/v1/projects/myproject/regions/us-central1/addresses", "{\"name\":\"b\"}");

    JsonNode first = getJson("/compute/v1/projects/myproject/aggregated/addresses?alt=json&maxResults=1");
    JsonNode second = getJson("/compute/v1/projects/myproject/aggregated/addresses?alt=json&maxResults=1&pageToken="
        + first.path("nextPageToken").asText());

    assertThat(first.path("items").path("regions/europe-west2").path("addresses").get(0).path("status").asText()).isEqualTo("RESERVED");
    assertThat(first.path("items").path("regions/us-central1").path("warning").path("code").asText()).isEqualTo("NO_RESULTS_ON_PAGE");
    assertThat(second.path("items").path("regions/us-central1").path("addresses").get(0).path("name").asText()).isEqualTo("b");
    assertThat(second.has("nextPageToken")).isFalse();
  }

  @Test
  void aBatchOfDeletesAndThenOfOperationWaitsIsAnsweredPartByPart() throws Exception {
    firewall("fw-a");
    firewall("fw-b");

    HttpResponse<String> deletes = batch(List.of(
        inner("DELETE", "/compute/v1/projects/myproject/global/firewalls/fw-a?alt=json"),
        inner("DELETE", "/compute/v1/projects/myproject/global/firewalls/fw-b?alt=json")));

    assertThat(deletes.statusCode()).isEqualTo(200);
    assertThat(deletes.headers().firstValue("Content-Type").orElseThrow()).startsWith("multipart/mixed; boundary=");
    List<Part> parts = parts(deletes);
    assertThat(parts).extracting(Part::contentId).containsExactly("<response-c45c389d-f7c0-43ea-abbf-bb6a365cb175+0>",
        "<response-c45c389d-f7c0-43ea-abbf-bb6a365cb175+1>");
    assertThat(parts).extracting(Part::status).containsExactly(200, 200);
    assertThat(parts).allSatisfy(part -> assertThat(part.json().path("operationType").asText()).isEqualTo("delete"));
    assertThat(gcp.calls().count("compute", "firewalls.delete")).as("each part is a call of its own").isEqualTo(2);
    assertThat(gcp.firewalls(P)).isEmpty();

    HttpResponse<String> waits = batch(parts.stream().map(part -> inner("POST", "/compute/v1/projects/myproject/global/operations/"
        + part.json().path("name").asText() + "/wait?alt=json")).toList());

    assertThat(parts(waits)).allSatisfy(part -> assertThat(part.json().path("status").asText()).isEqualTo("DONE"));
  }

  @Test
  void aFailingPartAnswersItsOwnErrorAndTheOthersStillSucceed() throws Exception {
    firewall("fw-a");

    List<Part> parts = parts(batch(List.of(
        inner("DELETE", "/compute/v1/projects/myproject/global/firewalls/missing?alt=json"),
        inner("DELETE", "/compute/v1/projects/myproject/global/firewalls/fw-a?alt=json"))));

    assertThat(parts).extracting(Part::status).containsExactly(404, 200);
    assertThat(parts.get(0).json().path("error").path("errors").get(0).path("reason").asText()).isEqualTo("notFound");
  }

  @Test
  void aBatchThatIsNotMultipartIsABadRequest() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gcp.endpoint() + "/batch/compute/v1"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(400);
  }

  @Test
  void operationsAreListedGloballyRegionallyAndAggregated() throws Exception {
    post("/compute/v1/projects/myproject/global/firewalls",
        "{\"allowed\":[{\"IPProtocol\":\"tcp\",\"ports\":[\"443\"]}],\"name\":\"fw-a\",\"network\":\"global/networks/default\"}");
    post("/compute/v1/projects/myproject/regions/europe-west2/addresses", "{\"name\":\"a\"}");

    JsonNode global = getJson("/compute/v1/projects/myproject/global/operations?alt=json&maxResults=500");
    JsonNode regional = getJson("/compute/v1/projects/myproject/regions/europe-west2/operations?alt=json&maxResults=500");
    JsonNode aggregated = getJson("/compute/v1/projects/myproject/aggregated/operations?alt=json&maxResults=500&returnPartialSuccess=True");

    assertThat(global.path("kind").asText()).isEqualTo("compute#operationList");
    assertThat(global.path("items")).hasSize(1);
    assertThat(global.path("items").get(0).has("region")).isFalse();
    assertThat(regional.path("items").get(0).path("targetLink").asText()).endsWith("/regions/europe-west2/addresses/a");
    assertThat(aggregated.path("kind").asText()).isEqualTo("compute#operationAggregatedList");
    assertThat(aggregated.path("items").path("global").path("operations")).hasSize(1);
    assertThat(aggregated.path("items").path("regions/europe-west2").path("operations")).hasSize(1);
    assertThat(aggregated.path("items").path("regions/us-central1").path("warning").path("code").asText()).isEqualTo("NO_RESULTS_ON_PAGE");
  }

  @Test
  void theFilterGcloudRewritesFromFilterIsApplied() throws Exception {
    firewall("fw-a");
    firewall("fw-ab");

    // gcloud compute firewall-rules list --filter=name=fw-a
    JsonNode byName = getJson("/compute/v1/projects/myproject/global/firewalls?alt=json&filter="
        + "name+eq+%22.%2A%5Cbfw%5C-a%5Cb.%2A%22&maxResults=500");
    // two terms, each in parentheses, must both hold
    JsonNode both = getJson("/compute/v1/projects/myproject/global/firewalls?alt=json&filter="
        + "%28name+eq+fw-.*%29+%28priority+ne+1000%29");
    HttpResponse<String> aip160 = send("GET", "/compute/v1/projects/myproject/global/firewalls?filter=name+%3D+%22fw-a%22", "");

    assertThat(byName.path("items")).extracting(item -> item.path("name").asText()).containsExactly("fw-a");
    assertThat(both.path("items")).isEmpty();
    assertThat(aip160.statusCode()).isEqualTo(400);
  }

  @Test
  void cloudRunV1ListsDescribesAndDeletesJobsOfTheRegionTheHostNames() throws Exception {
    String job = "{\"template\":{\"template\":{\"containers\":[{\"image\":\"busybox\"}],\"serviceAccount\":\"sa@myproject.iam.gserviceaccount.com\"}}}";
    post("/v2/projects/myproject/locations/europe-west2/jobs?jobId=my-job", job);
    post("/v2/projects/myproject/locations/us-central1/jobs?jobId=other", job);
    post("/v2/projects/myproject/locations/europe-west2/jobs/my-job:run", "{}");
    gcp.clock().advance(Duration.ofMinutes(1));

    JsonNode list = v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs?alt=json");
    JsonNode described = v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/my-job?alt=json");
    JsonNode executions = v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/executions?alt=json&labelSelector="
        + "run.googleapis.com%2Fjob+%3D+my-job&limit=100");

    assertThat(list.path("kind").asText()).isEqualTo("JobsList");
    assertThat(list.path("items")).extracting(item -> item.path("metadata").path("name").asText()).containsExactly("my-job");
    assertThat(described.path("apiVersion").asText()).isEqualTo("run.googleapis.com/v1");
    assertThat(described.path("metadata").path("labels").path("cloud.googleapis.com/location").asText()).isEqualTo("europe-west2");
    assertThat(described.path("metadata").path("annotations").path("run.googleapis.com/creator").asText()).isNotEmpty();
    assertThat(described.path("status").path("conditions").get(0).path("type").asText()).isEqualTo("Ready");
    assertThat(described.path("status").path("conditions").get(0).path("status").asText()).isEqualTo("True");
    JsonNode task = described.path("spec").path("template").path("spec").path("template").path("spec");
    assertThat(task.path("containers").get(0).path("image").asText()).isEqualTo("busybox");
    assertThat(task.path("timeoutSeconds").asText()).isEqualTo("600");
    assertThat(task.path("maxRetries").asInt()).isEqualTo(3);
    assertThat(task.path("serviceAccountName").asText()).isEqualTo("sa@myproject.iam.gserviceaccount.com");
    assertThat(executions.path("items")).hasSize(1);
    JsonNode execution = executions.path("items").get(0);
    assertThat(execution.path("metadata").path("labels").path("run.googleapis.com/job").asText()).isEqualTo("my-job");
    assertThat(execution.path("status").path("succeededCount").asInt()).isEqualTo(1);
    assertThat(execution.path("spec").path("taskCount").asInt()).isEqualTo(1);
    assertThat(v1("us-central1", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs?alt=json").path("items"))
        .extracting(item -> item.path("metadata").path("name").asText()).containsExactly("other");

    JsonNode deleted = v1("europe-west2", "DELETE", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/my-job?alt=json");

    assertThat(deleted.path("status").asText()).isEqualTo("Success");
    assertThat(gcp.job("projects/myproject/locations/europe-west2/jobs/my-job")).isEmpty();
    assertThat(gcp.job("projects/myproject/locations/us-central1/jobs/other")).isPresent();
  }

  /** gcloud 528's body for {@code gcloud run jobs create my-job --image=busybox --region=europe-west2}. */
  private static final String CREATE = "{\"apiVersion\": \"run.googleapis.com/v1\", \"kind\": \"Job\", \"metadata\": {\"annotations\": "
      + "{\"run.googleapis.com/client-name\": \"gcloud\", \"run.googleapis.com/client-version\": \"528.0.0\"}, \"labels\": {}, \"name\": "
      + "\"my-job\", \"namespace\": \"myproject\"}, \"spec\": {\"template\": {\"metadata\": {\"annotations\": {\"run.googleapis.com/client-name\": "
      + "\"gcloud\", \"run.googleapis.com/client-version\": \"528.0.0\"}, \"labels\": {\"client.knative.dev/nonce\": \"zup_zib_tef\"}}, \"spec\": "
      + "{\"template\": {\"spec\": {\"containers\": [{\"image\": \"busybox\", \"name\": \"\"}], \"nodeSelector\": {}}}}}}, \"status\": "
      + "{\"latestCreatedExecution\": {}}}";

  @Test
  void cloudRunV1CreatesAJobAnswersItAndRefusesTheSameNameAgain() throws Exception {
    gcp.latencies().set(Latencies.Kind.JOB_MUTATION, Duration.ofSeconds(3));
    HttpResponse<String> created = v1("europe-west2", "POST", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs?alt=json", CREATE);
    HttpResponse<String> again = v1("europe-west2", "POST", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs?alt=json", CREATE);

    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    JsonNode job = JSON.readTree(created.body());
    assertThat(job.path("kind").asText()).isEqualTo("Job");
    assertThat(job.path("metadata").path("name").asText()).isEqualTo("my-job");
    assertThat(job.path("metadata").path("namespace").asText()).isEqualTo("myproject");
    assertThat(job.path("metadata").path("generation").asLong()).isEqualTo(1);
    assertThat(job.path("metadata").path("labels").path("cloud.googleapis.com/location").asText()).isEqualTo("europe-west2");
    assertThat(job.path("metadata").path("annotations").path("run.googleapis.com/client-name").asText()).isEqualTo("gcloud");
    assertThat(job.path("spec").path("template").path("metadata").path("labels").path("client.knative.dev/nonce").asText()).isEqualTo("zup_zib_tef");
    assertThat(job.path("status").path("conditions").get(0).path("type").asText()).isEqualTo("Ready");
    assertThat(job.path("status").path("conditions").get(0).path("status").asText()).as("reconciling").isEqualTo("Unknown");
    assertThat(again.statusCode()).as("gcloud reads 409 as 'Job [my-job] already exists.'").isEqualTo(409);

    gcp.clock().advance(Duration.ofMinutes(1));
    JsonNode ready = json(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/my-job?alt=json", ""));
    assertThat(ready.path("status").path("observedGeneration").asLong()).isEqualTo(1);
    assertThat(ready.path("status").path("conditions").get(0).path("status").asText()).isEqualTo("True");
    assertThat(gcp.job("projects/myproject/locations/europe-west2/jobs/my-job")).isPresent();
  }

  @Test
  void cloudRunV1ReplacesTheWholeJobGuardedByItsResourceVersion() throws Exception {
    v1("europe-west2", "POST", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs?alt=json", CREATE);
    gcp.clock().advance(Duration.ofMinutes(1));
    JsonNode read = json(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/my-job?alt=json", ""));
    // What gcloud run jobs update my-job --set-env-vars=A=1 --tasks=2 --max-retries=1 --task-timeout=5m --labels=team=x
    // --vpc-connector=... --vpc-egress=all-traffic sends: the job it read, changed, with the output fields it read.
    String replace = "{\"apiVersion\": \"run.googleapis.com/v1\", \"kind\": \"Job\", \"metadata\": {\"annotations\": {"
        + "\"run.googleapis.com/client-name\": \"gcloud\", \"run.googleapis.com/client-version\": \"528.0.0\", \"run.googleapis.com/creator\": "
        + "\"fake-gcp@example.com\", \"run.googleapis.com/lastModifier\": \"fake-gcp@example.com\", \"run.googleapis.com/launch-stage\": \"GA\"}, "
        + "\"generation\": 1, \"labels\": {\"cloud.googleapis.com/location\": \"europe-west2\", \"team\": \"x\"}, \"name\": \"my-job\", "
        + "\"namespace\": \"myproject\", \"resourceVersion\": \"" + read.path("metadata").path("resourceVersion").asText() + "\"}, "
        + "\"spec\": {\"template\": {\"metadata\": {\"annotations\": {\"run.googleapis.com/client-name\": \"gcloud\", "
        + "\"run.googleapis.com/client-version\": \"528.0.0\", \"run.googleapis.com/vpc-access-connector\": "
        + "\"projects/net-host-prod/locations/europe-west2/connectors/shared-euw2\", \"run.googleapis.com/vpc-access-egress\": \"all-traffic\"}, "
        + "\"labels\": {\"client.knative.dev/nonce\": \"wuq_xet_mit\", \"cloud.googleapis.com/location\": \"europe-west2\", \"team\": \"x\"}}, "
        + "\"spec\": {\"taskCount\": 2, \"template\": {\"spec\": {\"containers\": [{\"env\": [{\"name\": \"A\", \"value\": \"1\"}], "
        + "\"image\": \"busybox\"}], \"maxRetries\": 1, \"timeoutSeconds\": \"300\"}}}}}, \"status\": {\"conditions\": [{\"status\": \"True\", "
        + "\"type\": \"Ready\"}], \"observedGeneration\": 1}}";

    HttpResponse<String> replaced = v1("europe-west2", "PUT", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/my-job?alt=json", replace);
    HttpResponse<String> stale = v1("europe-west2", "PUT", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/my-job?alt=json", replace);
    HttpResponse<String> missing = v1("europe-west2", "PUT", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/other?alt=json",
        replace.replace("\"my-job\"", "\"other\""));

    assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
    JsonNode job = JSON.readTree(replaced.body());
    assertThat(job.path("metadata").path("generation").asLong()).isEqualTo(2);
    assertThat(job.path("metadata").path("labels").path("team").asText()).isEqualTo("x");
    JsonNode template = job.path("spec").path("template");
    assertThat(template.path("metadata").path("annotations").path("run.googleapis.com/vpc-access-egress").asText()).isEqualTo("all-traffic");
    assertThat(template.path("spec").path("taskCount").asInt()).isEqualTo(2);
    JsonNode task = template.path("spec").path("template").path("spec");
    assertThat(task.path("containers").get(0).path("env").get(0).path("value").asText()).isEqualTo("1");
    assertThat(task.path("timeoutSeconds").asText()).isEqualTo("300");
    assertThat(task.path("maxRetries").asInt()).isEqualTo(1);
    assertThat(stale.statusCode()).as("the resourceVersion read before the first replace is stale").isEqualTo(409);
    assertThat(missing.statusCode()).isEqualTo(404);
  }

  @Test
  void cloudRunV1RunsAJobAndCancelsListsAndDeletesTheExecutionAndItsTasks() throws Exception {
    gcp.latencies().set(Latencies.Kind.TASK, Duration.ofSeconds(30));
    post("/v2/projects/myproject/locations/europe-west2/jobs?jobId=my-job",
        "{\"template\":{\"taskCount\":2,\"template\":{\"containers\":[{\"image\":\"busybox\",\"env\":[{\"name\":\"A\",\"value\":\"0\"}]}]}}}");
    gcp.clock().advance(Duration.ofSeconds(10));

    // gcloud run jobs execute my-job --region europe-west2 --update-env-vars=X=1 --args=a,b
    HttpResponse<String> ran = v1("europe-west2", "POST", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/my-job:run?alt=json",
        "{\"overrides\": {\"containerOverrides\": [{\"args\": [\"a\", \"b\"], \"clearArgs\": false, \"env\": [{\"name\": \"X\", \"value\": \"1\"}]}]}}");

    assertThat(ran.statusCode()).as(ran.body()).isEqualTo(200);
    JsonNode execution = JSON.readTree(ran.body());
    String id = execution.path("metadata").path("name").asText();
    assertThat(execution.path("kind").asText()).isEqualTo("Execution");
    assertThat(id).startsWith("my-job-");
    assertThat(execution.path("metadata").path("namespace").asText()).isEqualTo("myproject");
    assertThat(execution.path("metadata").path("labels").path("run.googleapis.com/job").asText()).isEqualTo("my-job");
    assertThat(conditions(execution)).containsEntry("Started", "True").containsEntry("ResourcesAvailable", "True")
        .containsEntry("Completed", "Unknown");
    JsonNode container = execution.path("spec").path("template").path("spec").path("containers").get(0);
    assertThat(container.path("args")).extracting(JsonNode::asText).containsExactly("a", "b");
    assertThat(container.path("env")).extracting(e -> e.path("name").asText() + "=" + e.path("value").asText()).containsExactly("A=0", "X=1");

    // gcloud run jobs executions tasks list --execution E --running
    JsonNode running = json(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/tasks?alt=json&labelSelector="
        + "run.googleapis.com%2Fexecution+%3D+" + id + "%2Crun.googleapis.com%2FrunningState+in+%28Running%29&limit=100", ""));
    assertThat(running.path("kind").asText()).isEqualTo("TasksList");
    assertThat(running.path("items")).extracting(t -> t.path("status").path("index").asInt()).containsExactlyInAnyOrder(0, 1);
    JsonNode task = running.path("items").get(0);
    assertThat(task.path("metadata").path("labels").path("run.googleapis.com/execution").asText()).isEqualTo(id);
    assertThat(task.path("metadata").path("labels").path("run.googleapis.com/runningState").asText()).isEqualTo("Running");
    assertThat(task.path("status").path("startTime").asText()).isNotEmpty();
    String taskId = task.path("metadata").path("name").asText();
    assertThat(json(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/tasks/" + taskId + "?alt=json", ""))
        .path("metadata").path("name").asText()).isEqualTo(taskId);

    // gcloud run jobs executions cancel E: POST {} then polls the execution until Completed has reason Cancelled
    JsonNode cancelled = json(v1("europe-west2", "POST", "/apis/run.googleapis.com/v1/namespaces/myproject/executions/" + id + ":cancel?alt=json", "{}"));
    assertThat(cancelled.path("status").path("cancelledCount").asInt()).isEqualTo(2);
    JsonNode completed = condition(cancelled, "Completed");
    assertThat(completed.path("status").asText()).isEqualTo("False");
    assertThat(completed.path("reason").asText()).isEqualTo("Cancelled");
    assertThat(json(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/tasks?alt=json&labelSelector="
        + "run.googleapis.com%2Fexecution+%3D+" + id + "%2Crun.googleapis.com%2FrunningState+in+%28Running%29&limit=100", "")).path("items")).isEmpty();
    assertThat(json(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/tasks?alt=json&labelSelector="
        + "run.googleapis.com%2Fexecution+%3D+" + id + "%2Crun.googleapis.com%2FrunningState+in+%28Cancelled%29&limit=100", "")).path("items")).hasSize(2);

    // gcloud run jobs executions delete E: DELETE, then GET until 404
    JsonNode deleted = json(v1("europe-west2", "DELETE", "/apis/run.googleapis.com/v1/namespaces/myproject/executions/" + id + "?alt=json", ""));
    assertThat(deleted.path("kind").asText()).isEqualTo("Status");
    assertThat(deleted.path("status").asText()).isEqualTo("Success");
    assertThat(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/executions/" + id + "?alt=json", "").statusCode()).isEqualTo(404);
    assertThat(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/tasks/" + taskId + "?alt=json", "").statusCode()).isEqualTo(404);
  }

  @Test
  void aV1RunOfAFinishedExecutionEndsWithCompletedTrueAndSucceededTasks() throws Exception {
    gcp.latencies().set(Latencies.Kind.TASK, Duration.ofSeconds(30));
    post("/v2/projects/myproject/locations/europe-west2/jobs?jobId=my-job", "{\"template\":{\"template\":{\"containers\":[{\"image\":\"busybox\"}]}}}");
    gcp.clock().advance(Duration.ofSeconds(10));
    String id = json(v1("europe-west2", "POST", "/apis/run.googleapis.com/v1/namespaces/myproject/jobs/my-job:run?alt=json", "{\"overrides\": {}}"))
        .path("metadata").path("name").asText();
    gcp.clock().advance(Duration.ofMinutes(5));

    JsonNode done = json(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/executions/" + id + "?alt=json", ""));
    JsonNode tasks = json(v1("europe-west2", "GET", "/apis/run.googleapis.com/v1/namespaces/myproject/tasks?alt=json&labelSelector="
        + "run.googleapis.com%2Fexecution+%3D+" + id + "&limit=100", ""));

    assertThat(conditions(done)).containsEntry("Completed", "True");
    assertThat(done.path("status").path("succeededCount").asInt()).isEqualTo(1);
    assertThat(tasks.path("items").get(0).path("metadata").path("labels").path("run.googleapis.com/runningState").asText()).isEqualTo("Succeeded");
    assertThat(tasks.path("items").get(0).path("status").path("lastAttemptResult").path("exitCode").asInt()).isZero();
  }

  // ---- helpers ----

  private void firewall(String name) {
    gcp.compute().seedFirewall(P, Firewall.newBuilder().setName(name).setNetwork("default")
        .addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("443")).build());
  }

  /** One part as apitools' BatchHttpRequest writes it (Content-ID "<uuid+index>"). */
  private static String inner(String method, String target) {
    return method + " " + target + " HTTP/1.1\n"
        + "Content-Type: application/json\nMIME-Version: 1.0\ncontent-length: 0\nuser-agent: google-cloud-sdk\n"
        + "accept: application/json\naccept-encoding: gzip, deflate\nHost: 127.0.0.1:8085\n\n";
  }

  private HttpResponse<String> batch(List<String> requests) throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < requests.size(); i++) {
      body.append("--").append(BOUNDARY).append('\n')
          .append("Content-Type: application/http\nMIME-Version: 1.0\nContent-Transfer-Encoding: binary\n")
          .append("Content-ID: <c45c389d-f7c0-43ea-abbf-bb6a365cb175+").append(i).append(">\n\n")
          .append(requests.get(i)).append('\n');
    }
    body.append("--").append(BOUNDARY).append("--\n");
    return http.send(HttpRequest.newBuilder(URI.create(gcp.endpoint() + "/batch/compute/v1"))
        .header("Content-Type", "multipart/mixed; boundary=\"" + BOUNDARY + "\"")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private record Part(String contentId, int status, JsonNode json) {}

  private static List<Part> parts(HttpResponse<String> response) throws Exception {
    String boundary = response.headers().firstValue("Content-Type").orElseThrow().replaceFirst(".*boundary=", "");
    List<Part> parts = new ArrayList<>();
    Pattern part = Pattern.compile("Content-ID: (\\S+)\r\n\r\nHTTP/1.1 (\\d+) [^\r]*\r\n(?:[^\r]+\r\n)*\r\n(.*?)\r\n--" + Pattern.quote(boundary),
        Pattern.DOTALL);
    Matcher m = part.matcher(response.body());
    while (m.find()) {
      parts.add(new Part(m.group(1), Integer.parseInt(m.group(2)), JSON.readTree(m.group(3))));
    }
    assertThat(response.body()).endsWith("--" + boundary + "--\r\n");
    return parts;
  }

  /** A Cloud Run v1 call as gcloud makes it: to REGION-HOST, through the emulator as its HTTP proxy. */
  private JsonNode v1(String region, String method, String path) throws Exception {
    return json(v1(region, method, path, ""));
  }

  private HttpResponse<String> v1(String region, String method, String path, String body) throws Exception {
    return viaRegionalHost(gcp, region, method, path, body);
  }

  /** A Cloud Run v1 call to REGION-run.googleapis.com, through the fake as the HTTP proxy (as gcloud calls it). */
  static HttpResponse<String> viaRegionalHost(FakeGcp gcp, String region, String method, String path, String body) throws Exception {
    HttpClient proxied = HttpClient.newBuilder()
        .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", URI.create(gcp.endpoint()).getPort()))).build();
    return proxied.send(HttpRequest.newBuilder(URI.create("http://" + region + "-run.googleapis.com" + path))
        .header("Content-Type", "application/json")
        .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  /** A v1 object's conditions, type to status. */
  private static java.util.Map<String, String> conditions(JsonNode object) {
    java.util.Map<String, String> conditions = new java.util.LinkedHashMap<>();
    object.path("status").path("conditions").forEach(c -> conditions.put(c.path("type").asText(), c.path("status").asText()));
    return conditions;
  }

  private static JsonNode condition(JsonNode object, String type) {
    for (JsonNode c : object.path("status").path("conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    throw new AssertionError("no condition " + type + " in " + object);
  }

  private void post(String path, String body) throws Exception {
    HttpResponse<String> response = send("POST", path, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response = send("GET", path, "");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(gcp.endpoint() + path))
        .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
