package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.app.OperatorFactory;
import dev.cloudrun.egress.testing.AuthorizingDispatcher;
import dev.cloudrun.egress.testing.HelmChart;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.Rbac;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart's RBAC measured against the real operator: it runs a resource's whole life under the
 * rules the chart renders, the mock API server refusing (403) whatever they do not allow, and every
 * rule the chart grants must have been needed by some request.
 */
class OperatorRbacTest {
  private static final String SERVICE_ACCOUNT = "crej-cloudrun-egress-operator";

  static Stream<Arguments> watchScopes() {
    return Stream.of(
        Arguments.of("every namespace (ClusterRole)", List.of()),
        Arguments.of("listed namespaces (a Role in each)", List.of("platform-agents")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("watchScopes")
  void theChartAllowsEveryCallOfAResourcesLifeAndNothingMore(String scope, List<String> watchNamespaces) {
    List<JsonNode> manifests = HelmChart.render(Map.of("watchNamespaces", watchNamespaces));
    Rbac rbac = Rbac.forServiceAccount(manifests, HelmChart.NAMESPACE, SERVICE_ACCOUNT);
    AuthorizingDispatcher api = new AuthorizingDispatcher(OperatorHarness.OPERATOR_USER_AGENT,
        "system:serviceaccount:" + HelmChart.NAMESPACE + ":" + SERVICE_ACCOUNT, rbac);

    try (OperatorHarness harness = new OperatorHarness(api)) {
      harness.gcp.seedNetwork("myproject", "default");
      // As the chart's Deployment configures the process: its namespaces, the Lease in the release namespace.
      harness.start(new OperatorFactory.Options(Set.copyOf(watchNamespaces), 10, lease()));
      CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");

      // Drift, found by a forced reconcile.
      harness.gcp.compute().deleteFirewall("myproject", "crej-my-agent-4-deny-all");
      harness.client.resources(CloudRunEgressJob.class).inNamespace("platform-agents").withName("my-agent-4")
          .edit(cr -> {
            cr.getMetadata().getAnnotations().put(ReconcileTriggers.FORCE_RECONCILE, "drift-check");
            return cr;
          });
      harness.await(seed, cr -> "drift-check".equals(cr.getStatus().getLastForcedReconcile())
          && OperatorHarness.hasCondition(cr, Conditions.READY, "True"), Duration.ofSeconds(30));
      assertThat(harness.gcp.firewall("myproject", "crej-my-agent-4-deny-all")).isPresent();

      // Deletion, with the finalizer's removal meeting a concurrent write as it can in a cluster: the
      // operator's next patch of the resource is that removal, as GCP takes a while to delete.
      harness.client.resource(seed).delete();
      api.conflictOnce(r -> r.verb().equals("patch") && "cloudrunegressjobs".equals(r.ruleResource()));
      harness.awaitGone(seed);
      harness.stop();
    }

    assertThat(api.denied()).as("requests the chart's RBAC refused").isEmpty();
    List<Rbac.Request> requests = api.requests();
    assertThat(requests).as("the operator's requests were recorded").hasSizeGreaterThan(10);
    List<String> unused = new ArrayList<>();
    for (Rbac.Grant grant : rbac.grants()) {
      for (String resource : grant.rule().resources()) {
        for (String verb : grant.rule().verbs()) {
          Rbac.Grant single = new Rbac.Grant(grant.namespace(),
              new Rbac.Rule(grant.rule().apiGroups(), List.of(resource), List.of(verb), grant.rule().resourceNames(), grant.rule().source()));
          boolean used = requests.stream().anyMatch(single::allows);
          if (!used && !isDemandedByLeaderElectionCheck(grant.rule(), verb)) {
            unused.add(verb + " " + resource + " in " + grant.rule().source());
          }
        }
      }
    }
    assertThat(unused).as("rules no request needed").isEmpty();
  }

  /** java-operator-sdk checks create, get and update on leases before it starts leader election. */
  private static boolean isDemandedByLeaderElectionCheck(Rbac.Rule rule, String verb) {
    return rule.resources().equals(List.of("leases")) && verb.equals("update");
  }

  @Test
  void leaderElectionRefusesToStartWithoutLeaseUpdateEvenThoughItOnlyPatches() {
    List<JsonNode> manifests = HelmChart.render(Map.of());
    for (JsonNode manifest : manifests) {
      if (manifest.path("kind").asText().equals("Role")) {
        manifest.path("rules").forEach(rule -> {
          ArrayNode verbs = (ArrayNode) rule.path("verbs");
          for (int i = verbs.size() - 1; i >= 0; i--) {
            if (verbs.get(i).asText().equals("update")) {
              verbs.remove(i);
            }
          }
        });
      }
    }
    Rbac withoutUpdate = Rbac.forServiceAccount(manifests, HelmChart.NAMESPACE, SERVICE_ACCOUNT);
    try (OperatorHarness harness = new OperatorHarness(new AuthorizingDispatcher(OperatorHarness.OPERATOR_USER_AGENT, SERVICE_ACCOUNT, withoutUpdate))) {
      assertThatThrownBy(() -> harness.start(new OperatorFactory.Options(Set.of(), 10, lease())))
          .hasStackTraceContaining("missing required verbs: [update]");
    }
  }

  @Test
  void noRuleUsesAWildcard() {
    for (Map<String, Object> values : List.<Map<String, Object>>of(Map.of(), Map.of("watchNamespaces", List.of("a", "b")))) {
      Set<String> kinds = new HashSet<>();
      for (JsonNode manifest : HelmChart.render(values)) {
        String kind = manifest.path("kind").asText();
        if (kind.equals("Role") || kind.equals("ClusterRole")) {
          kinds.add(kind);
          for (JsonNode rule : manifest.path("rules")) {
            for (String field : List.of("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")) {
              assertThat(Manifests.texts(rule.path(field))).as("%s %s", kind, field).noneMatch(v -> v.contains("*"));
            }
          }
        }
      }
      assertThat(kinds).isNotEmpty();
    }
  }

  /** The chart's Lease; stopping the operator also stops leading, which must not end the test JVM. */
  private static OperatorFactory.Lease lease() {
    return OperatorFactory.Lease.in(HelmChart.NAMESPACE, null);
  }
}
