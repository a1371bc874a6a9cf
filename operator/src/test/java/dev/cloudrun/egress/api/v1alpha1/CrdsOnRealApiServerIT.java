package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.RealApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
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
          "crd/" + crdName(Crds.CLOUD_RUN_EGRESS_JOB_FILE), "crd/" + crdName(Crds.EGRESS_POLICY_FILE));
      assertThat(wait.exitCode()).as(wait.err()).isZero();
      RealApiServer.Result resources = SERVER.kubectl("api-resources", "--api-group=egress.cloudrun.dev");
      assertThat(resources.out()).contains("crej").contains("CloudRunEgressJob").contains("EgressPolicy");
    }
  }

  @Test
  void theChartsCrdsInstallTheSameWay() {
    // helm install applies a chart's crds/ verbatim, before the templates.
    Path chartCrds = Manifests.projectRoot().resolve("charts/cloudrun-egress-operator/crds");
    RealApiServer.Result apply = SERVER.kubectl("apply", "--dry-run=server", "-f", chartCrds.toString());
    assertThat(apply.exitCode()).as("kubectl apply --dry-run=server -f %s: %s", chartCrds, apply.err()).isZero();
  }

  @Test
  void everyRuleCostsWellUnderTheServersLimits() throws Exception {
    Path crds = Manifests.projectRoot().resolve("crds");
    RealApiServer.Result cost = RealApiServer.crdCost(crds.resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE), crds.resolve(Crds.EGRESS_POLICY_FILE));
    assertThat(cost.exitCode()).as(cost.err()).isZero();
    // one JSON object per CRD file
    for (JsonNode crd : new ObjectMapper().readerFor(JsonNode.class).<JsonNode>readValues(cost.out()).readAll()) {
      System.out.printf("%s: estimated total %,d of %,d (%.1f%%); %d rules%n", crd.path("crd").asText(),
          crd.path("totalCost").asLong(), crd.path("totalLimit").asLong(),
          100.0 * crd.path("totalCost").asLong() / crd.path("totalLimit").asLong(), crd.path("rules").size());
      for (JsonNode rule : crd.path("rules")) {
        System.out.printf("  %,14d  (limit %,d)  %s%n", rule.path("cost").asLong(), rule.path("limit").asLong(), rule.path("path").asText());
        assertThat(rule.path("cost").asLong()).as(rule.path("path").asText()).isLessThanOrEqualTo((long) (rule.path("limit").asLong() * MAX_SHARE_OF_LIMIT));
      }
      assertThat(crd.path("errors")).as("the server's create-time errors for %s", crd.path("crd").asText()).isEmpty();
      assertThat(crd.path("totalCost").asLong()).isLessThanOrEqualTo((long) (crd.path("totalLimit").asLong() * MAX_SHARE_OF_LIMIT));
    }
  }

  private static String crdName(String file) {
    return file.replaceFirst("-v1\\.yml$", "");
  }
}
