package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The wire format as raw HTTP: what any REST client, not only Java's, may send. */
class HttpFrontTest {
  private static final String JOBS = "/v2/projects/p/locations/europe-west2/jobs";
  private static final String TEMPLATE = "\"template\":{\"template\":{\"containers\":[{\"image\":\"busybox\"}],"
      + "\"vpcAccess\":{\"connector\":\"conn\",\"egress\":%s}}}";

  private final HttpClient http = HttpClient.newHttpClient();
  private FakeGcp gcp;

  @BeforeEach
  void start() {
    gcp = FakeGcp.start();
    gcp.latencies().setAll(Duration.ZERO);
  }

  @AfterEach
  void stop() {
    gcp.close();
  }

  @Test
  void enumsArriveAsNumbersOrNamesAndUnknownFieldsAreIgnored() throws Exception {
    HttpResponse<String> byNumber = send("POST", JOBS + "?jobId=a&$alt=json;enum-encoding=int", "{" + TEMPLATE.formatted("1") + "}");
    HttpResponse<String> byName = send("POST", JOBS + "?jobId=b", "{" + TEMPLATE.formatted("\"ALL_TRAFFIC\"") + ",\"futureField\":true}");

    assertThat(byNumber.statusCode()).isEqualTo(200);
    assertThat(byName.statusCode()).isEqualTo(200);
    assertThat(gcp.job(JOBS.substring(4) + "/a").orElseThrow().getTemplate().getTemplate().getVpcAccess().getEgressValue()).isEqualTo(1);
    assertThat(gcp.job(JOBS.substring(4) + "/b").orElseThrow().getTemplate().getTemplate().getVpcAccess().getEgressValue()).isEqualTo(1);
  }

  @Test
  void int64FieldsArePrintedAsStrings() throws Exception {
    send("POST", JOBS + "?jobId=a", "{" + TEMPLATE.formatted("2") + "}");

    assertThat(send("GET", JOBS + "/a", "").body()).contains("\"generation\":\"1\"");
  }

  @Test
  void patchArrivesAsPostWithTheMethodOverrideHeader() throws Exception {
    send("POST", JOBS + "?jobId=a", "{" + TEMPLATE.formatted("2") + "}");

    HttpRequest overridden = HttpRequest.newBuilder(URI.create(gcp.endpoint() + JOBS + "/a"))
        .header("X-HTTP-Method-Override", "PATCH")
        .POST(HttpRequest.BodyPublishers.ofString("{\"labels\":{\"team\":\"x\"}," + TEMPLATE.formatted("2") + "}")).build();

    assertThat(http.send(overridden, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(gcp.calls().count("run", "jobs.update")).isEqualTo(1);
    assertThat(gcp.job(JOBS.substring(4) + "/a").orElseThrow().getLabelsMap()).containsEntry("team", "x");
  }

  @Test
  void malformedJsonAndPageTokensAreBadRequests() throws Exception {
    HttpResponse<String> json = send("POST", JOBS + "?jobId=a", "{\"template\":");
    HttpResponse<String> token = send("GET", JOBS + "?pageToken=not-a-token", "");

    assertThat(json.statusCode()).isEqualTo(400);
    assertThat(json.body()).contains("Invalid JSON payload received", "\"status\":\"INVALID_ARGUMENT\"");
    assertThat(token.statusCode()).isEqualTo(400);
    assertThat(token.body()).contains("Invalid page token");
  }

  @Test
  void aPathTheFakeDoesNotServeIsA404CountedAsUnrouted() throws Exception {
    HttpResponse<String> response = send("GET", "/v1/projects/p/nothing", "");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).contains("No fake route for GET /v1/projects/p/nothing");
    assertThat(gcp.calls().total("unrouted")).isEqualTo(1);
  }

  private HttpResponse<String> send(String method, String pathAndQuery, String body) throws Exception {
    URI uri = URI.create(gcp.endpoint() + pathAndQuery.replace("$", "%24").replace(";", "%3B").replace("=int", "%3Dint"));
    HttpRequest request = HttpRequest.newBuilder(uri).method(method,
        body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
