package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.api.gax.rpc.PermissionDeniedException;
import com.google.api.gax.rpc.ResourceExhaustedException;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RoutersClient;
import com.google.cloud.compute.v1.RoutersSettings;
import com.google.cloud.vpcaccess.v1.ListConnectorsRequest;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceClient;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Injected errors, and the ApiException subclass each HTTP status becomes in the REST clients. */
class FaultsTest {
  private static final String PARENT = "projects/p/locations/europe-west2";

  private FakeGcp gcp;
  private VpcAccessServiceClient vpcAccess;
  private RoutersClient routers;

  @BeforeEach
  void start() throws Exception {
    gcp = FakeGcp.start();
    gcp.seedNetwork("p", "vpc");
    vpcAccess = VpcAccessServiceClient.create(gcp.configure(VpcAccessServiceSettings.newHttpJsonBuilder()).build());
    routers = RoutersClient.create(gcp.configure(RoutersSettings.newBuilder()).build());
  }

  @AfterEach
  void stop() {
    vpcAccess.close();
    routers.close();
    gcp.close();
  }

  /** vpcaccess calls are never retried by the client, so each status shows as it is. */
  @ParameterizedTest
  @CsvSource({
      "400, com.google.api.gax.rpc.InvalidArgumentException",
      "401, com.google.api.gax.rpc.UnauthenticatedException",
      "403, com.google.api.gax.rpc.PermissionDeniedException",
      "404, com.google.api.gax.rpc.NotFoundException",
      "409, com.google.api.gax.rpc.AbortedException",
      "412, com.google.api.gax.rpc.FailedPreconditionException",
      "429, com.google.api.gax.rpc.ResourceExhaustedException",
      "500, com.google.api.gax.rpc.InternalException",
      "503, com.google.api.gax.rpc.UnavailableException",
      "504, com.google.api.gax.rpc.DeadlineExceededException"})
  void eachHttpStatusBecomesItsApiException(int status, Class<? extends ApiException> expected) {
    gcp.faults().failNext("vpcaccess", "connectors.list", 1, status);

    assertThatThrownBy(() -> vpcAccess.listConnectors(PARENT).iterateAll().iterator().hasNext()).isInstanceOf(expected);
    assertThat(gcp.calls().count("vpcaccess", "connectors.list", status)).isEqualTo(1);
    assertThat(vpcAccess.listConnectors(PARENT).iterateAll()).isEmpty();
  }

  @Test
  void computeRateLimitIs403WithReasonRateLimitExceeded() {
    gcp.faults().failNext("compute", "routers.insert", 1, 403);

    assertThatThrownBy(() -> routers.insertCallable().call(com.google.cloud.compute.v1.InsertRouterRequest.newBuilder()
            .setProject("p").setRegion("europe-west2").setRouterResource(Router.newBuilder().setName("r").setNetwork("vpc")).build()))
        .isInstanceOf(PermissionDeniedException.class).cause()
        .hasMessageContaining("\"reason\":\"rateLimitExceeded\"").hasMessageContaining("Rate Limit Exceeded");
  }

  @Test
  void computeReadsAreRetriedOnUnavailableByTheClient() {
    gcp.faults().failNext("compute", "routers.list", 2, 503);

    assertThat(routers.list("p", "europe-west2").iterateAll()).isEmpty();

    assertThat(gcp.calls().count("compute", "routers.list", 503)).isEqualTo(2);
    assertThat(gcp.calls().count("compute", "routers.list", 200)).isEqualTo(1);
  }

  @Test
  void failNextCountsDownThenCallsSucceed() {
    gcp.faults().failNext("vpcaccess", "*", 2, 429);

    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> vpcAccess.getConnector(PARENT + "/connectors/x")).isInstanceOf(ResourceExhaustedException.class);
    }
    assertThatThrownBy(() -> vpcAccess.getConnector(PARENT + "/connectors/x")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void errorRatesAreRandomButReplayableWithTheSameSeed() throws Exception {
    List<String> first = outcomesWithSeed(7);
    List<String> second = outcomesWithSeed(7);

    assertThat(first).isEqualTo(second);
    assertThat(first).contains("ok").containsAnyOf("429", "503", "500");
    assertThat(first.stream().filter(o -> !o.equals("ok")).count()).isBetween(5L, 35L);
  }

  @Test
  void aLatencySpikeDelaysTheAnswerForReal() {
    gcp.faults().delay("vpcaccess", "connectors.list", Duration.ofMillis(300));

    long start = System.nanoTime();
    vpcAccess.listConnectors(PARENT).iterateAll().iterator().hasNext();
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

    assertThat(elapsedMillis).isGreaterThanOrEqualTo(300);
    gcp.faults().clear();
    long again = System.nanoTime();
    vpcAccess.listConnectors(PARENT).iterateAll().iterator().hasNext();
    assertThat((System.nanoTime() - again) / 1_000_000).isLessThan(300);
  }

  private static List<String> outcomesWithSeed(long seed) throws Exception {
    try (FakeGcp fake = FakeGcp.builder().seed(seed).start();
        VpcAccessServiceClient client = VpcAccessServiceClient.create(fake.configure(VpcAccessServiceSettings.newHttpJsonBuilder()).build())) {
      fake.faults().errorRate("vpcaccess", "connectors.list", 0.3, 429, 503, 500);
      List<String> outcomes = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        try {
          client.listConnectorsCallable().call(ListConnectorsRequest.newBuilder().setParent(PARENT).build());
          outcomes.add("ok");
        } catch (ApiException e) {
          outcomes.add(String.valueOf(e.getStatusCode().getCode().getHttpStatusCode()));
        }
      }
      return outcomes;
    }
  }
}
