package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RoutersClient;
import com.google.cloud.compute.v1.RoutersSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Accounting of calls, by API, method and HTTP status, as tests and benchmarks read it. */
class CallsTest {

  @Test
  void callsAreCountedByApiMethodAndStatusAndSplitIntoReadsAndWrites() throws Exception {
    try (FakeGcp gcp = FakeGcp.start();
        RoutersClient routers = RoutersClient.create(gcp.configure(RoutersSettings.newBuilder()).build())) {
      gcp.seedNetwork("p", "vpc");
      gcp.latencies().setAll(Duration.ZERO);

      routers.insertAsync("p", "europe-west2", Router.newBuilder().setName("r").setNetwork("vpc").build()).get();
      routers.get("p", "europe-west2", "r");
      assertThatThrownBy(() -> routers.get("p", "europe-west2", "missing")).isInstanceOf(NotFoundException.class);

      Calls calls = gcp.calls();
      assertThat(calls.count("compute", "routers.insert")).isEqualTo(1);
      assertThat(calls.count("compute", "routers.get")).isEqualTo(2);
      assertThat(calls.count("compute", "routers.get", 404)).isEqualTo(1);
      assertThat(calls.writes()).isEqualTo(1);
      assertThat(calls.reads()).isEqualTo(2);
      assertThat(calls.total()).isEqualTo(3);
      assertThat(calls.total("compute")).isEqualTo(3);
      assertThat(calls.total("run")).isZero();
      assertThat(calls.failures()).isEqualTo(1);
      assertThat(calls.snapshot()).containsEntry("compute routers.get 200", 1L).containsEntry("compute routers.get 404", 1L);

      calls.reset();
      assertThat(calls.total()).isZero();
    }
  }
}
