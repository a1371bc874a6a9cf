package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.cloud.compute.v1.InsertRouterRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RoutersClient;
import com.google.cloud.compute.v1.RoutersSettings;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.CreateJobRequest;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceClient;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceSettings;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A world from YAML: the examples' file against the same world made by the official clients' calls, the format's sections, and its errors. */
class SeedWorldTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Fields that differ between two fakes given the same calls: ids, times, random uids and etags. */
  private static final Set<String> VOLATILE = Set.of("id", "creationTimestamp", "uid", "etag", "createTime", "updateTime",
      "lastTransitionTime", "insertTime", "startTime", "endTime");
  /** What the examples' world holds, read through the REST surface. */
  private static final List<String> WORLD = List.of(
      "/compute/v1/projects/myproject/global/networks",
      "/compute/v1/projects/net-host-prod/global/networks",
      "/compute/v1/projects/myproject/aggregated/subnetworks",
      "/compute/v1/projects/net-host-prod/aggregated/subnetworks",
      "/compute/v1/projects/myproject/aggregated/routers",
      "/compute/v1/projects/net-host-prod/aggregated/routers",
      "/compute/v1/projects/net-host-prod/regions/europe-west2/routers/shared-vpc-router-euw2/getRouterStatus",
      "/compute/v1/projects/myproject/global/firewalls",
      "/compute/v1/projects/net-host-prod/global/firewalls",
      "/compute/v1/projects/myproject/aggregated/addresses",
      "/compute/v1/projects/net-host-prod/aggregated/addresses",
      "/v1/projects/net-host-prod/locations/europe-west2/connectors",
      "/v1/projects/myproject/locations/europe-west2/connectors",
      "/v2/projects/myproject/locations/europe-west2/jobs",
      "/v2/projects/myproject/locations/us-central1/jobs",
      "/v1/projects/myproject/locations/europe-west2/jobs");

  @Test
  void theExamplesWorldFileGivesTheWorldItsOwnersCallsMake() throws Exception {
    try (FakeGcp fromFile = FakeGcp.start(); FakeGcp inCode = FakeGcp.start()) {
      List<String> made = SeedWorld.examples(fromFile);
      seedWithTheClients(inCode);

      assertThat(made).contains("connector projects/net-host-prod/locations/europe-west2/connectors/shared-euw2",
          "router projects/net-host-prod/regions/europe-west2/routers/shared-vpc-router-euw2",
          "Cloud Run job projects/myproject/locations/europe-west2/jobs/my-agent-3", "DNS github.com 140.82.112.3");
      for (String path : WORLD) {
        assertThat(read(fromFile, path)).as(path).isEqualTo(read(inCode, path));
      }
      assertThat(fromFile.run().egressProbe().dns()).isEqualTo(inCode.run().egressProbe().dns());
      assertThat(fromFile.connector("projects/net-host-prod/locations/europe-west2/connectors/shared-euw2").orElseThrow().getState())
          .isEqualTo(Connector.State.READY);
      assertThat(fromFile.job("projects/myproject/locations/europe-west2/jobs/my-agent-3").orElseThrow().getReconciling()).isFalse();
    }
  }

  @Test
  void everySectionIsAppliedInDependencyOrderWhateverItsPlaceInTheFile() {
    String yaml = """
        schedulerJobs:
          - name: projects/p/locations/europe-west2/jobs/nightly
            schedule: "0 3 * * *"
            timeZone: Etc/UTC
            httpTarget:
              uri: https://run.googleapis.com/v2/projects/p/locations/europe-west2/jobs/agent:run
              httpMethod: POST
        routers:
          - project: p
            region: europe-west2
            name: egress-router
            network: vpc
            nats:
              - name: static-nat
                natIpAllocateOption: MANUAL_ONLY
                natIps: [egress-ip]
                sourceSubnetworkIpRangesToNat: ALL_SUBNETWORKS_ALL_IP_RANGES
        addresses:
          - project: p
            region: europe-west2
            name: egress-ip
        firewalls:
          - project: p
            name: allow-https
            network: vpc
            direction: EGRESS
            allowed: [{IPProtocol: tcp, ports: ["443"]}]
        runJobs:
          - name: projects/p/locations/europe-west2/jobs/agent
            template: {template: {containers: [{image: busybox}]}}
        networks:
          - {project: p, name: vpc}
        """;
    try (FakeGcp gcp = FakeGcp.start()) {
      List<String> made = SeedWorld.apply(gcp, stream(yaml), "world.yaml");

      assertThat(made).containsExactly("network projects/p/global/networks/vpc", "address projects/p/regions/europe-west2/addresses/egress-ip",
          "firewall projects/p/global/firewalls/allow-https", "router projects/p/regions/europe-west2/routers/egress-router",
          "Cloud Run job projects/p/locations/europe-west2/jobs/agent", "Cloud Scheduler job projects/p/locations/europe-west2/jobs/nightly");
      assertThat(gcp.address("p", "europe-west2", "egress-ip").orElseThrow().getStatus()).isEqualTo("IN_USE");
      assertThat(gcp.firewall("p", "allow-https").orElseThrow().getDirection()).isEqualTo("EGRESS");
      assertThat(gcp.router("p", "europe-west2", "egress-router").orElseThrow().getNats(0).getNatIps(0)).endsWith("/addresses/egress-ip");
      assertThat(gcp.schedulerJob("projects/p/locations/europe-west2/jobs/nightly").orElseThrow().getState())
          .isEqualTo(com.google.cloud.scheduler.v1.Job.State.ENABLED);
    }
  }

  @Test
  void aMissingOrUnknownFieldIsNamedWithItsLineAndEntry() {
    assertThatThrownBy(() -> seed("""
        networks:
          - {project: p, name: vpc}
        routers:
          - region: europe-west2
            name: r
            network: vpc
        """)).hasMessageContaining("world.yaml line 4, routers[0]").hasMessageContaining("field 'project' is missing");
    assertThatThrownBy(() -> seed("""
        networks:
          - {project: p, name: vpc}
        routers:
          - project: p
            region: europe-west2
            name: r
            network: vpc
          - project: p
            region: europe-west2
            name: r2
            network: vpc
            nats: [{name: n, natIpAlocateOption: AUTO_ONLY}]
        """)).hasMessageContaining("world.yaml line 8, routers[1]").hasMessageContaining("natIpAlocateOption");
    assertThatThrownBy(() -> seed("""
        networks:
          - {project: p, name: vpc, autoCreate: false}
        """)).hasMessageContaining("line 2, networks[0]: unknown field 'autoCreate'");
    assertThatThrownBy(() -> seed("""
        dns:
          github.com: 140.82.112.3
          bad.example: not-an-address
        """)).hasMessageContaining("line 3, dns 'bad.example'");
    assertThatThrownBy(() -> seed("""
        services:
          - name: x
        """)).hasMessageContaining("world.yaml line 1: unknown section 'services'");
    assertThatThrownBy(() -> seed("""
        connectors:
          - name: projects/p/regions/europe-west2/connectors/c
        """)).hasMessageContaining("line 2, connectors[0]: field 'name' must be projects/PROJECT/locations/REGION/connectors/ID");
  }

  @Test
  void whatTheApiRefusesOrWhoseOperationFailsIsNamedWithTheApisWords() {
    assertThatThrownBy(() -> seed("""
        routers:
          - project: p
            region: europe-west2
            name: r
            network: nowhere
        """)).hasMessageContaining("world.yaml line 2, routers[0]").hasMessageContaining("404")
        .hasMessageContaining("projects/p/global/networks/nowhere");
    assertThatThrownBy(() -> seed("""
        networks:
          - {project: p, name: vpc}
        connectors:
          - name: projects/p/locations/europe-west2/connectors/conn
            network: vpc
            ipCidrRange: 10.8.0.0/28
        """)).hasMessageContaining("world.yaml line 4, connectors[0]: its operation failed")
        .hasMessageContaining("max_throughput or max_instances");
  }

  @Test
  void anEmptyFileSeedsNothing() {
    try (FakeGcp gcp = FakeGcp.start()) {
      assertThat(SeedWorld.apply(gcp, stream(""), "empty.yaml")).isEmpty();
    }
  }

  // ---- helpers ----

  /** The examples' world made as its owners' tools would make it, with the official clients (how local mode seeded it before the file). */
  private static void seedWithTheClients(FakeGcp gcp) throws Exception {
    gcp.seedNetwork("myproject", "default");
    gcp.seedNetwork("myproject", "corp-vpc");
    gcp.seedSubnetwork("myproject", "europe-west2", "serverless-connector-euw2", "corp-vpc", "10.100.0.0/28");
    gcp.seedSubnetwork("myproject", "us-central1", "jobs-usc1", "default", "10.30.0.0/24");
    gcp.seedSubnetwork("myproject", "europe-west2", "corp-tools", "default", "10.20.0.0/16");
    gcp.run().egressProbe().resolve("github.com", "140.82.112.3").resolve("nexus.corp.internal", "10.20.4.10");
    gcp.seedNetwork("net-host-prod", "shared-vpc");
    try (VpcAccessServiceClient connectors = VpcAccessServiceClient.create(gcp.configure(VpcAccessServiceSettings.newHttpJsonBuilder()).build());
        RoutersClient routers = RoutersClient.create(gcp.configure(RoutersSettings.newBuilder()).build());
        JobsClient jobs = JobsClient.create(gcp.configure(JobsSettings.newHttpJsonBuilder()).build())) {
      connectors.createConnectorCallable().call(CreateConnectorRequest.newBuilder()
          .setParent("projects/net-host-prod/locations/europe-west2")
          .setConnectorId("shared-euw2")
          .setConnector(Connector.newBuilder().setNetwork("shared-vpc").setIpCidrRange("10.200.0.0/28")
              .setMachineType("e2-micro").setMinInstances(2).setMaxInstances(10))
          .build());
      routers.insertCallable().call(InsertRouterRequest.newBuilder()
          .setProject("net-host-prod")
          .setRegion("europe-west2")
          .setRouterResource(Router.newBuilder()
              .setName("shared-vpc-router-euw2")
              .setNetwork("projects/net-host-prod/global/networks/shared-vpc")
              .addNats(RouterNat.newBuilder().setName("shared-vpc-nat").setNatIpAllocateOption("AUTO_ONLY")
                  .setSourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_IP_RANGES")))
          .build());
      jobs.createJobCallable().call(CreateJobRequest.newBuilder()
          .setParent("projects/myproject/locations/europe-west2")
          .setJobId("my-agent-3")
          .setJob(Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder().setTemplate(TaskTemplate.newBuilder()
              .addContainers(Container.newBuilder().setImage("europe-west2-docker.pkg.dev/myproject/containers/my-agent:3.9.1"))
              .setServiceAccount("mgmt@myproject.iam.gserviceaccount.com"))))
          .build());
    }
    gcp.clock().advance(Duration.ofMinutes(5));
  }

  private static JsonNode read(FakeGcp gcp, String path) throws Exception {
    HttpFront.Answer answer = gcp.front().answer("GET", path, null, "");
    assertThat(answer.status()).as(path + ": " + answer.body()).isEqualTo(200);
    return withoutVolatileFields(JSON.readTree(answer.body()));
  }

  private static JsonNode withoutVolatileFields(JsonNode node) {
    if (node.isObject()) {
      ObjectNode object = (ObjectNode) node;
      object.remove(VOLATILE);
      for (Iterator<JsonNode> values = object.elements(); values.hasNext(); ) {
        withoutVolatileFields(values.next());
      }
    } else if (node.isArray()) {
      node.forEach(SeedWorldTest::withoutVolatileFields);
    }
    return node;
  }

  private static List<String> seed(String yaml) {
    try (FakeGcp gcp = FakeGcp.start()) {
      return SeedWorld.apply(gcp, stream(yaml), "world.yaml");
    }
  }

  private static InputStream stream(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }
}
