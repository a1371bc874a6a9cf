package dev.cloudrun.egress.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterNatSubnetworkToNat;
import com.google.cloud.compute.v1.RouterStatus;
import com.google.cloud.compute.v1.RouterStatusNatStatus;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared inventory against the fake, through the official clients: how often it reads. */
class InventoryTest {
  private static final String P = "p";
  private static final String R = "europe-west2";
  private static final Duration RESYNC = Duration.ofMinutes(5);

  private FakeGcp gcp;
  private GcpClients clients;
  private Instant now = Instant.parse("2025-01-01T00:00:00Z");
  private final Clock clock = new Clock() {
    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  };

  @BeforeEach
  void start() {
    gcp = FakeGcp.start();
    gcp.latencies().setAll(Duration.ZERO);
    gcp.seedNetwork(P, "vpc");
    gcp.seedSubnetwork(P, R, "a", "vpc", "10.1.0.0/24");
    gcp.seedSubnetwork(P, R, "b", "vpc", "10.2.0.0/24");
    clients = GcpClients.forEndpoint(gcp.endpoint());
  }

  @AfterEach
  void stop() {
    clients.close();
    gcp.close();
  }

  @Test
  void aRoutersStatusIsReadOncePerResyncAndAgainWhenItsNatsChange() throws Exception {
    clients.routers.insertAsync(P, R, Router.newBuilder().setName("nat-router").setNetwork("vpc").addNats(autoNat("nat-a", "a")).build()).get();
    Inventory inventory = new Inventory(clients, clock, RESYNC);
    Router listed = inventory.routers(P, R).get("nat-router");

    RouterStatus status = inventory.routerStatus(P, R, listed);
    inventory.routerStatus(P, R, listed);
    assertThat(status.getNatStatusList()).extracting(RouterStatusNatStatus::getName).containsExactly("nat-a");
    assertThat(status.getNatStatus(0).getAutoAllocatedNatIpsCount()).isOne();
    assertThat(statusReads()).isOne();

    clients.routers.patchAsync(P, R, "nat-router", Router.newBuilder().addNats(autoNat("nat-a", "a")).addNats(autoNat("nat-b", "b")).build()).get();
    Router patched = clients.routers.get(P, R, "nat-router");
    assertThat(inventory.routerStatus(P, R, patched).getNatStatusList()).as("a NAT added: read again")
        .extracting(RouterStatusNatStatus::getName).containsExactly("nat-a", "nat-b");
    inventory.routerStatus(P, R, patched);
    assertThat(statusReads()).isEqualTo(2);

    now = now.plus(RESYNC).plusSeconds(1);
    inventory.routerStatus(P, R, patched);
    assertThat(statusReads()).as("once more after a resync interval").isEqualTo(3);
  }

  private long statusReads() {
    return gcp.calls().count("compute", "routers.getRouterStatus", 200);
  }

  private static RouterNat autoNat(String name, String subnet) {
    return RouterNat.newBuilder().setName(name).setNatIpAllocateOption("AUTO_ONLY").setSourceSubnetworkIpRangesToNat("LIST_OF_SUBNETWORKS")
        .addSubnetworks(RouterNatSubnetworkToNat.newBuilder().setName("regions/" + R + "/subnetworks/" + subnet).addSourceIpRangesToNat("ALL_IP_RANGES"))
        .build();
  }
}
