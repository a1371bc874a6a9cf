package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.FirewallsClient;
import com.google.cloud.compute.v1.FirewallsSettings;
import com.google.cloud.compute.v1.InsertFirewallRequest;
import com.google.cloud.compute.v1.InsertRouterRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RoutersClient;
import com.google.cloud.compute.v1.RoutersSettings;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.CreateJobRequest;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.ListTasksRequest;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.TasksClient;
import com.google.cloud.run.v2.TasksSettings;
import com.google.cloud.run.v2.VpcAccess;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceClient;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Egress probe tasks played against the fake's network, driven through the official clients. */
class EgressProbeSimulationTest {
  private static final String PROJECT = "p";
  private FakeGcp gcp;
  private RoutersClient routers;
  private FirewallsClient firewalls;
  private VpcAccessServiceClient connectors;
  private JobsClient jobs;
  private TasksClient tasks;

  @BeforeEach
  void start() throws java.io.IOException {
    gcp = FakeGcp.start();
    routers = RoutersClient.create(gcp.configure(RoutersSettings.newBuilder()).build());
    firewalls = FirewallsClient.create(gcp.configure(FirewallsSettings.newBuilder()).build());
    connectors = VpcAccessServiceClient.create(gcp.configure(VpcAccessServiceSettings.newHttpJsonBuilder()).build());
    jobs = JobsClient.create(gcp.configure(JobsSettings.newHttpJsonBuilder()).build());
    tasks = TasksClient.create(gcp.configure(TasksSettings.newHttpJsonBuilder()).build());
    gcp.seedNetwork(PROJECT, "vpc");
    gcp.seedSubnetwork(PROJECT, "europe-west2", "corp", "vpc", "10.20.0.0/16");
  }

  @AfterEach
  void stop() {
    for (AutoCloseable client : List.<AutoCloseable>of(routers, firewalls, connectors, jobs, tasks)) {
      try {
        client.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    gcp.close();
  }

  @Test
  void aConnectorInAnotherRegionCarriesNothing() {
    String connector = connector("europe-west1", "c1", "10.8.0.0/28");
    Map<Integer, Integer> exitCodes = probe("europe-west2", VpcAccess.newBuilder().setConnector(connector)
        .setEgress(VpcAccess.VpcEgress.ALL_TRAFFIC).build(), List.of(), "metadata", "dest:10.20.0.5:443");
    assertThat(exitCodes).containsExactly(Map.entry(0, 0), Map.entry(1, 21));
  }

  @Test
  void aConnectorInTheJobsRegionReachesItsNetworksSubnets() {
    String connector = connector("europe-west2", "c2", "10.8.0.16/28");
    Map<Integer, Integer> exitCodes = probe("europe-west2", VpcAccess.newBuilder().setConnector(connector)
        .setEgress(VpcAccess.VpcEgress.ALL_TRAFFIC).build(), List.of(), "dest:10.20.0.5:443", "dest:10.99.0.5:443", "dest:140.82.112.3:443");
    assertThat(exitCodes).as("subnet, no route, no NAT").containsExactly(Map.entry(0, 0), Map.entry(1, 21), Map.entry(2, 21));
  }

  @Test
  void publicTrafficBypassingTheVpcLeavesFromGooglesNetwork() {
    gcp.run().egressProbe().resolve("echo.example", "52.0.0.1");
    String connector = connector("europe-west2", "c3", "10.8.0.32/28");
    VpcAccess privateOnly = VpcAccess.newBuilder().setConnector(connector).setEgress(VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY).build();
    Map<Integer, Integer> exitCodes = probe("europe-west2", privateOnly, List.of(), "dest:140.82.112.3:443",
        "egress-ip:203.0.113.1:https://echo.example", "egress-ip:" + EgressProbeSimulation.GOOGLE_EGRESS_IP + ":https://echo.example",
        "dest:unknown.example:443");
    assertThat(exitCodes).containsExactly(Map.entry(0, 0), Map.entry(1, 30), Map.entry(2, 0), Map.entry(3, 20));
  }

  @Test
  void theEchoServiceSeesTheAutomaticNatsIpOnlyWhenPublicTrafficGoesThroughTheVpc() {
    gcp.run().egressProbe().resolve("echo.example", "52.0.0.1");
    String connector = connector("europe-west2", "c4", "10.8.0.48/28");
    routers.insertCallable().call(InsertRouterRequest.newBuilder().setProject(PROJECT).setRegion("europe-west2")
        .setRouterResource(Router.newBuilder().setName("nat-router").setNetwork("global/networks/vpc")
            .addNats(RouterNat.newBuilder().setName("nat").setNatIpAllocateOption("AUTO_ONLY")
                .setSourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_IP_RANGES"))).build());
    gcp.clock().advance(Duration.ofSeconds(5));
    String natIp = routers.getRouterStatus(PROJECT, "europe-west2", "nat-router").getResult().getNatStatus(0).getAutoAllocatedNatIps(0);
    String check = "egress-ip:" + natIp + ":https://echo.example";

    VpcAccess allTraffic = VpcAccess.newBuilder().setConnector(connector).setEgress(VpcAccess.VpcEgress.ALL_TRAFFIC).build();
    assertThat(probe("europe-west2", allTraffic, List.of(), check, "egress-ip:" + EgressProbeSimulation.GOOGLE_EGRESS_IP + ":https://echo.example"))
        .containsExactly(Map.entry(0, 0), Map.entry(1, 30));
    VpcAccess privateOnly = allTraffic.toBuilder().setEgress(VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY).build();
    assertThat(probe("europe-west2", privateOnly, List.of(), check, "dest:140.82.112.3:443"))
        .as("it bypasses the NAT, though the connection itself works").containsExactly(Map.entry(0, 30), Map.entry(1, 0));
  }

  /**
   * Ledger 3a and 3b: a connector carries traffic only while its own egress to Google's serverless
   * infrastructure (35.199.224.0/19, tcp:667) is allowed; here the implicit aet-...-earfw allows it
   * at priority 100, a deny at the same priority beats it (deny wins a tie), an allow above restores it.
   */
  @Test
  void aConnectorWhoseEgressToServerlessInfrastructureIsDeniedCarriesNothing() {
    String connector = connector("europe-west2", "c5", "10.8.0.64/28");
    VpcAccess privateOnly = VpcAccess.newBuilder().setConnector(connector).setEgress(VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY).build();
    assertThat(probe("europe-west2", privateOnly, List.of(), "dest:10.20.0.5:443"))
        .as("the implicit rules, egrfw's deny of the other ports included, leave it working").containsExactly(Map.entry(0, 0));

    insertFirewall(Firewall.newBuilder().setName("netsec-no-google").setDirection("EGRESS").setPriority(100)
        .addTargetTags("vpc-connector").addDestinationRanges("35.199.224.0/19").addDenied(Denied.newBuilder().setIPProtocol("all")));
    assertThat(probe("europe-west2", privateOnly, List.of(), "dest:10.20.0.5:443", "dest:140.82.112.3:443", "metadata"))
        .as("no rule denies 10.20.0.5, yet nothing passes the connector; public traffic and metadata never use it")
        .containsExactly(Map.entry(0, 21), Map.entry(1, 0), Map.entry(2, 0));
    assertThat(gcp.connector(connector).orElseThrow().getState()).as("no source shows GCP reporting it otherwise")
        .isEqualTo(Connector.State.READY);

    insertFirewall(Firewall.newBuilder().setName("keep-c5-serverless").setDirection("EGRESS").setPriority(99)
        .addTargetTags("vpc-connector-europe-west2-c5").addDestinationRanges("35.199.224.0/19")
        .addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("667")));
    assertThat(probe("europe-west2", privateOnly, List.of(), "dest:10.20.0.5:443")).containsExactly(Map.entry(0, 0));
  }

  @Test
  void proxyVariablesSendMetadataToTheProxyUnlessNoProxyCoversBothNames() {
    VpcAccess none = VpcAccess.getDefaultInstance();
    EnvVar proxy = EnvVar.newBuilder().setName("HTTP_PROXY").setValue("http://squid:3128").build();
    assertThat(probe("europe-west2", none, List.of(proxy), "metadata")).containsExactly(Map.entry(0, 10));
    EnvVar half = EnvVar.newBuilder().setName("NO_PROXY").setValue("metadata.google.internal").build();
    assertThat(probe("europe-west2", none, List.of(proxy, half), "metadata")).containsExactly(Map.entry(0, 10));
    EnvVar both = EnvVar.newBuilder().setName("no_proxy").setValue(".google.internal,169.254.169.254").build();
    assertThat(probe("europe-west2", none, List.of(proxy, both), "metadata")).containsExactly(Map.entry(0, 0));
  }

  @Test
  void probeJobsAreSimulatedWhateverTheOtherJobsDo() {
    gcp.run().taskBehaviour((job, execution, task, state) -> 7);
    assertThat(probe("europe-west2", VpcAccess.getDefaultInstance(), List.of(), "metadata")).containsExactly(Map.entry(0, 0));
  }

  private String connector(String region, String id, String range) {
    connectors.createConnectorCallable().call(CreateConnectorRequest.newBuilder()
        .setParent("projects/" + PROJECT + "/locations/" + region).setConnectorId(id)
        .setConnector(Connector.newBuilder().setNetwork("vpc").setIpCidrRange(range).setMinInstances(2).setMaxInstances(3)).build());
    gcp.clock().advance(Duration.ofSeconds(90));
    return "projects/" + PROJECT + "/locations/" + region + "/connectors/" + id;
  }

  private void insertFirewall(Firewall.Builder rule) {
    firewalls.insertCallable().call(InsertFirewallRequest.newBuilder().setProject(PROJECT)
        .setFirewallResource(rule.setNetwork("global/networks/vpc")).build());
    gcp.clock().advance(Duration.ofSeconds(5));
  }

  /** Creates and runs a probe job with these checks; the exit code of each task by index. */
  private Map<Integer, Integer> probe(String region, VpcAccess vpc, List<EnvVar> env, String... checks) {
    String id = "agent" + gcp.clock().now().getEpochSecond() % 100000 + "-egress-probe";
    Container.Builder container = Container.newBuilder().setImage("docker.io/curlimages/curl:8.11.1")
        .addAllCommand(List.of("sh", "-c", "script")).addArgs("egress-probe").addAllArgs(List.of(checks)).addAllEnv(env);
    jobs.createJobCallable().call(CreateJobRequest.newBuilder().setParent("projects/" + PROJECT + "/locations/" + region).setJobId(id)
        .setJob(Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder().setTaskCount(checks.length)
            .setTemplate(TaskTemplate.newBuilder().addContainers(container).setMaxRetries(0).setVpcAccess(vpc)))).build());
    gcp.clock().advance(Duration.ofSeconds(5));
    String job = "projects/" + PROJECT + "/locations/" + region + "/jobs/" + id;
    jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(job).build());
    gcp.clock().advance(Duration.ofSeconds(60));
    String execution = gcp.job(job).orElseThrow().getLatestCreatedExecution().getName();
    Map<Integer, Integer> exitCodes = new TreeMap<>();
    for (Task task : tasks.listTasks(ListTasksRequest.newBuilder().setParent(job + "/executions/" + execution).build()).iterateAll()) {
      exitCodes.put(task.getIndex(), task.getLastAttemptResult().getExitCode());
    }
    return exitCodes;
  }

  /** The probe's NO_PROXY matching against curl's documented behaviour (the table the operator's prediction is held to as well). */
  @org.junit.jupiter.params.ParameterizedTest(name = "NO_PROXY \"{0}\" for {1}: {2}")
  @org.junit.jupiter.params.provider.CsvFileSource(resources = "/no-proxy-cases.csv", delimiter = '|', numLinesToSkip = 1,
      ignoreLeadingAndTrailingWhitespace = false)
  void noProxyMatchesAsCurlDoes(String noProxy, String host, boolean bypasses) {
    assertThat(EgressProbeSimulation.bypassesProxy(noProxy, host)).isEqualTo(bypasses);
  }
}
