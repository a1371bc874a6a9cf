package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.AbortedException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.AddressesClient;
import com.google.cloud.compute.v1.AddressesSettings;
import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.FirewallsClient;
import com.google.cloud.compute.v1.FirewallsSettings;
import com.google.cloud.compute.v1.GlobalOperationsClient;
import com.google.cloud.compute.v1.GlobalOperationsSettings;
import com.google.cloud.compute.v1.InsertRouterRequest;
import com.google.cloud.compute.v1.ListRoutersRequest;
import com.google.cloud.compute.v1.ListSubnetworksRequest;
import com.google.cloud.compute.v1.NetworksClient;
import com.google.cloud.compute.v1.NetworksSettings;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.PatchRouterRequest;
import com.google.cloud.compute.v1.RegionOperationsClient;
import com.google.cloud.compute.v1.RegionOperationsSettings;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterNatSubnetworkToNat;
import com.google.cloud.compute.v1.RouterStatusNatStatus;
import com.google.cloud.compute.v1.RouterStatusResponse;
import com.google.cloud.compute.v1.RoutersClient;
import com.google.cloud.compute.v1.RoutersSettings;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.compute.v1.SubnetworksClient;
import com.google.cloud.compute.v1.SubnetworksSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Compute Engine routers, Cloud NAT, firewalls, addresses, networks and operations via the official clients. */
class ComputeApiTest {
  private static final String P = "p";
  private static final String R = "europe-west2";
  private static final String VPC = ComputeApi.BASE + "projects/p/global/networks/vpc";

  private FakeGcp gcp;
  private RoutersClient routers;
  private FirewallsClient firewalls;
  private AddressesClient addresses;
  private SubnetworksClient subnetworks;
  private NetworksClient networks;
  private RegionOperationsClient regionOperations;
  private GlobalOperationsClient globalOperations;

  @BeforeEach
  void start() throws Exception {
    gcp = FakeGcp.start();
    gcp.seedNetwork(P, "vpc");
    gcp.seedSubnetwork(P, R, "apps", "vpc", "10.0.0.0/20");
    routers = RoutersClient.create(gcp.configure(RoutersSettings.newBuilder()).build());
    firewalls = FirewallsClient.create(gcp.configure(FirewallsSettings.newBuilder()).build());
    addresses = AddressesClient.create(gcp.configure(AddressesSettings.newBuilder()).build());
    subnetworks = SubnetworksClient.create(gcp.configure(SubnetworksSettings.newBuilder()).build());
    networks = NetworksClient.create(gcp.configure(NetworksSettings.newBuilder()).build());
    regionOperations = RegionOperationsClient.create(gcp.configure(RegionOperationsSettings.newBuilder()).build());
    globalOperations = GlobalOperationsClient.create(gcp.configure(GlobalOperationsSettings.newBuilder()).build());
  }

  @AfterEach
  void stop() {
    for (AutoCloseable client : new AutoCloseable[] {routers, firewalls, addresses, subnetworks, networks, regionOperations, globalOperations}) {
      try {
        client.close();
      } catch (Exception ignored) {
        // closing a client of a stopped fake cannot fail in a way the test cares about
      }
    }
    gcp.close();
  }

  @Test
  void anInsertedRouterExistsOnlyOnceItsRegionOperationIsDone() {
    Operation operation = routers.insertCallable().call(insert(router("nat-router")));

    assertThat(operation.getStatus()).isEqualTo(Operation.Status.RUNNING);
    assertThat(operation.getName()).doesNotContain(":");
    assertThat(operation.getOperationType()).isEqualTo("insert");
    assertThat(operation.getTargetLink()).isEqualTo(ComputeApi.BASE + "projects/p/regions/europe-west2/routers/nat-router");
    assertThatThrownBy(() -> routers.get(P, R, "nat-router")).isInstanceOf(NotFoundException.class);

    gcp.clock().advance(Duration.ofSeconds(5));

    Operation done = regionOperations.get(P, R, operation.getName());
    assertThat(done.getStatus()).isEqualTo(Operation.Status.DONE);
    assertThat(done.hasHttpErrorStatusCode()).isFalse();
    Router router = routers.get(P, R, "nat-router");
    assertThat(router.getNetwork()).isEqualTo(VPC);
    assertThat(router.getRegion()).isEqualTo(ComputeApi.BASE + "projects/p/regions/europe-west2");
    assertThat(router.getSelfLink()).isEqualTo(operation.getTargetLink());
    assertThat(router.getId()).isPositive();
  }

  @Test
  void insertAsyncPollsTheRegionOperationUntilDone() throws Exception {
    try (FakeGcp fast = FakeGcp.builder().clock(FakeClock.scaled(50)).start();
        RoutersClient client = RoutersClient.create(fast.configure(RoutersSettings.newBuilder()).build())) {
      fast.seedNetwork(P, "vpc");

      Operation done = client.insertAsync(P, R, router("nat-router")).get();

      assertThat(done.getStatus()).isEqualTo(Operation.Status.DONE);
      assertThat(fast.calls().count("compute", "regionOperations.get")).isPositive();
      assertThat(client.get(P, R, "nat-router").getName()).isEqualTo("nat-router");
    }
  }

  @Test
  void theSameRequestIdReturnsTheSameOperationAndCreatesNothingTwice() {
    InsertRouterRequest request = insert(router("nat-router")).toBuilder().setRequestId("5f0c1b1e-0000-4000-8000-000000000001").build();

    Operation first = routers.insertCallable().call(request);
    gcp.clock().advance(Duration.ofSeconds(5));
    Operation retried = routers.insertCallable().call(request);

    assertThat(retried.getName()).isEqualTo(first.getName());
    assertThat(retried.getStatus()).isEqualTo(Operation.Status.DONE);
    assertThat(routers.list(P, R).iterateAll()).hasSize(1);
  }

  @Test
  void aDuplicateNameIsAConflictEvenWhileTheFirstInsertIsRunning() {
    routers.insertCallable().call(insert(router("nat-router")));

    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("nat-router"))))
        .isInstanceOf(AbortedException.class).cause().hasMessageContaining("alreadyExists");
    gcp.clock().advance(Duration.ofSeconds(5));
    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("nat-router"))))
        .isInstanceOf(AbortedException.class).cause().hasMessageContaining("already exists");
  }

  @Test
  void namesMustBeRfc1035AndNetworksMustExist() {
    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("Nat_Router"))))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("Must be a match of regex");
    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("nat-router").toBuilder().setNetwork("global/networks/nope").build())))
        .isInstanceOf(NotFoundException.class).cause().hasMessageContaining("projects/p/global/networks/nope' was not found");
  }

  @Test
  void patchIsAJsonMergePatchThatReplacesTheNatArrayWhole() {
    gcp.latencies().setAll(Duration.ZERO);
    Router original = router("nat-router").toBuilder().setDescription("egress")
        .addNats(allSubnetsNat("nat-a").toBuilder().setMinPortsPerVm(128)).build();
    routers.insertCallable().call(insert(original));

    routers.patchCallable().call(PatchRouterRequest.newBuilder().setProject(P).setRegion(R).setRouter("nat-router")
        .setRouterResource(Router.newBuilder().addNats(allSubnetsNat("nat-b"))).build());

    Router patched = routers.get(P, R, "nat-router");
    assertThat(patched.getDescription()).isEqualTo("egress");
    assertThat(patched.getNatsList()).extracting(RouterNat::getName).containsExactly("nat-b");
    assertThat(patched.getNats(0).getMinPortsPerVm()).as("nat-a's 128 is not merged in; GCP's default is").isEqualTo(64);
  }

  /** Ledger 9h, 9j: what GCP fills on a NAT sent without it; what was sent is kept. */
  @Test
  void aNatGetsTheApiDefaults() {
    gcp.latencies().setAll(Duration.ZERO);
    routers.insertCallable().call(insert(router("nat-router").toBuilder()
        .addNats(allSubnetsNat("nat-a").toBuilder().setUdpIdleTimeoutSec(60)).build()));

    RouterNat nat = routers.get(P, R, "nat-router").getNats(0);
    assertThat(nat.getEndpointTypesList()).containsExactly("ENDPOINT_TYPE_VM");
    assertThat(nat.getUdpIdleTimeoutSec()).as("sent").isEqualTo(60);
    assertThat(List.of(nat.getIcmpIdleTimeoutSec(), nat.getTcpEstablishedIdleTimeoutSec(), nat.getTcpTransitoryIdleTimeoutSec(),
        nat.getTcpTimeWaitTimeoutSec())).containsExactly(30, 1200, 30, 120);
    assertThat(nat.hasEnableDynamicPortAllocation()).isTrue();
    assertThat(nat.getEnableDynamicPortAllocation()).isFalse();
    assertThat(nat.getType()).isEqualTo("PUBLIC");
    assertThat(nat.getAutoNetworkTier()).isEqualTo("PREMIUM");
    assertThat(nat.getMinPortsPerVm()).as("64 with static port allocation").isEqualTo(64);

    routers.updateCallable().call(com.google.cloud.compute.v1.UpdateRouterRequest.newBuilder().setProject(P).setRegion(R)
        .setRouter("nat-router").setRouterResource(router("nat-router").toBuilder()
            .addNats(allSubnetsNat("nat-a").toBuilder().setEnableDynamicPortAllocation(true))).build());
    assertThat(routers.get(P, R, "nat-router").getNats(0).getMinPortsPerVm()).as("32 with dynamic port allocation").isEqualTo(32);
  }

  @Test
  void updateReplacesTheWholeRouterSoItCanRemoveTheLastNat() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    routers.insertCallable().call(insert(router("nat-router").toBuilder().addNats(allSubnetsNat("nat-a")).build()));

    Operation done = routers.updateAsync(P, R, "nat-router", router("nat-router")).get();

    assertThat(done.getOperationType()).isEqualTo("update");
    assertThat(routers.get(P, R, "nat-router").getNatsCount()).isZero();
  }

  @Test
  void onlyOneAllSubnetworksNatPerNetworkAndRegionAcrossRouters() {
    gcp.latencies().setAll(Duration.ZERO);
    routers.insertCallable().call(insert(router("router-a").toBuilder().addNats(allSubnetsNat("nat-a")).build()));

    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("router-b").toBuilder().addNats(allSubnetsNat("nat-b")).build())))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("must be the only NAT of network");
    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("router-c").toBuilder().addNats(listNat("nat-c", "apps")).build())))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("already has a NAT covering all subnetworks");
    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("router-d").toBuilder()
            .addNats(allSubnetsNat("nat-d1")).addNats(listNat("nat-d2", "apps")).build())))
        .isInstanceOf(InvalidArgumentException.class);

    Operation otherRegion = routers.insertCallable().call(InsertRouterRequest.newBuilder().setProject(P).setRegion("us-east1")
        .setRouterResource(router("router-e").toBuilder().addNats(allSubnetsNat("nat-e"))).build());
    assertThat(otherRegion.hasHttpErrorStatusCode()).isFalse();
  }

  @Test
  void aListOfSubnetworksNatNeedsExistingSubnetsOfTheRoutersNetwork() {
    gcp.seedNetwork(P, "other");
    gcp.seedSubnetwork(P, R, "elsewhere", "other", "10.1.0.0/24");

    assertThat(routers.insertCallable().call(insert(router("ok").toBuilder().addNats(listNat("nat", "apps")).build())).getStatus())
        .isEqualTo(Operation.Status.RUNNING);
    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("r1").toBuilder().addNats(listNat("nat", "nope")).build())))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("r2").toBuilder().addNats(listNat("nat", "elsewhere")).build())))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("is not in network");
  }

  @Test
  void aStaticAddressIsReservedThenInUseWhileANatUsesItAndCannotBeDeletedMeanwhile() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    addresses.insertAsync(P, R, Address.newBuilder().setName("egress-ip").build()).get();
    Address reserved = addresses.get(P, R, "egress-ip");
    assertThat(reserved.getStatus()).isEqualTo("RESERVED");
    assertThat(reserved.getAddress()).startsWith("203.0.113.");
    assertThat(reserved.getAddressType()).isEqualTo("EXTERNAL");

    RouterNat manual = RouterNat.newBuilder().setName("nat").setNatIpAllocateOption("MANUAL_ONLY")
        .addNatIps(reserved.getSelfLink()).setSourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_IP_RANGES").build();
    routers.insertAsync(P, R, router("nat-router").toBuilder().addNats(manual).build()).get();

    Address inUse = addresses.get(P, R, "egress-ip");
    assertThat(inUse.getStatus()).isEqualTo("IN_USE");
    assertThat(inUse.getUsersList()).containsExactly(ComputeApi.BASE + "projects/p/regions/europe-west2/routers/nat-router");
    assertThatThrownBy(() -> addresses.deleteCallable().call(
            com.google.cloud.compute.v1.DeleteAddressRequest.newBuilder().setProject(P).setRegion(R).setAddress("egress-ip").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resourceInUseByAnotherResource");

    routers.deleteAsync(P, R, "nat-router").get();
    assertThat(addresses.get(P, R, "egress-ip").getStatus()).isEqualTo("RESERVED");
    addresses.deleteAsync(P, R, "egress-ip").get();
    assertThat(addresses.list(P, R).iterateAll()).isEmpty();
  }

  @Test
  void theRouterStatusShowsTheIpsGcpAllocatedForAutomaticNatsAndTheStaticOnesOfManualNats() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    gcp.seedSubnetwork(P, R, "jobs", "vpc", "10.1.0.0/24");
    addresses.insertAsync(P, R, Address.newBuilder().setName("static-ip").build()).get();
    String reserved = addresses.get(P, R, "static-ip").getAddress();
    RouterNat manual = listNat("manual", "apps").toBuilder().setNatIpAllocateOption("MANUAL_ONLY")
        .addNatIps(addresses.get(P, R, "static-ip").getSelfLink()).build();
    routers.insertAsync(P, R, router("nat-router").toBuilder().addNats(manual).build()).get();
    routers.insertAsync(P, R, router("auto-router").toBuilder().addNats(listNat("auto", "jobs")).build()).get();
    gcp.calls().reset();

    RouterStatusResponse auto = routers.getRouterStatus(P, R, "auto-router");
    RouterStatusNatStatus autoNat = auto.getResult().getNatStatus(0);
    assertThat(auto.getResult().getNetwork()).isEqualTo(VPC);
    assertThat(autoNat.getName()).isEqualTo("auto");
    assertThat(autoNat.getAutoAllocatedNatIpsList()).singleElement().asString().startsWith("203.0.113.").isNotEqualTo(reserved);
    assertThat(autoNat.getUserAllocatedNatIpsList()).isEmpty();
    RouterStatusNatStatus manualNat = routers.getRouterStatus(P, R, "nat-router").getResult().getNatStatus(0);
    assertThat(manualNat.getUserAllocatedNatIpsList()).containsExactly(reserved);
    assertThat(manualNat.getUserAllocatedNatIpResourcesList()).containsExactly(ComputeApi.BASE + "projects/p/regions/europe-west2/addresses/static-ip");
    assertThat(manualNat.getAutoAllocatedNatIpsList()).isEmpty();
    assertThat(gcp.calls().count("compute", "routers.getRouterStatus", 200)).isEqualTo(2);
    assertThat(routers.get(P, R, "auto-router").toString()).as("the router itself does not show them")
        .doesNotContain(autoNat.getAutoAllocatedNatIps(0));

    // Kept while the NAT stays automatic, released when it goes: a new address may then take it.
    routers.patchAsync(P, R, "auto-router", Router.newBuilder().addNats(listNat("auto", "jobs").toBuilder().setMinPortsPerVm(128)).build()).get();
    assertThat(gcp.routerStatus(P, R, "auto-router").orElseThrow().getNatStatus(0)).isEqualTo(autoNat);
    routers.deleteAsync(P, R, "auto-router").get();
    addresses.insertAsync(P, R, Address.newBuilder().setName("next-ip").build()).get();
    assertThat(addresses.get(P, R, "next-ip").getAddress()).isEqualTo(autoNat.getAutoAllocatedNatIps(0));
    assertThatThrownBy(() -> routers.getRouterStatus(P, R, "auto-router")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void natIpsGoWithManualAllocationOnly() {
    RouterNat manualWithoutIps = allSubnetsNat("nat").toBuilder().setNatIpAllocateOption("MANUAL_ONLY").build();
    RouterNat autoWithIps = allSubnetsNat("nat").toBuilder().addNatIps("regions/europe-west2/addresses/x").build();

    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("r1").toBuilder().addNats(manualWithoutIps).build())))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("MANUAL_ONLY");
    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("r2").toBuilder().addNats(autoWithIps).build())))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("only be specified when natIpAllocateOption is MANUAL_ONLY");
  }

  @Test
  void endpointIndependentMappingCannotBeCombinedWithDynamicPortAllocation() {
    RouterNat both = allSubnetsNat("nat").toBuilder().setEnableEndpointIndependentMapping(true)
        .setEnableDynamicPortAllocation(true).build();

    assertThatThrownBy(() -> routers.insertCallable().call(insert(router("r").toBuilder().addNats(both).build())))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("enableEndpointIndependentMapping");
  }

  /**
   * Ledger R6: with Dynamic Port Allocation the port counts are powers of two, min at least 32,
   * max above min and at most 65536; without it any minimum is taken (GCP rounds it up when it
   * allocates) and maxPortsPerVm has no effect.
   */
  @Test
  void dynamicPortAllocationTakesPowersOfTwoFrom32To65536() throws Exception {
    RouterNat dpa = allSubnetsNat("nat").toBuilder().setEnableDynamicPortAllocation(true).build();
    record Bad(RouterNat nat, String field) {}
    List<Bad> refused = List.of(
        new Bad(dpa.toBuilder().setMinPortsPerVm(48).build(), "resource.nats[0].minPortsPerVm"),
        new Bad(dpa.toBuilder().setMinPortsPerVm(16).build(), "resource.nats[0].minPortsPerVm"),
        new Bad(dpa.toBuilder().setMinPortsPerVm(64).setMaxPortsPerVm(64).build(), "resource.nats[0].maxPortsPerVm"),
        new Bad(dpa.toBuilder().setMaxPortsPerVm(32).build(), "resource.nats[0].maxPortsPerVm"),
        new Bad(dpa.toBuilder().setMaxPortsPerVm(1000).build(), "resource.nats[0].maxPortsPerVm"),
        new Bad(dpa.toBuilder().setMaxPortsPerVm(131072).build(), "resource.nats[0].maxPortsPerVm"));
    for (Bad bad : refused) {
      assertThatThrownBy(() -> routers.insertCallable().call(insert(router("r").toBuilder().addNats(bad.nat()).build())))
          .as(bad.nat().toString()).isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining(bad.field());
    }

    gcp.latencies().setAll(Duration.ZERO);
    routers.insertAsync(P, R, router("r").toBuilder().addNats(dpa.toBuilder().setMaxPortsPerVm(64)).build()).get();
    routers.updateAsync(P, R, "r", router("r").toBuilder().addNats(dpa.toBuilder().setMinPortsPerVm(1024).setMaxPortsPerVm(65536)).build()).get();
    assertThat(routers.get(P, R, "r").getNats(0).getMaxPortsPerVm()).isEqualTo(65536);
    RouterNat staticPorts = allSubnetsNat("nat").toBuilder().setMinPortsPerVm(50).setMaxPortsPerVm(1000).build();
    routers.updateAsync(P, R, "r", router("r").toBuilder().addNats(staticPorts).build()).get();
    assertThat(routers.get(P, R, "r").getNats(0).getMinPortsPerVm()).as("stored as sent; GCP's echo is UNSOURCED").isEqualTo(50);
  }

  @Test
  void anOperationThatFailsIsDoneWithHttpErrorFieldsAndTheFutureThrows() {
    gcp.latencies().setAll(Duration.ZERO);
    gcp.faults().failNextOperation("compute", "routers.insert", 403, "Quota 'ROUTERS' exceeded. Limit: 5.0 in region europe-west2.");

    Operation failed = routers.insertCallable().call(insert(router("nat-router")));
    assertThat(failed.getStatus()).isEqualTo(Operation.Status.DONE);
    assertThat(failed.getHttpErrorStatusCode()).isEqualTo(403);
    assertThat(failed.getHttpErrorMessage()).isEqualTo("FORBIDDEN");
    assertThat(failed.getError().getErrors(0).getMessage()).startsWith("Quota 'ROUTERS' exceeded");
    assertThatThrownBy(() -> routers.get(P, R, "nat-router")).isInstanceOf(NotFoundException.class);

    gcp.faults().failNextOperation("compute", "routers.insert", 400, "Invalid NAT configuration");
    assertThatThrownBy(() -> routers.insertAsync(P, R, router("nat-router")).get())
        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void aFirewallGetsTheApiDefaultsAndItsProtocolKeyIsIPProtocol() throws Exception {
    Operation operation = firewalls.insertCallable().call(com.google.cloud.compute.v1.InsertFirewallRequest.newBuilder().setProject(P)
        .setFirewallResource(Firewall.newBuilder().setName("allow-github").setNetwork("global/networks/vpc")
            .addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("443")).addTargetTags("vpc-connector")).build());
    assertThat(operation.hasRegion()).isFalse();
    gcp.clock().advance(Duration.ofSeconds(5));
    assertThat(globalOperations.get(P, operation.getName()).getStatus()).isEqualTo(Operation.Status.DONE);

    Firewall firewall = firewalls.get(P, "allow-github");
    assertThat(firewall.getPriority()).isEqualTo(1000);
    assertThat(firewall.getDirection()).isEqualTo("INGRESS");
    assertThat(firewall.getSourceRangesList()).containsExactly("0.0.0.0/0");
    assertThat(firewall.getNetwork()).isEqualTo(VPC);
    assertThat(firewall.getLogConfig().hasEnable()).as("9g: logConfig {enable: false}").isTrue();
    assertThat(firewall.getLogConfig().getEnable()).isFalse();
    String raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gcp.endpoint()
        + "/compute/v1/projects/p/global/firewalls/allow-github")).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(raw).contains("\"IPProtocol\":\"tcp\"");
  }

  /** Ledger F4: a rule's direction cannot change; its other fields can. */
  @Test
  void aFirewallRulesDirectionCannotChange() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    firewalls.insertAsync(P, Firewall.newBuilder().setName("egress-rule").setNetwork("global/networks/vpc").setDirection("EGRESS")
        .addDestinationRanges("192.0.2.0/24").addAllowed(Allowed.newBuilder().setIPProtocol("tcp")).build()).get();

    assertThatThrownBy(() -> firewalls.patchAsync(P, "egress-rule", Firewall.newBuilder().setDirection("INGRESS").build()).get())
        .cause().isInstanceOf(InvalidArgumentException.class);
    firewalls.patchAsync(P, "egress-rule", Firewall.newBuilder().setPriority(900).build()).get();
    assertThat(firewalls.get(P, "egress-rule").getDirection()).isEqualTo("EGRESS");
    assertThat(firewalls.get(P, "egress-rule").getPriority()).isEqualTo(900);
  }

  @Test
  void firewallRulesAreValidated() {
    Firewall base = Firewall.newBuilder().setName("rule").setNetwork("vpc").build();
    Allowed tcp = Allowed.newBuilder().setIPProtocol("tcp").build();

    assertThatThrownBy(() -> insertFirewall(base)).isInstanceOf(InvalidArgumentException.class)
        .cause().hasMessageContaining("exactly one of 'allowed' or 'denied'");
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addAllowed(tcp).addDenied(Denied.newBuilder().setIPProtocol("all")).build()))
        .isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addAllowed(tcp).setPriority(70000).build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resource.priority");
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addAllowed(tcp).setDirection("EGRESS").addSourceTags("x").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("EGRESS");
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addAllowed(Allowed.getDefaultInstance()).build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("IPProtocol");
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addAllowed(tcp).addSourceRanges("10.0.0.300/8").build()))
        .isInstanceOf(InvalidArgumentException.class);
  }

  /**
   * Ledger F6: the protocol is a well-known name or a number 0-255 (the API's own 400,
   * terraform-google-modules/terraform-google-network#535); ports are integers or lo-hi ranges
   * (a malformed one gets the API's "Invalid port range specification",
   * GoogleCloudPlatform/google-cloud-powershell#537) and only go with the port-based protocols.
   */
  @Test
  void firewallProtocolsAndPortsAreValidated() throws Exception {
    Firewall base = Firewall.newBuilder().setName("rule").setNetwork("vpc").setDirection("EGRESS").build();

    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addAllowed(Allowed.newBuilder().setIPProtocol("ipv6-icmp")).build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resource.allowed[0].IPProtocol")
        .hasMessageContaining("or an IP protocol number between 0 and 255");
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addDenied(Denied.newBuilder().setIPProtocol("256")).build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resource.denied[0].IPProtocol");
    for (String bad : List.of("0..65535", "80,443", "http", "-1", "65536", "1-70000", "443-80", "80-")) {
      assertThatThrownBy(() -> insertFirewall(base.toBuilder().addAllowed(Allowed.newBuilder().setIPProtocol("tcp")
          .addPorts("22").addPorts(bad)).build()))
          .as(bad).isInstanceOf(InvalidArgumentException.class).cause()
          .hasMessageContaining("resource.allowed[0].ports[1]': '" + bad + "'. Invalid port range specification");
    }
    for (String portless : List.of("icmp", "all", "esp", "1")) {
      assertThatThrownBy(() -> insertFirewall(base.toBuilder().addDenied(Denied.newBuilder().setIPProtocol(portless).addPorts("80")).build()))
          .as(portless).isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resource.denied[0].ports");
    }

    gcp.latencies().setAll(Duration.ZERO);
    insertFirewall(base.toBuilder().addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("0-65535").addPorts("443"))
        .addAllowed(Allowed.newBuilder().setIPProtocol("udp").addPorts("53-53")).addAllowed(Allowed.newBuilder().setIPProtocol("sctp").addPorts("9"))
        .addAllowed(Allowed.newBuilder().setIPProtocol("icmp")).addAllowed(Allowed.newBuilder().setIPProtocol("58")).build());
    assertThat(firewalls.get(P, "rule").getAllowedList()).extracting(Allowed::getIPProtocol).containsExactly("tcp", "udp", "sctp", "icmp", "58");
    assertThatThrownBy(() -> firewalls.patchAsync(P, "rule", Firewall.newBuilder()
            .addAllowed(Allowed.newBuilder().setIPProtocol("icmp").addPorts("8")).build()).get())
        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(InvalidArgumentException.class);
  }

  /**
   * Ledger F5: service accounts and tags do not mix in one rule (SDK-ce sourceServiceAccounts,
   * targetServiceAccounts; MM Firewall.yaml conflicts), also when a patch brings the second one.
   */
  @Test
  void serviceAccountsCannotBeCombinedWithTags() throws Exception {
    Firewall base = Firewall.newBuilder().setName("rule").setNetwork("vpc").addAllowed(Allowed.newBuilder().setIPProtocol("tcp")).build();
    String sa = "runner@p.iam.gserviceaccount.com";

    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addSourceServiceAccounts(sa).addSourceTags("web").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resource.sourceServiceAccounts");
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addSourceServiceAccounts(sa).addTargetTags("db").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resource.sourceServiceAccounts");
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addTargetServiceAccounts(sa).addTargetTags("db").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resource.targetServiceAccounts");
    assertThatThrownBy(() -> insertFirewall(base.toBuilder().addTargetServiceAccounts(sa).addSourceTags("web").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("resource.targetServiceAccounts");

    gcp.latencies().setAll(Duration.ZERO);
    insertFirewall(base.toBuilder().addSourceServiceAccounts(sa).addTargetServiceAccounts(sa).addSourceRanges("10.0.0.0/8").build());
    insertFirewall(base.toBuilder().setName("tags").addSourceTags("web").addTargetTags("db").build());
    assertThat(firewalls.get(P, "rule").getSourceServiceAccountsList()).containsExactly(sa);
    assertThatThrownBy(() -> firewalls.patchAsync(P, "rule", Firewall.newBuilder().addTargetTags("db").build()).get())
        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(InvalidArgumentException.class);
    assertThat(firewalls.get(P, "rule").getTargetTagsList()).isEmpty();
  }

  @Test
  void firewallPatchMergesAndDeleteRemoves() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    insertFirewall(Firewall.newBuilder().setName("deny-all").setNetwork("vpc").setDirection("EGRESS").setPriority(2000)
        .addDenied(Denied.newBuilder().setIPProtocol("all")).addTargetTags("vpc-connector").build());

    firewalls.patchAsync(P, "deny-all", Firewall.newBuilder().setPriority(1500).build()).get();
    Firewall patched = firewalls.get(P, "deny-all");
    assertThat(patched.getPriority()).isEqualTo(1500);
    assertThat(patched.getTargetTagsList()).containsExactly("vpc-connector");
    assertThat(patched.getDestinationRangesList()).containsExactly("0.0.0.0/0");

    firewalls.deleteAsync(P, "deny-all").get();
    assertThat(firewalls.list(P).iterateAll()).isEmpty();
  }

  /** Ledger row 2: a merge patch leaves a disabled rule disabled unless the body sends "disabled": false. */
  @Test
  void aDisabledRuleStaysDisabledUntilAPatchSendsDisabledFalse() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    insertFirewall(Firewall.newBuilder().setName("deny-all").setNetwork("vpc").setDirection("EGRESS")
        .addDenied(Denied.newBuilder().setIPProtocol("all")).build());
    gcp.compute().editFirewall(P, "deny-all", f -> f.toBuilder().setDisabled(true).build());

    firewalls.patchAsync(P, "deny-all", Firewall.newBuilder().setPriority(1500).build()).get();
    assertThat(firewalls.get(P, "deny-all").getDisabled()).isTrue();

    firewalls.patchAsync(P, "deny-all", Firewall.newBuilder().setDisabled(false).build()).get();
    assertThat(firewalls.get(P, "deny-all").getDisabled()).isFalse();
    assertThat(firewalls.get(P, "deny-all").getPriority()).isEqualTo(1500);
  }

  @Test
  void outOfBandChangesShowUpAsDrift() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    insertFirewall(Firewall.newBuilder().setName("allow").setNetwork("vpc").addAllowed(Allowed.newBuilder().setIPProtocol("tcp")).build());
    routers.insertAsync(P, R, router("nat-router").toBuilder().addNats(allSubnetsNat("nat")).build()).get();

    gcp.compute().deleteFirewall(P, "allow");
    gcp.compute().editRouter(P, R, "nat-router", r -> r.toBuilder().clearNats().build());

    assertThatThrownBy(() -> firewalls.get(P, "allow")).isInstanceOf(NotFoundException.class);
    assertThat(routers.get(P, R, "nat-router").getNatsCount()).isZero();
    assertThat(gcp.router(P, R, "nat-router")).isPresent();
  }

  @Test
  void listsArePagedWithMaxResults() {
    gcp.latencies().setAll(Duration.ZERO);
    for (int i = 0; i < 5; i++) {
      routers.insertCallable().call(insert(router("router-" + i)));
      gcp.seedSubnetwork(P, R, "subnet-" + i, "vpc", "10.2." + i + ".0/24");
    }
    gcp.calls().reset();

    var page = routers.listCallable().call(ListRoutersRequest.newBuilder().setProject(P).setRegion(R).setMaxResults(2).build());
    assertThat(page.getItemsList()).extracting(Router::getName).containsExactly("router-0", "router-1");
    var all = routers.list(ListRoutersRequest.newBuilder().setProject(P).setRegion(R).setMaxResults(2).build()).iterateAll();
    assertThat(StreamSupport.stream(all.spliterator(), false).map(Router::getName)).hasSize(5);
    assertThat(gcp.calls().count("compute", "routers.list")).isEqualTo(4);

    var subnets = subnetworks.list(ListSubnetworksRequest.newBuilder().setProject(P).setRegion(R).setMaxResults(4).build()).iterateAll();
    assertThat(StreamSupport.stream(subnets.spliterator(), false).map(Subnetwork::getName))
        .containsExactly("apps", "subnet-0", "subnet-1", "subnet-2", "subnet-3", "subnet-4");
  }

  @Test
  void seededNetworksAndSubnetworksAreReadable() {
    gcp.seedSubnetwork(P, R, Subnetwork.newBuilder().setName("pga").setNetwork("vpc").setIpCidrRange("10.3.0.0/24")
        .setPrivateIpGoogleAccess(true).build());

    assertThat(networks.get(P, "vpc").getSubnetworksList()).containsExactly(
        ComputeApi.BASE + "projects/p/regions/europe-west2/subnetworks/apps",
        ComputeApi.BASE + "projects/p/regions/europe-west2/subnetworks/pga");
    Subnetwork pga = subnetworks.get(P, R, "pga");
    assertThat(pga.getPrivateIpGoogleAccess()).isTrue();
    assertThat(pga.getNetwork()).isEqualTo(VPC);
    assertThatThrownBy(() -> networks.get(P, "nope")).isInstanceOf(NotFoundException.class);
  }

  private void insertFirewall(Firewall firewall) {
    firewalls.insertCallable().call(com.google.cloud.compute.v1.InsertFirewallRequest.newBuilder().setProject(P)
        .setFirewallResource(firewall).build());
  }

  private static InsertRouterRequest insert(Router router) {
    return InsertRouterRequest.newBuilder().setProject(P).setRegion(R).setRouterResource(router).build();
  }

  private static Router router(String name) {
    return Router.newBuilder().setName(name).setNetwork("global/networks/vpc").build();
  }

  private static RouterNat allSubnetsNat(String name) {
    return RouterNat.newBuilder().setName(name).setNatIpAllocateOption("AUTO_ONLY")
        .setSourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_IP_RANGES").build();
  }

  private static RouterNat listNat(String name, String subnet) {
    return RouterNat.newBuilder().setName(name).setNatIpAllocateOption("AUTO_ONLY").setSourceSubnetworkIpRangesToNat("LIST_OF_SUBNETWORKS")
        .addSubnetworks(RouterNatSubnetworkToNat.newBuilder().setName("regions/europe-west2/subnetworks/" + subnet)
            .addSourceIpRangesToNat("ALL_IP_RANGES")).build();
  }
}
