package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The project's Helm chart, linted and rendered by real Helm (helm-java) as `helm template` would. */
public final class HelmChart {
  public static final String RELEASE = "crej";
  /** The release namespace (helm template --namespace). */
  public static final String NAMESPACE = "crej-system";

  private HelmChart() {}

  private static Helm helm() {
    return new Helm(Manifests.projectRoot().resolve("charts/cloudrun-egress-operator"));
  }

  public static LintResult lint() {
    return helm().lint().strict().call();
  }

  /** Renders the chart's templates with these values over values.yaml (as `helm template -f`). */
  public static List<JsonNode> render(Map<String, Object> values) {
    try {
      Path valuesFile = Files.createTempFile("values", ".yaml");
      try {
        Manifests.YAML.writeValue(valuesFile.toFile(), values);
        String manifests = helm().template().withName(RELEASE).withNamespace(NAMESPACE)
            .withValuesFile(valuesFile).call();
        if (manifests == null) {
          // helm-java's answer when no template renders anything.
          return List.of();
        }
        return Manifests.readAll(new ByteArrayInputStream(manifests.getBytes(StandardCharsets.UTF_8)));
      } finally {
        Files.delete(valuesFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The one rendered document of a kind. */
  public static JsonNode only(List<JsonNode> manifests, String kind) {
    List<JsonNode> ofKind = manifests.stream().filter(m -> kind.equals(m.path("kind").asText())).toList();
    if (ofKind.size() != 1) {
      throw new IllegalStateException(ofKind.size() + " documents of kind " + kind + " rendered, expected 1");
    }
    return ofKind.get(0);
  }

  /** The admission policy and binding, rendered with admissionPolicy enabled and these admissionPolicy values. */
  public static AdmissionPolicyEvaluator admissionPolicy(Map<String, Object> admissionPolicyValues) {
    Map<String, Object> admissionPolicy = new HashMap<>(admissionPolicyValues);
    admissionPolicy.put("enabled", true);
    List<JsonNode> manifests = render(Map.of("admissionPolicy", admissionPolicy));
    return new AdmissionPolicyEvaluator(
        only(manifests, "ValidatingAdmissionPolicy"), only(manifests, "ValidatingAdmissionPolicyBinding"));
  }
}
