package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.RealApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CRDs as a real API server takes them: `kubectl apply -f crds/` and the chart's crds/ (which
 * `helm install` applies as they are) install and become Established, and every CEL rule's cost, as
 * the server estimates it, leaves room under its limits. The figures are printed.
 */
class CrdsOnRealApiServerIT {
  /** Room to spare: the whole schema at most half the server's limit, so rules can grow. */
  private static final double MAX_SHARE_OF_LIMIT = 0.5;

  private static final RealApiServer SERVER = RealApiServer.shared();

  @Test
  void kubectlApplyOfCrdsInstallsBothAndTheyBecomeEstablished() {
    try (KubernetesClient client = SERVER.client()) {
      SERVER.installCrds(client);
      RealApiServer.Result wait = SERVER.kubectl("wait", "--for=condition=Established", "--timeout=60s",
          "crd/" + RealApiServer.crdName(Crds.CLOUD_RUN_EGRESS_JOB_FILE), "crd/" + RealApiServer.crdName(Crds.EGRESS_POLICY_FILE));
      assertThat(wait.exitCode()).as(wait.err()).isZero();
      RealApiServer.Result resources = SERVER.kubectl("api-resources", "--api-group=egress.cloudrun.dev");
      assertThat(resources.out()).contains("crej").contains("CloudRunEgressJob").contains("EgressPolicy");
    }
  }

  @Test
  void everyRuleCostsWellUnderTheServersLimits() throws Exception {
    // crds/ as kubectl applies them, and the chart's crds/ as helm install applies them (verbatim)
    for (Path dir : List.of(Manifests.projectRoot().resolve("crds"), Manifests.projectRoot().resolve("charts/cloudrun-egress-operator/crds"))) {
      RealApiServer.Result cost = RealApiServer.crdCost(dir.resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE), dir.resolve(Crds.EGRESS_POLICY_FILE));
      assertThat(cost.exitCode()).as(cost.err()).isZero();
      List<JsonNode> reports = reports(cost);
      assertThat(reports).as("one report per CRD in %s", dir).hasSize(2);
      for (JsonNode crd : reports) {
        System.out.printf("%s (%s): estimated total %,d of %,d (%.1f%%); %d rules%n", crd.path("crd").asText(), Manifests.projectRoot().relativize(dir),
            crd.path("totalCost").asLong(), crd.path("totalLimit").asLong(),
            100.0 * crd.path("totalCost").asLong() / crd.path("totalLimit").asLong(), crd.path("rules").size());
        assertThat(crd.path("rules").size()).as("rules of %s", crd.path("crd").asText()).isGreaterThan(20);
        for (JsonNode rule : crd.path("rules")) {
          System.out.printf("  %,14d  (limit %,d)  %s%n", rule.path("cost").asLong(), rule.path("limit").asLong(), rule.path("path").asText());
          assertThat(rule.path("cost").asLong()).as(rule.path("path").asText()).isLessThanOrEqualTo((long) (rule.path("limit").asLong() * MAX_SHARE_OF_LIMIT));
        }
        assertThat(crd.path("accepted").asBoolean()).as("accepted by the server's create-time validation").isTrue();
        assertThat(crd.path("errors")).as("the server's create-time errors for %s", crd.path("crd").asText()).isEmpty();
        assertThat(crd.path("totalCost").asLong()).isLessThanOrEqualTo((long) (crd.path("totalLimit").asLong() * MAX_SHARE_OF_LIMIT));
      }
    }
  }

  /** crd-cost and the server judge alike: a CRD over budget is refused by both, for the same rule. */
  @Test
  void crdCostAndTheServerRefuseTheSameOverBudgetRule() throws Exception {
    Path overBudget = Path.of(getClass().getResource("/crd-cost/over-budget.yaml").toURI());

    RealApiServer.Result apply = SERVER.kubectl("apply", "--dry-run=server", "-f", overBudget.toString());
    RealApiServer.Result cost = RealApiServer.crdCost(overBudget);

    assertThat(apply.exitCode()).isNotZero();
    assertThat(apply.err()).contains("properties[rules].items.properties[ranges].x-kubernetes-validations[0].rule")
        .contains("estimated rule cost exceeds budget");
    assertThat(cost.exitCode()).isEqualTo(1);
    JsonNode report = reports(cost).get(0);
    assertThat(report.path("accepted").asBoolean()).isFalse();
    assertThat(report.path("rules")).anySatisfy(rule -> {
      assertThat(rule.path("path").asText()).isEqualTo("spec.rules[*].ranges");
      assertThat(rule.path("exceedsLimit").asBoolean()).isTrue();
    });
  }

  /** crd-cost prints one JSON object per CRD. */
  private static List<JsonNode> reports(RealApiServer.Result cost) throws java.io.IOException {
    return new ObjectMapper().readerFor(JsonNode.class).<JsonNode>readValues(cost.out()).readAll();
  }

}
