package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterInterface;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.ConnectorSpec;
import dev.cloudrun.egress.api.v1alpha1.DirectVpcSpec;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 12, leaks on spec change: what the ledger holds and the spec no longer names is deleted,
 * and deleting the resource deletes exactly what the ledger holds. Each edit is checked against
 * what GCP holds, not against the operator's own view: after the edit GCP holds what the new spec
 * implies and nothing else, and after deletion nothing at all.
 */
class ReleaseTest {
  private static final String PROJECT = "myproject";
  private static final String REGION = "europe-west2";
  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = new OperatorHarness();
    harness.gcp.seedNetwork(PROJECT, "default");
    harness.gcp.seedSubnetwork(PROJECT, REGION, "jobs-euw2", "default", "10.40.0.0/24");
    harness.start();
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  static Stream<Arguments> edits() {
    return Stream.of(
        Arguments.of("renamed connector", (Consumer<CloudRunEgressJob>) c -> {
          c.getSpec().getEgress().getConnector().setName("vpc-conn-europe-2");
          c.getSpec().getEgress().getConnector().setIpCidrRange("10.8.0.16/28");
        }),
        Arguments.of("renamed connector on the same range", (Consumer<CloudRunEgressJob>) c -> c.getSpec().getEgress().getConnector().setName("vpc-conn-europe-3")),
        Arguments.of("renamed router", (Consumer<CloudRunEgressJob>) c -> c.getSpec().getEgress().getNat().setRouter("egress-router-2")),
        Arguments.of("renamed NAT", (Consumer<CloudRunEgressJob>) c -> c.getSpec().getEgress().getNat().setName("egress-nat-2")),
        Arguments.of("renamed address", (Consumer<CloudRunEgressJob>) c -> c.getSpec().getEgress().getNat().getAddresses().get(0).setName("github-egress-ip-2")),
        Arguments.of("removed NAT", (Consumer<CloudRunEgressJob>) c -> c.getSpec().getEgress().setNat(null)),
        Arguments.of("removed firewall", (Consumer<CloudRunEgressJob>) c -> c.getSpec().getEgress().setFirewall(null)),
        Arguments.of("renamed job", (Consumer<CloudRunEgressJob>) c -> c.getSpec().getJob().setName("my-agent-renamed")),
        Arguments.of("connector to Direct VPC", (Consumer<CloudRunEgressJob>) c -> {
          DirectVpcSpec direct = new DirectVpcSpec();
          direct.setSubnet("jobs-euw2");
          direct.setNetworkTags(List.of("batch-egress"));
          c.getSpec().getEgress().setConnector(null);
          c.getSpec().getEgress().setDirectVpc(direct);
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edits")
  void afterAnEditGcpHoldsWhatTheNewSpecImpliesAndAfterDeletionNothing(String edit, Consumer<CloudRunEgressJob> change) {
    CloudRunEgressJob ready = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    assertThat(gcpObjects()).isEqualTo(implied(ready));

    CloudRunEgressJob edited = harness.client.resource(harness.get(ready)).edit(c -> {
      change.accept(c);
      return c;
    });
    CloudRunEgressJob converged = harness.awaitCondition(edited, Conditions.READY, "True");
    assertThat(gcpObjects()).as("GCP after the edit (%s)", edit).isEqualTo(implied(converged));
    assertThat(ledger(converged)).as("the ledger after the edit").isEqualTo(implied(converged));

    harness.client.resource(converged).delete();
    harness.awaitGone(converged);
    assertThat(gcpObjects()).as("GCP after deletion").isEmpty();
    assertThat(harness.gcp.firewalls(PROJECT)).as("GCP's own connector rules went with the connector").isEmpty();
  }

  /** Issue 12: replacePolicy: Recreate was admitted and documented but did nothing. */
  @Test
  void recreateReplacesTheConnectorUnderTheSameNameAndTheJobKeepsItsReference() {
    CloudRunEgressJob ready = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    String connector = "projects/myproject/locations/europe-west2/connectors/vpc-conn-europe";
    CloudRunEgressJob edited = harness.client.resource(harness.get(ready)).edit(c -> {
      c.getSpec().getEgress().getConnector().setIpCidrRange("10.8.0.32/28");
      c.getSpec().getEgress().getConnector().setReplacePolicy(ConnectorSpec.ReplacePolicy.Recreate);
      return c;
    });
    CloudRunEgressJob converged = harness.awaitCondition(edited, Conditions.READY, "True");
    assertThat(harness.gcp.connector(connector)).get().extracting(Connector::getIpCidrRange).isEqualTo("10.8.0.32/28");
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.delete", 200)).isEqualTo(1);
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.create", 200)).isEqualTo(2);
    assertThat(harness.gcp.job(converged.getStatus().getJob().getName())).get()
        .satisfies(j -> assertThat(j.getTemplate().getTemplate().getVpcAccess().getConnector()).endsWith("vpc-conn-europe"));
  }

  @Test
  void recreateWaitsWhileAnotherResourceUsesTheConnector() {
    List<CloudRunEgressJob> shared = harness.applyExample("04-shared-connector.yaml");
    shared.forEach(cr -> harness.awaitCondition(cr, Conditions.READY, "True"));
    CloudRunEgressJob first = harness.get(shared.get(0));
    CloudRunEgressJob edited = harness.client.resource(first).edit(c -> {
      c.getSpec().getEgress().getConnector().setIpCidrRange("10.8.0.48/28");
      c.getSpec().getEgress().getConnector().setReplacePolicy(ConnectorSpec.ReplacePolicy.Recreate);
      return c;
    });
    CloudRunEgressJob refused = harness.await(edited, c -> OperatorHarness.hasCondition(c, Conditions.CONNECTOR_READY, "False")
        && OperatorHarness.condition(c, Conditions.CONNECTOR_READY).getReason().matches("ReplacementRequired|SharedSpecConflict"), Duration.ofSeconds(30));
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.delete")).isZero();
    assertThat(OperatorHarness.condition(refused, Conditions.CONNECTOR_READY).getMessage()).contains("other");
  }

  /** Issue 12: a router we created was deleted when only our NAT was on it, even with someone's interfaces. */
  @Test
  void aRouterSomeoneElseConfiguredIsKeptWhenItsNatGoes() {
    CloudRunEgressJob ready = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    Router router = harness.gcp.router(PROJECT, REGION, "egress-router-europe-west2").orElseThrow();
    harness.gcpClients.routers.patchCallable().call(com.google.cloud.compute.v1.PatchRouterRequest.newBuilder()
        .setProject(PROJECT).setRegion(REGION).setRouter(router.getName())
        .setRouterResource(Router.newBuilder().addInterfaces(RouterInterface.newBuilder().setName("to-onprem").setIpRange("169.254.10.1/30")))
        .build());
    OperatorHarness.awaitTrue(() -> harness.gcp.router(PROJECT, REGION, router.getName()).orElseThrow().getInterfacesCount() == 1);

    harness.client.resource(harness.get(ready)).delete();
    harness.awaitGone(ready);
    Router kept = harness.gcp.router(PROJECT, REGION, "egress-router-europe-west2").orElseThrow();
    assertThat(kept.getInterfacesList()).extracting(RouterInterface::getName).containsExactly("to-onprem");
    assertThat(kept.getNatsList()).as("this resource's NAT is gone").isEmpty();
  }

  /**
   * Issue 12: claims came from the informer cache, so with --namespaces a shared connector could be
   * deleted from under a job in a namespace the operator does not watch. Whether another resource
   * uses it is now read live from every namespace.
   */
  @Test
  void aSharedConnectorIsKeptForAResourceInANamespaceTheOperatorDoesNotWatch() {
    List<CloudRunEgressJob> pair = OperatorHarness.readExample("04-shared-connector.yaml");
    CloudRunEgressJob elsewhere = pair.get(0);
    elsewhere.getMetadata().setNamespace("team-b");
    // Another operator instance (here: this one, watching everything) made the connector for team-b.
    elsewhere = harness.awaitCondition(harness.client.resource(elsewhere).create(), Conditions.READY, "True");
    harness.stop();
    harness.start(new dev.cloudrun.egress.app.OperatorFactory.Options(Set.of("platform-agents"), 10, null));

    CloudRunEgressJob watched = harness.awaitCondition(harness.client.resource(pair.get(1)).create(), Conditions.READY, "True");
    assertThat(watched.getStatus().getOwned()).as("the connector team-b's resource manages is claimed, not NotOwned")
        .anyMatch(o -> o.getKind().equals("connector") && o.getState().equals("Claimed"));
    harness.client.resource(watched).delete();
    harness.awaitGone(watched);
    String connector = "projects/myproject/locations/europe-west2/connectors/shared-conn-euw2";
    assertThat(harness.gcp.connector(connector)).as("still used by team-b/" + elsewhere.getMetadata().getName()).isPresent();
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.delete")).isZero();
  }

  /** Every connector, router, NAT, address, firewall rule and job in the fake (GCP's own aet- rules aside), as the harness names them. */
  private Set<String> gcpObjects() {
    return new TreeSet<>(Implied.inGcp(harness.gcp).keySet());
  }

  /** What the spec implies, by the harness's oracle, written apart from the operator's {@link Ledger#implied}. */
  private static Set<String> implied(CloudRunEgressJob cr) {
    return new TreeSet<>(Implied.by(cr));
  }

  /** The ledger's entries, named as the harness names objects (a probe job is a job). */
  private static Set<String> ledger(CloudRunEgressJob cr) {
    Set<String> names = new TreeSet<>();
    cr.getStatus().getOwned().forEach(o -> names.add((o.getKind().equals("probe") ? "job" : o.getKind()) + " " + o.getName()));
    return names;
  }
}
