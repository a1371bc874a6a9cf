package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.VpcAccess;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The seed job from examples/ reconciled end to end: every GCP object matches the seed command. */
class SeedJobTest {
  private static OperatorHarness harness;
  private static CloudRunEgressJob seed;

  @BeforeAll
  static void reconcileTheSeed() {
    harness = OperatorHarness.withExampleNetwork();
    seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @Test
  void everyConditionIsTrueForTheCurrentGeneration() {
    for (String type : new String[] {"Ready", "ConnectorReady", "NatReady", "FirewallReady", "JobReady"}) {
      assertThat(condition(seed, type).getStatus()).as(type).isEqualTo("True");
      assertThat(condition(seed, type).getObservedGeneration()).isEqualTo(seed.getMetadata().getGeneration());
    }
    assertThat(condition(seed, "Reconciling").getStatus()).isEqualTo("False");
    assertThat(condition(seed, "Stalled").getStatus()).isEqualTo("False");
    assertThat(seed.getStatus().getObservedGeneration()).isEqualTo(seed.getMetadata().getGeneration());
    assertThat(seed.getStatus().getOperations()).isEmpty();
  }

  @Test
  void connectorMatchesTheSpec() {
    Connector connector = harness.gcp.connector("projects/myproject/locations/europe-west2/connectors/vpc-conn-europe").orElseThrow();
    assertThat(connector.getState()).isEqualTo(Connector.State.READY);
    assertThat(connector.getNetwork()).isEqualTo("default");
    assertThat(connector.getIpCidrRange()).isEqualTo("10.8.0.0/28");
    assertThat(connector.getMachineType()).isEqualTo("e2-micro");
    assertThat(connector.getMinInstances()).isEqualTo(2);
    assertThat(connector.getMaxInstances()).isEqualTo(3);
    assertThat(seed.getStatus().getConnector().getName()).isEqualTo(connector.getName());
    assertThat(seed.getStatus().getConnector().getState()).isEqualTo("READY");
    assertThat(seed.getStatus().getConnector().getIpCidrRange()).isEqualTo("10.8.0.0/28");
    assertThat(seed.getStatus().getConnector().getSharedBy()).isEqualTo(1);
  }

  @Test
  void staticAddressIsTheEgressIp() {
    Address address = harness.gcp.address("myproject", "europe-west2", "github-egress-ip").orElseThrow();
    assertThat(address.getAddress()).isNotEmpty();
    assertThat(seed.getStatus().getEgressIPs()).containsExactly(address.getAddress());
    assertThat(seed.getStatus().getNat().getNatIPs()).containsExactly(address.getAddress());
  }

  @Test
  void natCoversAllSubnetworksBecauseTheConnectorSubnetIsHidden() {
    Router router = harness.gcp.router("myproject", "europe-west2", "egress-router-europe-west2").orElseThrow();
    assertThat(router.getNetwork()).endsWith("projects/myproject/global/networks/default");
    assertThat(router.getDescription()).contains("platform-agents/my-agent-4");
    RouterNat nat = router.getNatsList().stream().filter(n -> n.getName().equals("egress-nat")).findFirst().orElseThrow();
    assertThat(nat.getNatIpAllocateOption()).isEqualTo("MANUAL_ONLY");
    assertThat(nat.getNatIpsList()).singleElement().asString().endsWith("/addresses/github-egress-ip");
    assertThat(nat.getSourceSubnetworkIpRangesToNat()).isEqualTo("ALL_SUBNETWORKS_ALL_IP_RANGES");
    assertThat(nat.getLogConfig().getEnable()).isTrue();
    assertThat(nat.getLogConfig().getFilter()).isEqualTo("ERRORS_ONLY");
  }

  @Test
  void firewallAllowsGithubAndCorpAndDeniesTheRest() {
    String tag = "vpc-connector-europe-west2-vpc-conn-europe";
    Firewall github = harness.gcp.firewall("myproject", "crej-my-agent-4-allow-github").orElseThrow();
    assertThat(github.getDirection()).isEqualTo("EGRESS");
    assertThat(github.getPriority()).isEqualTo(900);
    assertThat(github.getTargetTagsList()).containsExactly(tag);
    assertThat(github.getDestinationRangesList()).containsExactly("140.82.112.0/20", "143.55.64.0/20", "185.199.108.0/22", "192.30.252.0/22");
    assertThat(github.getAllowed(0).getIPProtocol()).isEqualTo("tcp");
    assertThat(github.getAllowed(0).getPortsList()).containsExactly("443", "22");
    Firewall corp = harness.gcp.firewall("myproject", "crej-my-agent-4-allow-corp").orElseThrow();
    assertThat(corp.getDestinationRangesList()).containsExactly("10.20.0.0/16");
    Firewall deny = harness.gcp.firewall("myproject", "crej-my-agent-4-deny-all").orElseThrow();
    assertThat(deny.getPriority()).isEqualTo(950);
    assertThat(deny.getDenied(0).getIPProtocol()).isEqualTo("all");
    assertThat(deny.getDestinationRangesList()).containsExactly("0.0.0.0/0");
    assertThat(deny.getTargetTagsList()).containsExactly(tag);
    Firewall serverless = harness.gcp.firewall("myproject", "crej-my-agent-4-to-serverless").orElseThrow();
    assertThat(serverless.getPriority()).as("the connector's own path, above the deny (docs/gcp-fidelity.md 3b)").isEqualTo(900);
    assertThat(serverless.getDestinationRangesList()).containsExactly("35.199.224.0/19");
    assertThat(serverless.getTargetTagsList()).containsExactly(tag);
    assertThat(seed.getStatus().getFirewall().getRules()).containsExactly("crej-my-agent-4-allow-github", "crej-my-agent-4-allow-corp",
        "crej-my-agent-4-to-serverless", "crej-my-agent-4-deny-all");
  }

  @Test
  void jobMatchesTheSeedCommandFlagByFlag() {
    Job job = harness.gcp.job("projects/myproject/locations/europe-west2/jobs/my-agent-4").orElseThrow();
    TaskTemplate task = job.getTemplate().getTemplate();
    Container container = task.getContainers(0);
    assertThat(container.getImage()).isEqualTo("europe-west2-docker.pkg.dev/myproject/containers/my-agent:latest"); // --image
    assertThat(task.getVpcAccess().getConnector()).isEqualTo("vpc-conn-europe"); // --vpc-connector (Cloud Run answers the short name: ledger J2)
    assertThat(task.getVpcAccess().getEgress()).isEqualTo(VpcAccess.VpcEgress.ALL_TRAFFIC); // --vpc-egress=all-traffic
    assertThat(task.getMaxRetries()).isEqualTo(3); // --max-retries=3
    assertThat(task.getTimeout().getSeconds()).isEqualTo(600); // --task-timeout=10m
    assertThat(container.getResources().getLimitsMap()).containsEntry("cpu", "1").containsEntry("memory", "512Mi"); // --cpu --memory
    assertThat(container.getEnvList()).extracting(e -> e.getName() + "=" + e.getValue())
        .contains("env=pdev", "name=testvalue", "region=uk", "version=release_17.0.0"); // --set-env-vars
    var secret = container.getEnvList().stream().filter(e -> e.getName().equals("cloud_run_secret")).findFirst().orElseThrow();
    assertThat(secret.getValueSource().getSecretKeyRef().getSecret()).isEqualTo("cloud_run_test"); // --set-secrets
    assertThat(secret.getValueSource().getSecretKeyRef().getVersion()).isEqualTo("latest");
    assertThat(job.getLabelsMap()).containsEntry("refresh", "image"); // --labels
    assertThat(task.getEncryptionKey()).isEqualTo("projects/my-kms-project/locations/europe-west2/keyRings/run/cryptoKeys/HSMrunSharedKey"); // --key
    assertThat(task.getServiceAccount()).isEqualTo("mgmt@myproject.iam.gserviceaccount.com"); // --service-account
    assertThat(job.getLabelsMap()).containsEntry("crej-managed-by", "cloudrun-egress-operator")
        .containsEntry("crej-uid", seed.getMetadata().getUid());
    assertThat(seed.getStatus().getJob().getName()).isEqualTo(job.getName());
  }
}
