package dev.cloudrun.egress.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every call through the official clients, and the raw connectors.patch, is timed by API, method and outcome. */
class GcpCallMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private FakeGcp gcp;
  private GcpClients clients;

  @BeforeEach
  void start() {
    gcp = FakeGcp.start();
    gcp.seedNetwork("p", "vpc");
    clients = GcpClients.forEndpoint(gcp.endpoint(), registry);
  }

  @AfterEach
  void stop() {
    clients.close();
    gcp.close();
  }

  @Test
  void countsCallsByApiMethodAndOutcome() {
    clients.routers.list("p", "europe-west2");
    clients.routers.list("p", "europe-west2");
    catchThrowable(() -> clients.jobs.getJob("projects/p/locations/europe-west2/jobs/missing"));
    gcp.faults().failNext("compute", "firewalls.list", 1, 429);
    catchThrowable(() -> clients.firewalls.list("p"));

    assertThat(count("compute", "Routers/List", "OK")).isEqualTo(2);
    assertThat(count("run", "Jobs/GetJob", "NOT_FOUND")).isEqualTo(1);
    assertThat(count("compute", "Firewalls/List", "RESOURCE_EXHAUSTED")).isEqualTo(1);
    // as many as the fake answered: nothing escapes, nothing is counted twice
    assertThat(registry.find(GcpCallMetrics.NAME).timers().stream().mapToLong(Timer::count).sum()).isEqualTo(gcp.calls().total());
  }

  @Test
  void countsOperationPollsAndTheRawConnectorPatch() {
    String name = "projects/p/locations/europe-west2/connectors/conn-a";
    var operation = clients.connectors.createConnectorCallable().call(CreateConnectorRequest.newBuilder()
        .setParent("projects/p/locations/europe-west2").setConnectorId("conn-a")
        .setConnector(Connector.newBuilder().setNetwork("vpc").setIpCidrRange("10.8.0.0/28").setMinInstances(2).setMaxInstances(3)).build());
    gcp.clock().advance(Duration.ofMinutes(2));
    clients.connectors.getHttpJsonOperationsClient().getOperation(operation.getName());
    clients.connectorPatcher.patch(Connector.newBuilder().setName(name).setMaxInstances(4).build(), List.of("maxInstances"));

    assertThat(count("vpcaccess", "VpcAccessService/CreateConnector", "OK")).isEqualTo(1);
    assertThat(count("vpcaccess", "Operations/GetOperation", "OK")).isEqualTo(1);
    assertThat(count("vpcaccess", "VpcAccessService/PatchConnector", "OK")).isEqualTo(1);
  }

  private long count(String api, String method, String outcome) {
    Timer timer = registry.find(GcpCallMetrics.NAME).tags("api", api, "method", method, "outcome", outcome).timer();
    return timer == null ? 0 : timer.count();
  }
}
