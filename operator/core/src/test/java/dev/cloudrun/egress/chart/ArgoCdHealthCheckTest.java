package dev.cloudrun.egress.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.testing.ArgoCdHealth;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The argocd-cm snippet users copy from docs/operating.md is the chart's health.lua, the file
 * StatusForToolsTest runs against the reconciler's statuses, under the key Argo CD looks up.
 */
class ArgoCdHealthCheckTest {
  private static final Pattern DOCS_SNIPPET = Pattern.compile("<!-- argocd-cm:[^\\n]*-->\\n```yaml\\n(.*?)```", Pattern.DOTALL);

  @Test
  void theDocsSnippetIsTheChartsHealthCheck() throws IOException {
    Matcher snippet = DOCS_SNIPPET.matcher(Files.readString(Manifests.projectRoot().resolve("docs/operating.md")));
    assertThat(snippet.find()).as("docs/operating.md has the argocd-cm snippet").isTrue();
    JsonNode configMap = Manifests.YAML.readTree(snippet.group(1));
    assertThat(configMap.at("/metadata/name").asText()).isEqualTo("argocd-cm");
    assertThat(configMap.path("data").path(ArgoCdHealth.ARGOCD_CM_KEY).asText())
        .as("docs/operating.md's argocd-cm snippet must embed %s verbatim (indented 4 spaces)", ArgoCdHealth.script())
        .isEqualTo(Files.readString(ArgoCdHealth.script()));
  }

  @Test
  void theKeyNamesTheCrdsGroupAndKind() {
    JsonNode crd = Manifests.readOne(Manifests.projectRoot().resolve("charts/cloudrun-egress-operator/crds").resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE));
    assertThat(ArgoCdHealth.ARGOCD_CM_KEY)
        .isEqualTo("resource.customizations.health." + crd.at("/spec/group").asText() + "_" + crd.at("/spec/names/kind").asText());
  }
}
