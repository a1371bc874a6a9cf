package dev.cloudrun.egress.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterBgpPeer;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterNatSubnetworkToNat;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import dev.cloudrun.egress.api.v1alpha1.DiagnosisSpec;
import dev.cloudrun.egress.api.v1alpha1.EgressSpec;
import dev.cloudrun.egress.api.v1alpha1.JobSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The predictor on the seed job, against hand-built observations: one test per verdict it gives. */
class PathPredictorTest {
  private static final String NETWORK = "https://www.googleapis.com/compute/v1/projects/myproject/global/networks/default";
  private static final String TAG = "vpc-connector-europe-west2-vpc-conn-europe";
  private static final Firewall IMPLICIT_RETURN_PATH = Firewall.newBuilder().setName("aet-europewest2-vpc--conn--europe-earfw").setNetwork(NETWORK)
      .setDirection("EGRESS").setPriority(100).addTargetTags(TAG).addDestinationRanges("35.199.224.0/19")
      .addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("667"))
      .addAllowed(Allowed.newBuilder().setIPProtocol("udp").addPorts("665-666"))
      .addAllowed(Allowed.newBuilder().setIPProtocol("icmp")).build();

  private CloudRunEgressJobSpec spec;
  private Connector connector = Connector.newBuilder().setName("projects/myproject/locations/europe-west2/connectors/vpc-conn-europe")
      .setState(Connector.State.READY).setNetwork("default").setIpCidrRange("10.8.0.0/28").build();
  private List<Router> routers = new ArrayList<>(List.of(router(nat("egress-nat", "ALL_SUBNETWORKS_ALL_IP_RANGES"))));
  private List<Firewall> firewalls = new ArrayList<>();
  private List<String> natIps = List.of("203.0.113.5");
  private List<Subnetwork> subnetworks = new ArrayList<>(List.of(Subnetwork.newBuilder().setName("corp-tools").setNetwork(NETWORK).setIpCidrRange("10.20.0.0/16").build()));

  @BeforeEach
  void seed() throws IOException {
    spec = Serialization.unmarshal(Files.readString(Manifests.projectRoot().resolve("examples/01-seed-github-static-ip.yaml")), CloudRunEgressJob.class).getSpec();
    spec.setDiagnosis(new DiagnosisSpec());
    spec.getEgress().setFirewall(null);
    // What GCP makes beside a connector in its network's own project (docs/gcp-fidelity.md 3a): its path to Google's serverless infrastructure.
    firewalls.add(IMPLICIT_RETURN_PATH);
  }

  @Test
  void seedIsReachableThroughTheConnectorAndTheStaticNat() {
    destinations("140.82.112.3:443", "10.20.4.10:443");
    List<Prediction> checks = predict();
    assertThat(checks).extracting(Prediction::name).containsExactly("metadata", "140.82.112.3:443", "10.20.4.10:443");
    assertThat(checks).allSatisfy(c -> assertThat(c.reason()).isEqualTo("Predicted"));
    assertThat(checks.get(1).path()).contains("connector vpc-conn-europe", "Cloud NAT egress-nat", "203.0.113.5");
    assertThat(checks.get(2).path()).contains("subnet corp-tools");
    assertThat(checks).extracting(Prediction::probeCheck).containsExactly("metadata", "dest:140.82.112.3:443", "dest:10.20.4.10:443");
  }

  @Test
  void httpProxyWithoutNoProxyInterceptsMetadata() {
    env("HTTP_PROXY", "http://squid.corp.internal:3128", "HTTPS_PROXY", "http://squid.corp.internal:3128");
    Prediction metadata = predict().get(0);
    assertThat(metadata.reachable()).isFalse();
    assertThat(metadata.reason()).isEqualTo("ProxyIntercepts");
    assertThat(metadata.message()).contains("HTTP_PROXY", "no NO_PROXY is set", "NO_PROXY and no_proxy");
  }

  @Test
  void noProxyMustCoverBothMetadataNames() {
    env("http_proxy", "http://squid:3128", "no_proxy", "metadata.google.internal");
    assertThat(predict().get(0).message()).contains("do not cover 169.254.169.254");
    env("http_proxy", "http://squid:3128", "NO_PROXY", ".google.internal,169.254.0.0/16");
    assertThat(predict().get(0).reachable()).isTrue();
    env("HTTPS_PROXY", "http://squid:3128");
    assertThat(predict().get(0).message()).contains("HTTPS_PROXY applies only to https:// URLs");
  }

  @Test
  void allTrafficWithoutNatHasNoWayOut() {
    destinations("140.82.112.3:443");
    routers.clear();
    assertThat(predict().get(1).reason()).isEqualTo("NoNatForConnectorRange");
  }

  @Test
  void listedSubnetworksCannotCoverAConnectorOnARange() {
    destinations("140.82.112.3:443");
    routers.set(0, router(nat("egress-nat", "LIST_OF_SUBNETWORKS").toBuilder()
        .addSubnetworks(RouterNatSubnetworkToNat.newBuilder().setName("apps")).build()));
    assertThat(predict().get(1).reason()).isEqualTo("NatCannotListConnectorSubnet");
    connector = connector.toBuilder().clearIpCidrRange().setSubnet(Connector.Subnet.newBuilder().setName("apps")).build();
    assertThat(predict().get(1).reachable()).isTrue();
  }

  @Test
  void privateRangesOnlyBypassesTheStaticNat() {
    destinations("github.com:443", "10.20.4.10:443");
    spec.getEgress().setVpcEgress(EgressSpec.VpcEgress.PrivateRangesOnly);
    assertThat(predict().get(1).reason()).isEqualTo("StaticIpBypassed");
    assertThat(predict().get(2).reachable()).isTrue();
    spec.getEgress().getNat().setIpAllocation(NatSpec.IpAllocation.Auto);
    assertThat(predict().get(1).reason()).isEqualTo("PublicDestinationBypassesNat");
    spec.getEgress().setNat(null);
    assertThat(predict().get(1).reachable()).isTrue();
  }

  @Test
  void theEgressIpIsCheckedAgainstTheIpsOfAnAutomaticNatTooOnceTheyAreKnown() {
    destinations("github.com:443");
    spec.getDiagnosis().setProbe(new DiagnosisSpec.ProbeSpec());
    spec.getDiagnosis().getProbe().setEgressIpEchoUrl("https://checkip.amazonaws.com");
    spec.getEgress().getNat().setIpAllocation(NatSpec.IpAllocation.Auto);
    spec.getEgress().getNat().setAddresses(null);
    routers.set(0, router(nat("egress-nat", "ALL_SUBNETWORKS_ALL_IP_RANGES").toBuilder().setNatIpAllocateOption("AUTO_ONLY").clearNatIps().build()));
    natIps = List.of("198.51.100.7");

    Prediction egressIp = predict().get(2);
    assertThat(egressIp.name()).isEqualTo("egress-ip");
    assertThat(egressIp.probeCheck()).isEqualTo("egress-ip:198.51.100.7:https://checkip.amazonaws.com");
    assertThat(egressIp.reachable()).isTrue();
    assertThat(egressIp.path()).contains("Cloud NAT egress-nat", "automatically allocated IPs 198.51.100.7");

    spec.getEgress().setVpcEgress(EgressSpec.VpcEgress.PrivateRangesOnly);
    egressIp = predict().get(2);
    assertThat(egressIp.reason()).as("the echo service is public: it bypasses the NAT too").isEqualTo("PublicDestinationBypassesNat");
    assertThat(egressIp.probeCheck()).isEqualTo("egress-ip:198.51.100.7:https://checkip.amazonaws.com");

    natIps = List.of();
    assertThat(predict()).as("nothing to compare with while the IPs are unknown").extracting(Prediction::name).doesNotContain("egress-ip");
    spec.getEgress().setNat(null);
    natIps = List.of("198.51.100.7");
    assertThat(predict()).as("no NAT, no expected IP").extracting(Prediction::name).doesNotContain("egress-ip");
  }

  @Test
  void firewallRulesDecideByPriorityForAddresses() {
    destinations("140.82.112.3:443", "140.82.112.3:8443");
    firewalls.add(rule("deny-all", 950, false, "0.0.0.0/0", List.of()));
    firewalls.add(rule("allow-github", 900, true, "140.82.112.0/20", List.of("443")));
    List<Prediction> checks = predict();
    assertThat(checks.get(1).reachable()).isTrue();
    assertThat(checks.get(2).reason()).isEqualTo("FirewallBlocks");
    assertThat(checks.get(2).message()).contains("deny-all", "priority 950");
  }

  @Test
  void aHostNameUnderAddressSpecificRulesIsLeftToTheProbe() {
    destinations("github.com:443");
    firewalls.add(rule("deny-all", 950, false, "0.0.0.0/0", List.of()));
    firewalls.add(rule("allow-github", 900, true, "140.82.112.0/20", List.of("443")));
    Prediction github = predict().get(1);
    assertThat(github.reachable()).as("not blocked for sure: the probe decides").isTrue();
    assertThat(github.message()).contains("allow-github", "give the destination as IP:PORT");
  }

  /**
   * The connector's implicit aet-...-egrfw (docs/gcp-fidelity.md 3a) denies ports at 100, but only
   * to Google's serverless infrastructure, where no host name resolves: it leaves a name's verdict
   * as the other rules give it.
   */
  @Test
  void aRuleOnlyForGooglesServerlessInfrastructureDoesNotMakeAHostNameUncertain() {
    destinations("github.com:443");
    firewalls.add(Firewall.newBuilder().setName("aet-europewest2-vpc--conn--europe-egrfw").setNetwork(NETWORK).setDirection("EGRESS")
        .setPriority(100).addTargetTags(TAG).addDestinationRanges("35.199.224.0/19")
        .addDenied(Denied.newBuilder().setIPProtocol("tcp").addPorts("1-666").addPorts("668-65535")).build());
    Prediction github = predict().get(1);
    assertThat(github.reachable()).isTrue();
    assertThat(github.reason()).isEqualTo("Predicted");
    assertThat(github.message()).doesNotContain("egrfw");

    firewalls.add(rule("deny-all", 950, false, "0.0.0.0/0", List.of()));
    firewalls.add(rule("allow-github", 900, true, "140.82.112.0/20", List.of("443")));
    assertThat(predict().get(1).message()).as("as without it: the probe decides").contains("allow-github", "give the destination as IP:PORT");
  }

  /**
   * Issue 13 row 3: a deny that beats the connector's path to Google's serverless infrastructure
   * cuts the connector off. In its own project GCP's implicit allow at 100 keeps it open against
   * a deny at 950; in a Shared VPC service project there is none, and the deny wins unless an
   * allow (Google's vpc-connector-to-serverless, or leastPrivilege's) sits above it.
   */
  @Test
  void aDenyThatBeatsTheConnectorsPathToItsInfrastructureCutsItOff() {
    destinations("10.20.4.10:443", "140.82.112.3:443");
    firewalls.add(rule("deny-all", 950, false, "0.0.0.0/0", List.of()));
    firewalls.add(rule("allow-corp", 900, true, "10.20.0.0/16", List.of("443")));
    assertThat(predict().get(1).reachable()).as("the implicit allow at 100 comes first").isTrue();

    firewalls.add(rule("deny-everything-first", 50, false, "0.0.0.0/0", List.of()));
    Prediction cut = predict().get(1);
    assertThat(cut.reason()).isEqualTo(PathPredictor.CONNECTOR_CUT_OFF);
    assertThat(cut.message()).contains("deny-everything-first", "priority 50", "35.199.224.0/19", "below 50");
    assertThat(predict().get(2).reason()).as("public destinations go through the connector too").isEqualTo(PathPredictor.CONNECTOR_CUT_OFF);

    firewalls.removeIf(f -> f.getName().equals("deny-everything-first") || f == IMPLICIT_RETURN_PATH);
    assertThat(predict().get(1).reason()).as("a service project: no implicit allow").isEqualTo(PathPredictor.CONNECTOR_CUT_OFF);
    assertThat(predict().get(1).message()).contains("deny-all", "priority 950");
    firewalls.add(rule("vpc-connector-to-serverless", 900, true, "35.199.224.0/19", List.of("667")));
    assertThat(predict().get(1).reachable()).isTrue();
  }

  @Test
  void aCutConnectorLeavesWhatBypassesTheVpc() {
    destinations("140.82.112.3:443");
    spec.getEgress().setVpcEgress(EgressSpec.VpcEgress.PrivateRangesOnly);
    spec.getEgress().setNat(null);
    firewalls.clear();
    firewalls.add(rule("deny-all", 950, false, "0.0.0.0/0", List.of()));
    assertThat(predict().get(1).reachable()).isTrue();
  }

  @Test
  void connectorInErrorOrAnotherRegionCarriesNothing() {
    destinations("10.20.4.10:443");
    connector = connector.toBuilder().setState(Connector.State.ERROR).build();
    assertThat(predict().get(1).reason()).isEqualTo("ConnectorError");
    spec.getEgress().getConnector().setName("projects/myproject/locations/europe-west1/connectors/vpc-conn-europe");
    assertThat(predict().get(1).reason()).isEqualTo("ConnectorWrongRegion");
  }

  @Test
  void directVpcNeedsItsOwnNat() {
    destinations("140.82.112.3:443");
    spec.getEgress().setConnector(null);
    var direct = new dev.cloudrun.egress.api.v1alpha1.DirectVpcSpec();
    direct.setSubnet("jobs-euw2");
    spec.getEgress().setDirectVpc(direct);
    connector = null;
    routers.set(0, router(nat("jobs-nat", "LIST_OF_SUBNETWORKS").toBuilder()
        .addSubnetworks(RouterNatSubnetworkToNat.newBuilder().setName("other-subnet")).build()));
    assertThat(predict().get(1).reason()).isEqualTo("DirectVpcWithoutNat");
  }

  @Test
  void aPrivateAddressOutsideEverySubnetIsUnroutableUnlessBgpMayCarryIt() {
    destinations("10.99.0.10:443");
    Prediction unroutable = predict().get(1);
    assertThat(unroutable.reason()).isEqualTo("PrivateDestinationUnroutable");
    assertThat(unroutable.certain()).as("routes the operator does not list may carry it").isFalse();
    routers.add(router(nat("other", "LIST_OF_SUBNETWORKS")).toBuilder().setName("vpn-router").clearNats()
        .addBgpPeers(RouterBgpPeer.newBuilder().setName("on-prem")).build());
    assertThat(predict().get(1).reachable()).isTrue();
  }

  @Test
  void cidrDestinationsAreProbedAtTheirFirstHost() {
    destinations("10.20.0.0/16", "192.168.1.7");
    List<Prediction> checks = predict();
    assertThat(checks.get(1).probeCheck()).isEqualTo("dest:10.20.0.1:443");
    assertThat(checks.get(2).probeCheck()).isEqualTo("dest:192.168.1.7:443");
  }

  private List<Prediction> predict() {
    return PathPredictor.predict(spec, new PathPredictor.Observed("default", TAG, connector, routers, firewalls, subnetworks, natIps));
  }

  private void destinations(String... destinations) {
    spec.getDiagnosis().setDestinations(List.of(destinations));
  }

  private void env(String... nameValues) {
    List<JobSpec.EnvVar> env = new ArrayList<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      JobSpec.EnvVar e = new JobSpec.EnvVar();
      e.setName(nameValues[i]);
      e.setValue(nameValues[i + 1]);
      env.add(e);
    }
    spec.getJob().setEnv(env);
  }

  private static RouterNat nat(String name, String ranges) {
    return RouterNat.newBuilder().setName(name).setSourceSubnetworkIpRangesToNat(ranges).setNatIpAllocateOption("MANUAL_ONLY").build();
  }

  private static Router router(RouterNat nat) {
    return Router.newBuilder().setName("egress-router-europe-west2").setNetwork(NETWORK).addNats(nat).build();
  }

  private static Firewall rule(String name, int priority, boolean allow, String range, List<String> ports) {
    Firewall.Builder rule = Firewall.newBuilder().setName(name).setNetwork(NETWORK).setDirection("EGRESS").setPriority(priority)
        .addTargetTags(TAG).addDestinationRanges(range);
    return allow ? rule.addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addAllPorts(ports)).build()
        : rule.addDenied(Denied.newBuilder().setIPProtocol("all")).build();
  }
}
