package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.AbortedException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.FirewallsClient;
import com.google.cloud.compute.v1.FirewallsSettings;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.VpcAccess;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.Connector.Subnet;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import com.google.cloud.vpcaccess.v1.OperationMetadata;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceClient;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceSettings;
import com.google.longrunning.Operation;
import com.google.protobuf.Empty;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Serverless VPC Access through the official client over REST. Note: a REST ApiException's message
 * is the HTTP reason ("Bad Request"); the API's own message is in its cause, the HttpResponseException.
 */
class VpcAccessApiTest {
  private static final String PARENT = "projects/p/locations/europe-west2";

  private FakeGcp gcp;
  private VpcAccessServiceClient client;

  @BeforeEach
  void start() throws Exception {
    gcp = FakeGcp.start();
    gcp.seedNetwork("p", "vpc");
    gcp.seedSubnetwork("p", "europe-west2", "apps", "vpc", "10.0.0.0/20");
    client = VpcAccessServiceClient.create(gcp.configure(VpcAccessServiceSettings.newHttpJsonBuilder()).build());
  }

  @AfterEach
  void stop() {
    client.close();
    gcp.close();
  }

  @Test
  void createIsCreatingForNinetySecondsThenReady() throws Exception {
    Operation operation = create("conn", byRange("10.8.0.0/28"));

    assertThat(operation.getDone()).isFalse();
    assertThat(operation.getName()).startsWith(PARENT + "/operations/");
    assertThat(operation.getMetadata().unpack(OperationMetadata.class).getTarget()).isEqualTo(PARENT + "/connectors/conn");
    assertThat(client.getConnector(PARENT + "/connectors/conn").getState()).isEqualTo(Connector.State.CREATING);

    gcp.clock().advance(Duration.ofSeconds(89));
    assertThat(poll(operation).getDone()).isFalse();
    gcp.clock().advance(Duration.ofSeconds(1));
    Operation done = poll(operation);

    assertThat(done.getDone()).isTrue();
    assertThat(done.getResponse().getTypeUrl()).isEqualTo("type.googleapis.com/google.cloud.vpcaccess.v1.Connector");
    Connector connector = done.getResponse().unpack(Connector.class);
    assertThat(connector.getState()).isEqualTo(Connector.State.READY);
    assertThat(done.getMetadata().unpack(OperationMetadata.class).hasEndTime()).isTrue();
    assertThat(client.getConnector(PARENT + "/connectors/conn")).isEqualTo(connector);
  }

  /** Ledger 8c, 9a, 9c, V1: what GCP fills, recomputes and shortens on a create. */
  @Test
  void createFillsTheDefaultsTheApiApplies() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    Connector sent = byRange("10.8.0.0/28").toBuilder().setNetwork("projects/p/global/networks/vpc")
        .setMinInstances(3).setMaxInstances(5).setMinThroughput(900).setMaxThroughput(1000).build();

    Connector connector = client.createConnectorAsync(PARENT, "conn", sent).get();

    assertThat(connector.getState()).isEqualTo(Connector.State.READY);
    assertThat(connector.getMachineType()).isEqualTo("e2-micro");
    assertThat(connector.getNetwork()).as("V1: the short name").isEqualTo("vpc");
    assertThat(connector.getMinInstances()).isEqualTo(3);
    assertThat(connector.getMaxInstances()).isEqualTo(5);
    assertThat(connector.getMinThroughput()).as("9a: instances x 100, the sent throughput ignored").isEqualTo(300);
    assertThat(connector.getMaxThroughput()).isEqualTo(500);
    assertThat(connector.getConnectedProjectsList()).as("9c: no service uses it yet").isEmpty();
  }

  /** Ledger 8b: no instance defaults; without a maximum the create is accepted and its operation fails with code 3. */
  @Test
  void createWithoutMaxInstancesOrMaxThroughputFailsInItsOperation() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    Operation operation = create("conn", Connector.newBuilder().setNetwork("vpc").setIpCidrRange("10.8.0.0/28").build());

    Operation done = poll(operation);
    assertThat(done.getDone()).isTrue();
    assertThat(done.getError().getCode()).isEqualTo(com.google.rpc.Code.INVALID_ARGUMENT_VALUE);
    assertThat(done.getError().getMessage()).isEqualTo("Operation failed: A Connector must specify either max_throughput or max_instances.");
    assertThat(client.getConnector(PARENT + "/connectors/conn").getState()).isEqualTo(Connector.State.ERROR);
    assertThatThrownBy(() -> create("conn2", byRange("10.8.0.16/28").toBuilder().clearMinInstances().build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("min must be greater than or equal to 2");
  }

  /** Ledger 9a: throughput alone gives the instances (400/800 -> 4/8; the minimum defaults to 200). */
  @Test
  void throughputAloneGivesTheInstances() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    Connector base = Connector.newBuilder().setNetwork("vpc").build();

    Connector both = client.createConnectorAsync(PARENT, "conn", base.toBuilder().setIpCidrRange("10.8.0.0/28")
        .setMinThroughput(400).setMaxThroughput(800).build()).get();
    Connector maxOnly = client.createConnectorAsync(PARENT, "conn2", base.toBuilder().setIpCidrRange("10.8.0.16/28")
        .setMaxThroughput(1000).build()).get();

    assertThat(both.getMinInstances()).isEqualTo(4);
    assertThat(both.getMaxInstances()).isEqualTo(8);
    assertThat(maxOnly.getMinInstances()).isEqualTo(2);
    assertThat(maxOnly.getMaxInstances()).isEqualTo(10);
    assertThat(maxOnly.getMinThroughput()).isEqualTo(200);
  }

  /**
   * Ledger 8e: throughput alone must be Mbps in steps of 100, min 200-900 and max 300-1000, min
   * below max (SDK-va minThroughput, maxThroughput); 0 means not sent.
   */
  @ParameterizedTest
  @CsvSource({"0, 350, max_throughput", "0, 1100, max_throughput", "0, 200, max_throughput", "250, 800, min_throughput",
      "100, 800, min_throughput", "1000, 0, min_throughput", "800, 800, min_throughput (800) must be lower"})
  void throughputAloneMustBeStepsOf100WithinItsRanges(int min, int max, String message) {
    Connector connector = Connector.newBuilder().setNetwork("vpc").setIpCidrRange("10.8.0.0/28").setMinThroughput(min).setMaxThroughput(max).build();

    assertThatThrownBy(() -> create("conn", connector)).isInstanceOf(InvalidArgumentException.class)
        .cause().hasMessageContaining(message);
  }

  /** Ledger 8e and 9a: instances win, so throughput sent with them is ignored, not checked. */
  @Test
  void throughputSentWithInstancesIsIgnoredNotChecked() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);

    Connector connector = client.createConnectorAsync(PARENT, "conn", byRange("10.8.0.0/28").toBuilder()
        .setMinInstances(2).setMaxInstances(3).setMinThroughput(250).setMaxThroughput(1100).build()).get();

    assertThat(connector.getMinThroughput()).isEqualTo(200);
    assertThat(connector.getMaxThroughput()).isEqualTo(300);
  }

  /** Ledger row 1 and 9d: GCP fills network, as a short name, and the subnet's project on a connector made from a subnet. */
  @Test
  void aConnectorMadeFromASubnetGetsTheSubnetsNetwork() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    gcp.seedSubnetwork("p", "europe-west2", "conn-subnet", "vpc", "10.9.0.0/28");

    Connector connector = client.createConnectorAsync(PARENT, "conn", Connector.newBuilder()
        .setSubnet(Subnet.newBuilder().setName("conn-subnet")).setMinInstances(2).setMaxInstances(3).build()).get();

    assertThat(connector.getNetwork()).isEqualTo("vpc");
    assertThat(client.getConnector(PARENT + "/connectors/conn").getNetwork()).isEqualTo("vpc");
    assertThat(connector.getIpCidrRange()).as("9e is unsourced: the fake leaves the range empty").isEmpty();
    assertThat(connector.getSubnet().getProjectId()).as("9d: the connector's project").isEqualTo("p");
  }

  /**
   * Ledger 3a: a connector that becomes READY on a network of its own project gets GCP's six
   * implicit rules, named as in Google's example "aet-uscentral1-subnet--1-egrfw", listed like any
   * rule, and gone once the connector's delete completes.
   */
  @Test
  void aConnectorReadyInItsNetworksProjectGetsTheImplicitRulesUntilItIsDeleted() throws Exception {
    String parent = "projects/p/locations/us-central1";
    try (FirewallsClient firewalls = FirewallsClient.create(gcp.configure(FirewallsSettings.newBuilder()).build())) {
      client.createConnectorCallable().call(CreateConnectorRequest.newBuilder().setParent(parent).setConnectorId("subnet-1")
          .setConnector(byRange("10.8.0.0/28")).build());
      assertThat(names(firewalls.list("p").iterateAll())).as("none while CREATING").isEmpty();

      gcp.clock().advance(Duration.ofSeconds(90));
      assertThat(client.getConnector(parent + "/connectors/subnet-1").getState()).isEqualTo(Connector.State.READY);
      List<Firewall> rules = new ArrayList<>();
      firewalls.list("p").iterateAll().forEach(rules::add);
      assertThat(names(rules)).containsExactlyInAnyOrder("aet-uscentral1-subnet--1-hcfw", "aet-uscentral1-subnet--1-rsgfw",
          "aet-uscentral1-subnet--1-earfw", "aet-uscentral1-subnet--1-egrfw", "aet-uscentral1-subnet--1-sbntfw", "aet-uscentral1-subnet--1-tagfw");
      assertThat(rules).allSatisfy(f -> assertThat(f.getNetwork()).isEqualTo(ComputeApi.BASE + "projects/p/global/networks/vpc"));

      Firewall earfw = firewalls.get("p", "aet-uscentral1-subnet--1-earfw");
      assertThat(earfw.getDirection()).isEqualTo("EGRESS");
      assertThat(earfw.getPriority()).isEqualTo(100);
      assertThat(earfw.getTargetTagsList()).containsExactly("vpc-connector-us-central1-subnet-1");
      assertThat(earfw.getDestinationRangesList()).containsExactly("35.199.224.0/19");
      assertThat(earfw.getAllowedList()).containsExactly(Allowed.newBuilder().setIPProtocol("tcp").addPorts("667").build(),
          Allowed.newBuilder().setIPProtocol("udp").addPorts("665-666").build(), Allowed.newBuilder().setIPProtocol("icmp").build());
      Firewall egrfw = firewalls.get("p", "aet-uscentral1-subnet--1-egrfw");
      assertThat(egrfw.getPriority()).as("deny every other port there, at the same priority").isEqualTo(100);
      assertThat(egrfw.getDeniedList()).containsExactly(Denied.newBuilder().setIPProtocol("tcp").addPorts("1-666").addPorts("668-65535").build(),
          Denied.newBuilder().setIPProtocol("udp").addPorts("1-664").addPorts("667-65535").build());
      assertThat(firewalls.get("p", "aet-uscentral1-subnet--1-hcfw").getSourceRangesList())
          .containsExactly("35.191.0.0/16", "35.191.192.0/18", "130.211.0.0/22");
      Firewall sbntfw = firewalls.get("p", "aet-uscentral1-subnet--1-sbntfw");
      assertThat(sbntfw.getDirection()).isEqualTo("INGRESS");
      assertThat(sbntfw.getPriority()).isEqualTo(1000);
      assertThat(sbntfw.getSourceRangesList()).containsExactly("10.8.0.0/28");
      assertThat(firewalls.get("p", "aet-uscentral1-subnet--1-tagfw").getSourceTagsList()).containsExactly("vpc-connector-us-central1-subnet-1");

      client.deleteConnectorCallable().call(com.google.cloud.vpcaccess.v1.DeleteConnectorRequest.newBuilder()
          .setName(parent + "/connectors/subnet-1").build());
      assertThat(firewalls.list("p").iterateAll()).as("still there while DELETING").hasSize(6);
      gcp.clock().advance(Duration.ofSeconds(60));
      assertThat(firewalls.list("p").iterateAll()).as("deleted with the connector").isEmpty();
    }
  }

  /**
   * Ledger 3a and 3b: on a Shared VPC host's subnet, a connector in the host project gets the rules
   * in the host project (its sbntfw from the subnet's range); one in a service project gets none.
   */
  @Test
  void onASharedVpcOnlyAConnectorInTheHostProjectGetsImplicitRules() {
    gcp.latencies().setAll(Duration.ZERO);
    gcp.seedNetwork("host", "shared-vpc");
    gcp.seedSubnetwork("host", "europe-west2", "host-conn", "shared-vpc", "10.9.0.0/28");
    gcp.seedSubnetwork("host", "europe-west2", "service-conn", "shared-vpc", "10.9.0.16/28");

    client.createConnectorCallable().call(CreateConnectorRequest.newBuilder().setParent("projects/host/locations/europe-west2")
        .setConnectorId("host-conn").setConnector(Connector.newBuilder().setSubnet(Subnet.newBuilder().setName("host-conn"))
            .setMinInstances(2).setMaxInstances(3)).build());
    client.createConnectorCallable().call(CreateConnectorRequest.newBuilder().setParent(PARENT)
        .setConnectorId("service-conn").setConnector(Connector.newBuilder()
            .setSubnet(Subnet.newBuilder().setName("service-conn").setProjectId("host")).setMinInstances(2).setMaxInstances(3)).build());

    assertThat(gcp.connector(PARENT + "/connectors/service-conn").orElseThrow().getState()).isEqualTo(Connector.State.READY);
    assertThat(names(gcp.firewalls("host"))).containsExactlyInAnyOrder("aet-europewest2-host--conn-hcfw", "aet-europewest2-host--conn-rsgfw",
        "aet-europewest2-host--conn-earfw", "aet-europewest2-host--conn-egrfw", "aet-europewest2-host--conn-sbntfw", "aet-europewest2-host--conn-tagfw");
    assertThat(gcp.firewall("host", "aet-europewest2-host--conn-sbntfw").orElseThrow().getSourceRangesList()).containsExactly("10.9.0.0/28");
    assertThat(gcp.firewalls("p")).as("3b: the service project's connector gets none, here or in the host").isEmpty();
  }

  private static List<String> names(Iterable<Firewall> rules) {
    List<String> names = new ArrayList<>();
    rules.forEach(f -> names.add(f.getName()));
    return names;
  }

  @Test
  void getOfAMissingConnectorIsNotFound() {
    assertThatThrownBy(() -> client.getConnector(PARENT + "/connectors/nope"))
        .isInstanceOf(NotFoundException.class).cause().hasMessageContaining("connectors/nope");
  }

  @Test
  void aSecondConnectorWithTheSameIdIsAConflictWhichRestReportsAsAborted() {
    create("conn", byRange("10.8.0.0/28"));

    assertThatThrownBy(() -> create("conn", byRange("10.8.0.16/28")))
        .isInstanceOf(AbortedException.class).cause().hasMessageContaining("already exists");
  }

  @ParameterizedTest
  @CsvSource({"Conn", "1conn", "conn-", "c", "a-connector-name-that-is-26"})
  void idMustMatchThePattern(String id) {
    assertThatThrownBy(() -> create(id, byRange("10.8.0.0/28")))
        .isInstanceOf(InvalidArgumentException.class)
        .cause().hasMessageContaining("Connector ID must follow the pattern ^[a-z][-a-z0-9]{0,23}[a-z0-9]$");
  }

  @Test
  void idOfTwentyFiveCharactersIsAccepted() {
    assertThat(create("a-connector-name-of-25-ch", byRange("10.8.0.0/28")).getDone()).isFalse();
  }

  @ParameterizedTest
  @CsvSource({"10.8.0.0/27", "10.8.0.0/29", "10.8.0.1/28", "10.8.0/28"})
  void rangeMustBeAnAligned28(String range) {
    assertThatThrownBy(() -> create("conn", byRange(range))).isInstanceOf(InvalidArgumentException.class);
  }

  /** Ledger 8d: an overlapping range is accepted; the operation fails with code 3 and leaves the connector in ERROR. */
  @Test
  void rangeMustNotOverlapASubnetOfTheNetwork() {
    gcp.latencies().setAll(Duration.ZERO);
    Operation done = poll(create("conn", byRange("10.0.4.0/28")));

    assertThat(done.getError().getCode()).isEqualTo(com.google.rpc.Code.INVALID_ARGUMENT_VALUE);
    assertThat(done.getError().getMessage()).contains("Invalid IP CIDR range was provided", "Please delete the connector manually",
        "subnetwork 'apps'");
    assertThat(client.getConnector(PARENT + "/connectors/conn").getState()).isEqualTo(Connector.State.ERROR);
  }

  @Test
  void rangeMustNotOverlapAnotherConnectorOfTheNetworkInAnyRegion() {
    gcp.latencies().setAll(Duration.ZERO);
    client.createConnectorCallable().call(CreateConnectorRequest.newBuilder().setParent("projects/p/locations/us-east1")
        .setConnectorId("east").setConnector(byRange("10.8.0.0/28")).build());

    Operation done = poll(create("conn", byRange("10.8.0.0/28")));
    assertThat(done.getError().getMessage()).contains("Invalid IP CIDR range", "connector 'projects/p/locations/us-east1/connectors/east'");
    assertThat(client.getConnector(PARENT + "/connectors/conn").getState()).isEqualTo(Connector.State.ERROR);
  }

  /** Ledger row 5: a range connector must be on a network of its own project (a Shared VPC connector uses a subnet). */
  @Test
  void aRangeConnectorOnAnotherProjectsNetworkIsRefused() {
    gcp.seedNetwork("host", "shared-vpc");
    assertThatThrownBy(() -> create("conn", byRange("10.8.0.0/28").toBuilder().setNetwork("projects/host/global/networks/shared-vpc").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("is not in project 'p'");
  }

  @Test
  void theSameRangeIsFreeInAnotherNetwork() {
    gcp.seedNetwork("p", "other");
    create("conn", byRange("10.8.0.0/28"));

    assertThat(create("conn2", byRange("10.8.0.0/28").toBuilder().setNetwork("other").build()).getDone()).isFalse();
  }

  @Test
  void anUnknownNetworkIsRejected() {
    assertThatThrownBy(() -> create("conn", byRange("10.8.0.0/28").toBuilder().setNetwork("nope").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("Network 'nope' was not found");
  }

  @Test
  void exactlyOneOfRangeOrSubnetMustBeGiven() {
    Connector both = byRange("10.8.0.0/28").toBuilder().setSubnet(Subnet.newBuilder().setName("conn-subnet")).build();

    assertThatThrownBy(() -> create("conn", both)).isInstanceOf(InvalidArgumentException.class)
        .cause().hasMessageContaining("Exactly one of");
    assertThatThrownBy(() -> create("conn", Connector.getDefaultInstance())).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> create("conn", Connector.newBuilder().setNetwork("vpc").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("Both network and ip_cidr_range");
  }

  @Test
  void aConnectorCanUseAnExisting28SubnetOnlyOnce() {
    gcp.seedSubnetwork("p", "europe-west2", "conn-subnet", "vpc", "10.9.0.0/28");
    Connector bySubnet = Connector.newBuilder().setSubnet(Subnet.newBuilder().setName("conn-subnet")).setMinInstances(2).setMaxInstances(10).build();

    assertThat(create("conn", bySubnet).getDone()).isFalse();
    assertThatThrownBy(() -> create("conn2", bySubnet))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("already used by connector");
    assertThatThrownBy(() -> create("conn3", Connector.newBuilder().setSubnet(Subnet.newBuilder().setName("apps")).build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("needs a /28 subnet");
    assertThatThrownBy(() -> create("conn4", Connector.newBuilder().setSubnet(Subnet.newBuilder().setName("nope")).build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("was not found");
  }

  @ParameterizedTest
  @CsvSource({"1, 5", "10, 10", "2, 11", "2, 2", "6, 5"})
  void instancesMustBeMin2To9Max3To10AndMinBelowMax(int min, int max) {
    Connector connector = byRange("10.8.0.0/28").toBuilder().setMinInstances(min).setMaxInstances(max).build();

    assertThatThrownBy(() -> create("conn", connector)).isInstanceOf(InvalidArgumentException.class)
        .cause().hasMessageContaining("instances");
  }

  @Test
  void machineTypeMustBeOneOfTheThreeSupported() {
    assertThat(create("conn", byRange("10.8.0.0/28").toBuilder().setMachineType("e2-standard-4").build()).getDone()).isFalse();
    assertThatThrownBy(() -> create("conn2", byRange("10.8.0.16/28").toBuilder().setMachineType("n1-standard-1").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("Invalid machine type 'n1-standard-1'");
  }

  @Test
  void listPagesThroughConnectorsInNameOrder() {
    for (int i = 0; i < 5; i++) {
      create("conn-" + i, byRange("10.8.0." + i * 16 + "/28"));
    }

    var firstPage = client.listConnectorsCallable().call(
        com.google.cloud.vpcaccess.v1.ListConnectorsRequest.newBuilder().setParent(PARENT).setPageSize(2).build());
    assertThat(firstPage.getConnectorsList()).extracting(Connector::getName)
        .containsExactly(PARENT + "/connectors/conn-0", PARENT + "/connectors/conn-1");
    assertThat(firstPage.getNextPageToken()).isNotEmpty();

    assertThat(client.listConnectors(com.google.cloud.vpcaccess.v1.ListConnectorsRequest.newBuilder()
            .setParent(PARENT).setPageSize(2).build()).iterateAll())
        .extracting(Connector::getName).hasSize(5).last().isEqualTo(PARENT + "/connectors/conn-4");
    gcp.calls().reset();
    client.listConnectors(com.google.cloud.vpcaccess.v1.ListConnectorsRequest.newBuilder().setParent(PARENT)
        .setPageSize(2).build()).iterateAll().forEach(c -> {});
    assertThat(gcp.calls().count("vpcaccess", "connectors.list")).isEqualTo(3);
  }

  @Test
  void deleteIsDeletingForSixtySecondsThenTheConnectorIsGone() throws Exception {
    gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ZERO);
    create("conn", byRange("10.8.0.0/28"));

    Operation operation = client.deleteConnectorCallable().call(
        com.google.cloud.vpcaccess.v1.DeleteConnectorRequest.newBuilder().setName(PARENT + "/connectors/conn").build());
    assertThat(client.getConnector(PARENT + "/connectors/conn").getState()).isEqualTo(Connector.State.DELETING);

    gcp.clock().advance(Duration.ofSeconds(60));
    Operation done = poll(operation);
    assertThat(done.getDone()).isTrue();
    assertThat(done.getResponse().is(Empty.class)).isTrue();
    assertThatThrownBy(() -> client.getConnector(PARENT + "/connectors/conn")).isInstanceOf(NotFoundException.class);
  }

  /** Ledger row 7: no public source shows GCP refusing to delete a connector a job still names. */
  @Test
  void aConnectorUsedByAJobIsDeletedLikeAnyOther() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    create("conn", byRange("10.8.0.0/28"));
    try (JobsClient jobs = JobsClient.create(gcp.configure(JobsSettings.newHttpJsonBuilder()).build())) {
      jobs.createJobAsync(PARENT, Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder().setTemplate(TaskTemplate
          .newBuilder().addContainers(Container.newBuilder().setImage("busybox"))
          .setVpcAccess(VpcAccess.newBuilder().setConnector("conn")))).build(), "agent").get();

      assertThat(client.deleteConnectorAsync(PARENT + "/connectors/conn").get()).isEqualTo(Empty.getDefaultInstance());

      assertThatThrownBy(() -> client.getConnector(PARENT + "/connectors/conn")).isInstanceOf(NotFoundException.class);
      assertThat(jobs.getJob(PARENT + "/jobs/agent").getTemplate().getTemplate().getVpcAccess().getConnector()).isEqualTo("conn");
    }
  }

  @Test
  void anInjectedOperationFailureLeavesTheConnectorInError() throws Exception {
    gcp.faults().failNextOperation("vpcaccess", "connectors.create", 400, "Insufficient subnet permissions");
    Operation operation = create("conn", byRange("10.8.0.0/28"));

    gcp.clock().advance(Duration.ofSeconds(90));

    Operation done = poll(operation);
    assertThat(done.getError().getCode()).isEqualTo(com.google.rpc.Code.INVALID_ARGUMENT_VALUE);
    assertThat(done.getError().getMessage()).isEqualTo("Insufficient subnet permissions");
    assertThat(client.getConnector(PARENT + "/connectors/conn").getState()).isEqualTo(Connector.State.ERROR);
  }

  @Test
  void patchRaisesInstancesAndMachineTypeThroughUpdatingToReady() throws Exception {
    gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ZERO);
    create("conn", byRange("10.8.0.0/28").toBuilder().setMinInstances(2).setMaxInstances(5).build());

    HttpResponse<String> response = patch("conn", "minInstances,maxInstances,machineType",
        "{\"minInstances\":3,\"maxInstances\":8,\"machineType\":\"e2-standard-4\",\"network\":\"ignored\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("UpdateConnector").doesNotContain("\"done\"");
    Connector updating = client.getConnector(PARENT + "/connectors/conn");
    assertThat(updating.getState()).isEqualTo(Connector.State.UPDATING);
    assertThat(updating.getMinInstances()).isEqualTo(3);
    assertThat(updating.getMaxInstances()).isEqualTo(8);
    assertThat(updating.getMachineType()).isEqualTo("e2-standard-4");
    assertThat(updating.getNetwork()).isEqualTo("vpc");
    assertThat(updating.getMinThroughput()).as("ledger 9a: recomputed from the instances").isEqualTo(300);
    assertThat(updating.getMaxThroughput()).isEqualTo(800);
    assertThat(gcp.vpcAccess().updateMasks(PARENT + "/connectors/conn")).containsExactly("minInstances,maxInstances,machineType");
    gcp.clock().advance(Duration.ofSeconds(30));
    assertThat(client.getConnector(PARENT + "/connectors/conn").getState()).isEqualTo(Connector.State.READY);
  }

  @Test
  void patchCannotShrinkInstancesNorTouchImmutableFields() throws Exception {
    gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ZERO);
    create("conn", byRange("10.8.0.0/28").toBuilder().setMinInstances(3).setMaxInstances(6).build());

    HttpResponse<String> shrink = patch("conn", "max_instances", "{\"maxInstances\":5}");
    HttpResponse<String> immutable = patch("conn", "ipCidrRange", "{\"ipCidrRange\":\"10.9.0.0/28\"}");
    HttpResponse<String> missing = patch("nope", "", "{\"maxInstances\":8}");

    assertThat(shrink.statusCode()).isEqualTo(400);
    assertThat(shrink.body()).contains("can only be increased", "\"status\":\"INVALID_ARGUMENT\"");
    assertThat(immutable.statusCode()).isEqualTo(400);
    assertThat(immutable.body()).contains("Field 'ipCidrRange' cannot be updated");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(client.getConnector(PARENT + "/connectors/conn").getMaxInstances()).isEqualTo(6);
  }

  @Test
  void patchWithAnEmptyMaskTakesEveryModifiableFieldThatTheBodySets() throws Exception {
    gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ZERO);
    create("conn", byRange("10.8.0.0/28").toBuilder().setMinInstances(2).setMaxInstances(5).build());

    assertThat(patch("conn", "", "{\"maxInstances\":9}").statusCode()).isEqualTo(200);

    Connector patched = client.getConnector(PARENT + "/connectors/conn");
    assertThat(patched.getMinInstances()).isEqualTo(2);
    assertThat(patched.getMaxInstances()).isEqualTo(9);
    assertThat(patched.getMachineType()).isEqualTo("e2-micro");
  }

  @Test
  void anOutOfBandEditIsWhatTheApiReturnsNext() {
    gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ZERO);
    create("conn", byRange("10.8.0.0/28"));

    gcp.vpcAccess().edit(PARENT + "/connectors/conn", c -> c.toBuilder().setMaxInstances(7).build());
    assertThat(client.getConnector(PARENT + "/connectors/conn").getMaxInstances()).isEqualTo(7);

    gcp.vpcAccess().delete(PARENT + "/connectors/conn");
    assertThat(gcp.connector(PARENT + "/connectors/conn")).isEmpty();
  }

  private Operation create(String id, Connector connector) {
    return client.createConnectorCallable().call(
        CreateConnectorRequest.newBuilder().setParent(PARENT).setConnectorId(id).setConnector(connector).build());
  }

  private Operation poll(Operation operation) {
    return client.getHttpJsonOperationsClient().getOperation(operation.getName());
  }

  /** GCP defaults no instances (ledger 8b): every create names them, as gcloud's defaults would. */
  private static Connector byRange(String range) {
    return Connector.newBuilder().setNetwork("vpc").setIpCidrRange(range).setMinInstances(2).setMaxInstances(10).build();
  }

  /** The Java client has no patch: send what a REST client sends, a POST overridden to PATCH. */
  private HttpResponse<String> patch(String id, String updateMask, String body) throws Exception {
    URI uri = URI.create(gcp.endpoint() + "/v1/" + PARENT + "/connectors/" + id + "?updateMask=" + updateMask
        + "&%24alt=json%3Benum-encoding%3Dint");
    HttpRequest request = HttpRequest.newBuilder(uri).header("X-HTTP-Method-Override", "PATCH")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }
}
