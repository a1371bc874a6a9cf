package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.InsertFirewallRequest;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.Task;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.gcp.fake.GcpState;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator against what GCP really answers (docs/gcp-fidelity.md, issue 13): fields GCP fills or
 * shortens are not drift, a merge patch must send what it means to change, and a connector patch
 * names both instance bounds. Once ready, three resyncs make no GCP write.
 */
class GcpFidelityTest {
  private static final String CONNECTOR = "projects/myproject/locations/europe-west2/connectors/vpc-conn-europe";
  private static final int RESYNCS = 3;
  private OperatorHarness harness;

  @AfterEach
  void stop() {
    harness.close();
  }

  /** Ledger row 1 (GCP fills network on a subnet connector) and J2 (Cloud Run shortens the connector). */
  @Test
  void aConnectorOnASubnetIsReadyAndThenLeftAlone() {
    harness = new OperatorHarness();
    harness.gcp.seedNetwork("myproject", "corp-vpc");
    harness.gcp.seedSubnetwork("myproject", "europe-west2", "serverless-connector-euw2", "corp-vpc", "10.100.0.0/28");
    harness.start();

    CloudRunEgressJob cr = harness.applyAndAwaitReady("02-private-ranges-only.yaml");

    String connector = "projects/myproject/locations/europe-west2/connectors/conn-corp-euw2";
    assertThat(harness.gcp.connector(connector).orElseThrow().getNetwork()).as("filled by GCP").isEqualTo("corp-vpc");
    assertThat(harness.gcp.job("projects/myproject/locations/europe-west2/jobs/artifact-sync").orElseThrow()
        .getTemplate().getTemplate().getVpcAccess().getConnector()).as("shortened by Cloud Run").isEqualTo("conn-corp-euw2");
    assertThat(writesOverResyncs()).isZero();
    assertThat(OperatorHarness.condition(harness.get(cr), Conditions.READY).getStatus()).isEqualTo("True");
    assertThat(harness.services.metrics().driftCorrections("job")).isZero();
    assertThat(harness.services.metrics().driftCorrections("connector")).isZero();
  }

  /** Ledger J2: a range connector's job, named by path and answered by short name, is not updated on every pass. */
  @Test
  void aJobWhoseConnectorCloudRunShortensGetsNoUpdate() {
    harness = OperatorHarness.withExampleNetwork();
    harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");

    assertThat(writesOverResyncs()).isZero();
    assertThat(harness.services.metrics().driftCorrections("job")).isZero();
    assertThat(events("DriftCorrected")).isEmpty();
  }

  /** Ledger row 2: firewalls.patch is a merge patch, so re-enabling a rule means sending "disabled": false. */
  @Test
  void aFirewallRuleDisabledOutOfBandIsEnabledAgainInOneWrite() {
    harness = OperatorHarness.withExampleNetwork();
    CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    harness.gcp.calls().reset();

    harness.gcp.compute().editFirewall("myproject", "crej-my-agent-4-deny-all", f -> f.toBuilder().setDisabled(true).build());

    OperatorHarness.awaitTrue(() -> harness.gcp.firewall("myproject", "crej-my-agent-4-deny-all").map(f -> !f.getDisabled()).orElse(false));
    harness.awaitCondition(seed, Conditions.READY, "True");
    OperatorHarness.sleep(RESYNCS * 2_000L);
    assertThat(harness.gcp.calls().count("compute", "firewalls.patch")).isEqualTo(1);
    assertThat(harness.gcp.calls().writes()).isEqualTo(1);
    assertThat(harness.services.metrics().driftCorrections("firewall")).isEqualTo(1);
    assertThat(events("DriftCorrected")).singleElement().satisfies(m -> assertThat(m).contains("crej-my-agent-4-deny-all", "disabled"));
  }

  /** Ledger row 4: gcloud needs both instance flags and Terraform always sends both; so does the operator. */
  @Test
  void aChangeOfMaxInstancesPatchesBothBounds() {
    harness = OperatorHarness.withExampleNetwork();
    CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");

    CloudRunEgressJob current = harness.get(seed);
    current.getSpec().getEgress().getConnector().setMaxInstances(5);
    harness.client.resource(current).update();

    OperatorHarness.awaitTrue(() -> harness.gcp.connector(CONNECTOR).map(c -> c.getMaxInstances() == 5 && c.getState() == Connector.State.READY).orElse(false));
    harness.awaitCondition(current, Conditions.READY, "True");
    assertThat(harness.gcp.vpcAccess().updateMasks(CONNECTOR)).containsExactly("minInstances,maxInstances");
    Connector patched = harness.gcp.connector(CONNECTOR).orElseThrow();
    assertThat(patched.getMinInstances()).isEqualTo(2);
    assertThat(patched.getMaxThroughput()).isEqualTo(500);
  }

  /**
   * Ledger 3b: a connector in a service project on a Shared VPC gets no implicit rules; the host's
   * admin adds Google's four at the default priority 1000, and the least-privilege deny at 950
   * would beat vpc-connector-to-serverless and cut the connector off. The operator's own allow at
   * allowPriority keeps it open: the probe's check through the connector passes, and the same
   * check played against GCP without that one rule times out.
   */
  @Test
  void leastPrivilegeKeepsASharedVpcServiceProjectConnectorsPathToServerlessInfrastructure() throws Exception {
    String host = "net-host";
    harness = new OperatorHarness();
    harness.gcp.seedNetwork(host, "shared-vpc");
    harness.gcp.seedSubnetwork(host, "europe-west2", "svc-conn-euw2", "shared-vpc", "10.100.0.0/28");
    harness.gcp.seedSubnetwork(host, "europe-west2", "corp-tools", "shared-vpc", "10.20.0.0/16");
    List<String> serverless = List.of("35.199.224.0/19");
    List<Allowed> connectorPorts = List.of(Allowed.newBuilder().setIPProtocol("tcp").addPorts("667").build(),
        Allowed.newBuilder().setIPProtocol("udp").addPorts("665-666").build(), Allowed.newBuilder().setIPProtocol("icmp").build());
    // Google's recipe, run by the host's admin: no --priority, so 1000.
    hostRule(host, Firewall.newBuilder().setName("serverless-to-vpc-connector").setDirection("INGRESS").addAllSourceRanges(serverless)
        .addTargetTags("vpc-connector").addAllAllowed(connectorPorts));
    hostRule(host, Firewall.newBuilder().setName("vpc-connector-to-serverless").setDirection("EGRESS").addAllDestinationRanges(serverless)
        .addTargetTags("vpc-connector").addAllAllowed(connectorPorts));
    hostRule(host, Firewall.newBuilder().setName("vpc-connector-health-checks").setDirection("INGRESS")
        .addAllSourceRanges(List.of("35.191.0.0/16", "35.191.192.0/18", "130.211.0.0/22")).addTargetTags("vpc-connector")
        .addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("667")));
    hostRule(host, Firewall.newBuilder().setName("vpc-connector-requests").setDirection("INGRESS").addSourceTags("vpc-connector")
        .addAllAllowed(List.of(Allowed.newBuilder().setIPProtocol("tcp").build(), Allowed.newBuilder().setIPProtocol("udp").build(),
            Allowed.newBuilder().setIPProtocol("icmp").build())));
    OperatorHarness.awaitTrue(() -> harness.gcp.firewalls(host).size() == 4);
    harness.start();

    CloudRunEgressJob cr = harness.client.resource(Serialization.unmarshal(Manifests.mergePatch(Manifests.example("01-seed-github-static-ip"),
        Manifests.YAML.readTree("{spec: {egress: {vpcEgress: PrivateRangesOnly, network: projects/" + host + "/global/networks/shared-vpc,"
            + " connector: {name: svc-conn-euw2, ipCidrRange: null, subnet: {name: svc-conn-euw2, project: " + host + "}}, nat: null},"
            + " diagnosis: {destinations: ['10.20.4.10:443'], probe: {enabled: true}}}}")).toString(), CloudRunEgressJob.class)).create();
    cr = harness.await(cr, r -> OperatorHarness.hasCondition(r, Conditions.EGRESS_REACHABLE, "True")
        && DiagnosisPart.VERIFIED.equals(OperatorHarness.condition(r, Conditions.EGRESS_REACHABLE).getReason()), Duration.ofSeconds(60));

    assertThat(cr.getStatus().getDiagnosis().getProbe().getResults()).filteredOn(r -> r.getName().equals("10.20.4.10:443"))
        .singleElement().satisfies(r -> assertThat(r.getExitCode()).isZero());
    assertThat(harness.gcp.firewalls(host)).extracting(Firewall::getName).as("3b: GCP made no aet- rules")
        .noneMatch(name -> name.startsWith("aet-"));
    assertThat(harness.gcp.firewalls("myproject")).isEmpty();
    Firewall keep = harness.gcp.firewall(host, "crej-my-agent-4-to-serverless").orElseThrow();
    assertThat(keep.getDirection()).isEqualTo("EGRESS");
    assertThat(keep.getPriority()).isEqualTo(900).isLessThan(harness.gcp.firewall(host, "crej-my-agent-4-deny-all").orElseThrow().getPriority());
    assertThat(keep.getTargetTagsList()).containsExactly("vpc-connector-europe-west2-svc-conn-euw2");
    assertThat(keep.getDestinationRangesList()).containsExactly("35.199.224.0/19");
    assertThat(keep.getAllowedList()).isEqualTo(connectorPorts);
    assertThat(cr.getStatus().getFirewall().getRules()).contains("crej-my-agent-4-to-serverless");
    assertThat(Ledger.implied(cr)).contains(new Ledger.Key(Ledger.Kind.FIREWALL, "projects/" + host + "/global/firewalls/crej-my-agent-4-to-serverless"));

    // The probe's task for that check, played by the fake's simulation: with GCP as it is, and without the operator's rule.
    Job probe = Job.newBuilder().setName("projects/myproject/locations/europe-west2/jobs/my-agent-4-egress-probe").build();
    Task task = Task.newBuilder().setIndex(0).addContainers(Container.newBuilder().addArgs("egress-probe").addArgs("dest:10.20.4.10:443"))
        .setVpcAccess(harness.gcp.job("projects/myproject/locations/europe-west2/jobs/my-agent-4").orElseThrow().getTemplate().getTemplate().getVpcAccess())
        .build();
    GcpState withoutTheRule = (GcpState) Proxy.newProxyInstance(GcpState.class.getClassLoader(), new Class<?>[] {GcpState.class}, (proxy, method, args) -> {
      try {
        Object answer = method.invoke(harness.gcp, args);
        return method.getName().equals("firewalls")
            ? ((List<?>) answer).stream().filter(f -> !((Firewall) f).getName().equals("crej-my-agent-4-to-serverless")).toList()
            : answer;
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    });
    assertThat(harness.gcp.run().egressProbe().exitCode(probe, Execution.getDefaultInstance(), task, harness.gcp)).isZero();
    assertThat(harness.gcp.run().egressProbe().exitCode(probe, Execution.getDefaultInstance(), task, withoutTheRule))
        .as("the deny at 950 beats vpc-connector-to-serverless at 1000: the connector is cut off").isEqualTo(21);
  }

  private void hostRule(String host, Firewall.Builder rule) {
    harness.gcpClients.firewalls.insertCallable().call(InsertFirewallRequest.newBuilder().setProject(host)
        .setFirewallResource(rule.setNetwork("projects/" + host + "/global/networks/shared-vpc")).build());
  }

  /** GCP writes over {@link #RESYNCS} resync intervals (2 s in the harness), once the last follow-up passes are done. */
  private long writesOverResyncs() {
    OperatorHarness.sleep(2_500);
    harness.gcp.calls().reset();
    OperatorHarness.sleep(RESYNCS * 2_000L);
    return harness.gcp.calls().writes();
  }

  private List<String> events(String reason) {
    return harness.client.v1().events().inNamespace("platform-agents").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason())).map(Event::getMessage).toList();
  }
}
