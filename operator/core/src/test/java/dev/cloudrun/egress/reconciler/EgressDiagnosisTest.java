package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.InsertFirewallRequest;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.CheckStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ProbeResult;
import dev.cloudrun.egress.gcp.fake.EgressProbeSimulation;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every failure mode of the egress diagnosis twice: predicted from the spec and what the operator
 * observed, and verified by the probe job run in the GCP fake, whose tasks the fake plays against
 * its network objects on its own. The check that fails must be the same, with the probe's exit
 * code named in the condition. Each case is the seed (or the Direct VPC example) in a network of
 * its own, all reconciled at once.
 */
class EgressDiagnosisTest {
  private static final String PROJECT = "myproject";
  private static final String GITHUB = "140.82.112.3";
  private static final String ECHO = "https://checkip.amazonaws.com";
  private static final String ECHO_IP = "52.0.0.1";
  /** Networks after the cases' own, for the tests that are not failure modes. */
  private static final int MORE_NETWORKS = 2;

  /**
   * One failure mode: the example and the merge patch ("{i}" is the case's number, which names its
   * network, connector, router and addresses), what else exists in GCP, the condition and reason
   * predicted, and the check the probe sees failing with its exit code (0 when the probe cannot
   * see the failure, which then rests on the prediction).
   */
  record Case(String name, String example, String patch, BiConsumer<OperatorHarness, Integer> gcp,
      String condition, String reason, String check, int exitCode) {
    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Case> CASES = List.of(
      new Case("proxy variables without NO_PROXY", "01-seed-github-static-ip",
          "{spec: {job: {env: [{name: HTTP_PROXY, value: 'http://squid.corp.internal:3128'}, {name: HTTPS_PROXY, value: 'http://squid.corp.internal:3128'}]}}}",
          (h, i) -> { }, Conditions.METADATA_REACHABLE, "ProxyIntercepts", "metadata", 10),
      new Case("AllTraffic with no NAT for the connector's range", "01-seed-github-static-ip",
          "{spec: {egress: {nat: null}, diagnosis: {destinations: ['" + GITHUB + ":443']}}}",
          (h, i) -> { }, Conditions.EGRESS_REACHABLE, "NoNatForConnectorRange", GITHUB + ":443", 21),
      new Case("NAT listing subnets while the connector is on an ipCidrRange", "01-seed-github-static-ip",
          "{spec: {egress: {nat: {ipAllocation: Auto, addresses: null, covers: ListedSubnetworks, subnetworks: [apps-{i}]}}, diagnosis: {destinations: ['" + GITHUB + ":443']}}}",
          (h, i) -> h.gcp.seedSubnetwork(PROJECT, "europe-west2", "apps-" + i, "net-" + i, "10.30.0.0/24"),
          Conditions.EGRESS_REACHABLE, "NatCannotListConnectorSubnet", GITHUB + ":443", 21),
      new Case("static egress IP while public traffic bypasses the VPC", "01-seed-github-static-ip",
          "{spec: {egress: {vpcEgress: PrivateRangesOnly}, diagnosis: {destinations: ['" + GITHUB + ":443'], probe: {egressIpEchoUrl: '" + ECHO + "'}}}}",
          (h, i) -> { }, Conditions.EGRESS_REACHABLE, "StaticIpBypassed", "egress-ip", 30),
      new Case("public destination under PrivateRangesOnly expected through an automatic NAT", "01-seed-github-static-ip",
          "{spec: {egress: {vpcEgress: PrivateRangesOnly, nat: {ipAllocation: Auto, addresses: null}}, diagnosis: {destinations: ['" + GITHUB + ":443'], probe: {egressIpEchoUrl: '" + ECHO + "'}}}}",
          (h, i) -> { }, Conditions.EGRESS_REACHABLE, "PublicDestinationBypassesNat", "egress-ip", 30),
      new Case("least-privilege firewall without the destination's port", "01-seed-github-static-ip",
          "{spec: {diagnosis: {destinations: ['" + GITHUB + ":8443']}}}",
          (h, i) -> { }, Conditions.EGRESS_REACHABLE, "FirewallBlocks", GITHUB + ":8443", 21),
      new Case("someone else's deny rule on the connector's tag", "01-seed-github-static-ip",
          "{spec: {diagnosis: {destinations: ['10.20.4.10:443']}}}",
          EgressDiagnosisTest::denyCorpHttps, Conditions.EGRESS_REACHABLE, "FirewallBlocks", "10.20.4.10:443", 21),
      new Case("Direct VPC egress with no NAT", "03-direct-vpc-egress",
          "{spec: {egress: {nat: null}, diagnosis: {destinations: ['" + GITHUB + ":443']}}}",
          (h, i) -> h.gcp.seedSubnetwork(PROJECT, "us-central1", "jobs-usc1", "net-" + i, "10.40.0.0/24"),
          Conditions.EGRESS_REACHABLE, "DirectVpcWithoutNat", GITHUB + ":443", 21),
      new Case("private destination in no subnet of the network", "01-seed-github-static-ip",
          "{spec: {egress: {firewall: null}, diagnosis: {destinations: ['10.99.0.10:443']}}}",
          (h, i) -> { }, Conditions.EGRESS_REACHABLE, "PrivateDestinationUnroutable", "10.99.0.10:443", 21));

  private static OperatorHarness harness;
  private static final Map<String, CloudRunEgressJob> APPLIED = new LinkedHashMap<>();

  @BeforeAll
  static void applyEveryCase() {
    harness = new OperatorHarness();
    harness.gcp.run().egressProbe().resolve("github.com", GITHUB).resolve("checkip.amazonaws.com", ECHO_IP);
    for (int i = 0; i < CASES.size() + MORE_NETWORKS; i++) {
      harness.gcp.seedNetwork(PROJECT, "net-" + i);
      harness.gcp.seedSubnetwork(PROJECT, "europe-west2", "corp-" + i, "net-" + i, "10.20.0.0/16");
    }
    harness.start();
    for (int i = 0; i < CASES.size(); i++) {
      Case c = CASES.get(i);
      c.gcp().accept(harness, i);
      APPLIED.put(c.name(), harness.client.resource(isolated(c.example(), i, c.patch())).create());
    }
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  static List<Case> cases() {
    return CASES;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void predictedAndVerifiedAgree(Case c) {
    String confirmation = c.exitCode() != 0
        ? "The probe confirms it: check " + c.check() + " exited " + c.exitCode()
        : "The probe's check passed, but it cannot see this.";
    CloudRunEgressJob cr = harness.await(APPLIED.get(c.name()), r -> reasonIs(r, c.condition(), c.reason())
        && condition(r, c.condition()).getMessage().contains(confirmation), Duration.ofSeconds(60));

    Condition verdict = condition(cr, c.condition());
    assertThat(verdict.getStatus()).isEqualTo("False");
    assertThat(verdict.getMessage()).startsWith(c.check() + ": ");
    CheckStatus predicted = cr.getStatus().getDiagnosis().getChecks().stream().filter(k -> k.getName().equals(c.check())).findFirst().orElseThrow();
    assertThat(predicted.getReachable()).isFalse();
    assertThat(predicted.getReason()).isEqualTo(c.reason());
    ProbeResult verified = cr.getStatus().getDiagnosis().getProbe().getResults().stream().filter(k -> k.getName().equals(c.check())).findFirst().orElseThrow();
    assertThat(verified.getExitCode()).isEqualTo(c.exitCode());
    // Ready means the job would really run: a False diagnosis keeps it False, with the same reason.
    assertThat(condition(cr, Conditions.READY).getStatus()).isEqualTo("False");
    assertThat(condition(cr, Conditions.READY).getReason()).isEqualTo(c.reason());
  }

  @Test
  void connectorGoingIntoErrorIsPredictedAndProbedAgain() {
    int i = CASES.size();
    CloudRunEgressJob cr = harness.client.resource(isolated("01-seed-github-static-ip", i,
        "{spec: {diagnosis: {destinations: ['10.20.4.10:443']}}}")).create();
    cr = harness.await(cr, r -> reasonIs(r, Conditions.EGRESS_REACHABLE, DiagnosisPart.VERIFIED), Duration.ofSeconds(60));
    String firstRun = cr.getStatus().getDiagnosis().getProbe().getExecution();

    harness.gcp.vpcAccess().edit("projects/myproject/locations/europe-west2/connectors/conn-" + i,
        c -> c.toBuilder().setState(Connector.State.ERROR).build());

    cr = harness.await(cr, r -> reasonIs(r, Conditions.EGRESS_REACHABLE, "ConnectorError")
        && condition(r, Conditions.EGRESS_REACHABLE).getMessage().contains("The probe confirms it: check 10.20.4.10:443 exited 21"), Duration.ofSeconds(60));
    assertThat(cr.getStatus().getDiagnosis().getProbe().getExecution()).as("a new run for the new prediction").isNotEqualTo(firstRun);
    assertThat(condition(cr, Conditions.METADATA_REACHABLE).getStatus()).as("the metadata server is not behind the connector").isEqualTo("True");
  }

  /** The other side of PublicDestinationBypassesNat: with AllTraffic the echo service sees the IP GCP allocated to the NAT. */
  @Test
  void anAutomaticNatsEgressIpIsVerifiedAgainstTheRouterStatus() {
    int i = CASES.size() + 1;
    CloudRunEgressJob cr = harness.client.resource(isolated("01-seed-github-static-ip", i,
        "{spec: {egress: {nat: {ipAllocation: Auto, addresses: null}, firewall: {allow: [{name: github, destinationRanges: ['140.82.112.0/20'], protocol: tcp, ports: ['443']},"
            + " {name: echo, destinationRanges: ['" + ECHO_IP + "/32'], protocol: tcp, ports: ['443']}]}},"
            + " diagnosis: {destinations: ['" + GITHUB + ":443'], probe: {egressIpEchoUrl: '" + ECHO + "'}}}}")).create();
    cr = harness.await(cr, r -> reasonIs(r, Conditions.EGRESS_REACHABLE, DiagnosisPart.VERIFIED)
        && r.getStatus().getDiagnosis().getChecks().stream().anyMatch(c -> c.getName().equals("egress-ip")), Duration.ofSeconds(60));

    String natIp = harness.gcp.routerStatus(PROJECT, "europe-west2", "router-" + i).orElseThrow().getNatStatus(0).getAutoAllocatedNatIps(0);
    assertThat(natIp).isNotEqualTo(EgressProbeSimulation.GOOGLE_EGRESS_IP);
    assertThat(cr.getStatus().getDiagnosis().getProbe().getResults()).filteredOn(r -> r.getName().equals("egress-ip"))
        .singleElement().satisfies(r -> assertThat(r.getExitCode()).isZero());
    assertThat(cr.getStatus().getDiagnosis().getChecks()).filteredOn(c -> c.getName().equals("egress-ip")).singleElement()
        .satisfies(c -> assertThat(c.getPath()).contains("Cloud NAT nat-" + i, "automatically allocated IPs " + natIp));
    assertThat(harness.gcp.job(cr.getStatus().getDiagnosis().getProbe().getJob()).orElseThrow().getTemplate().getTemplate().getContainers(0).getArgsList())
        .contains("egress-ip:" + natIp + ":" + ECHO);
    assertThat(harness.gcp.calls().count("compute", "routers.getRouterStatus", 200)).isPositive();
  }

  private static boolean reasonIs(CloudRunEgressJob cr, String type, String reason) {
    return OperatorHarness.hasCondition(cr, type, reason.equals(DiagnosisPart.VERIFIED) ? "True" : "False")
        && reason.equals(condition(cr, type).getReason());
  }

  /** The example in network net-i with its own connector, router, NAT and addresses, the probe on, then the case's patch. */
  private static CloudRunEgressJob isolated(String example, int i, String patch) {
    JsonNode base = Manifests.example(example);
    boolean connector = base.at("/spec/egress/connector").isObject();
    String isolation = "{metadata: {name: case-" + i + ", namespace: diagnosis}, spec: {egress: {network: net-" + i + ", "
        + (connector ? "connector: {name: conn-" + i + "}, " : "")
        + "nat: {router: router-" + i + ", name: nat-" + i
        + (base.at("/spec/egress/nat/addresses").isArray() ? ", addresses: [{name: ip-" + i + "}]" : "")
        + (base.at("/spec/egress/nat/subnetworks").isArray() ? ", subnetworks: [jobs-usc1]" : "") + "}}, diagnosis: {probe: {enabled: true}}}}";
    JsonNode object = Manifests.mergePatch(Manifests.mergePatch(base, yaml(isolation)), yaml(patch.replace("{i}", Integer.toString(i))));
    return Serialization.unmarshal(object.toString(), CloudRunEgressJob.class);
  }

  private static JsonNode yaml(String text) {
    try {
      return Manifests.YAML.readTree(text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A rule the network team made: no HTTPS from the connector to the company range. */
  private static void denyCorpHttps(OperatorHarness h, int i) {
    h.gcpClients.firewalls.insertCallable().call(InsertFirewallRequest.newBuilder().setProject(PROJECT).setFirewallResource(Firewall.newBuilder()
        .setName("netsec-no-corp-https-" + i).setNetwork("projects/" + PROJECT + "/global/networks/net-" + i).setDirection("EGRESS").setPriority(800)
        .addTargetTags("vpc-connector-europe-west2-conn-" + i).addDestinationRanges("10.20.0.0/16")
        .addDenied(Denied.newBuilder().setIPProtocol("tcp").addPorts("443"))).build());
  }
}
