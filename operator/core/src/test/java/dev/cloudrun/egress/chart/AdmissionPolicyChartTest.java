package dev.cloudrun.egress.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.LintResult;
import dev.cloudrun.egress.testing.HelmChart;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.validation.KubernetesCel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The chart's admission policy as Helm lints and renders it, value set by value set. */
class AdmissionPolicyChartTest {

  private static final KubernetesCel CEL =
      new KubernetesCel("object", "oldObject", "params", "request", "namespaceObject", "variables");
  private static final Pattern RESERVED_FIELD = Pattern.compile(
      "[.](as|break|const|continue|else|for|function|if|import|let|loop|package|namespace|return|var|void|while)\\b");

  @Test
  void lintsWithoutWarnings() {
    LintResult lint = HelmChart.lint();
    assertThat(lint.isFailed()).as("lint: %s", lint.getMessages()).isFalse();
    assertThat(lint.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
  }

  @Test
  void disabledByDefault() {
    assertThat(admissionKinds(HelmChart.render(Map.of()))).isEmpty();
    assertThat(admissionKinds(HelmChart.render(Map.of("admissionPolicy", Map.of("enabled", false))))).isEmpty();
  }

  @Test
  void enabledRendersThePolicyAndItsBindingWithSafeDefaults() {
    List<JsonNode> manifests = HelmChart.render(Map.of("admissionPolicy", Map.of("enabled", true)));
    assertThat(admissionKinds(manifests)).containsExactly("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
    JsonNode policy = HelmChart.only(manifests, "ValidatingAdmissionPolicy");
    JsonNode binding = HelmChart.only(manifests, "ValidatingAdmissionPolicyBinding");

    assertThat(policy.path("apiVersion").asText()).isEqualTo("admissionregistration.k8s.io/v1");
    assertThat(policy.at("/metadata/name").asText()).isEqualTo("crej-egress-policy");
    assertThat(policy.at("/metadata/labels/app.kubernetes.io~1instance").asText()).isEqualTo("crej");
    // Audit only: neither an expression error nor a missing EgressPolicy may refuse a job.
    assertThat(policy.at("/spec/failurePolicy").asText()).isEqualTo("Ignore");
    assertThat(policy.at("/spec/paramKind/apiVersion").asText()).isEqualTo("egress.cloudrun.dev/v1alpha1");
    assertThat(policy.at("/spec/paramKind/kind").asText()).isEqualTo("EgressPolicy");
    JsonNode rule = policy.at("/spec/matchConstraints/resourceRules/0");
    assertThat(Manifests.texts(rule.path("apiGroups"))).containsExactly("egress.cloudrun.dev");
    assertThat(Manifests.texts(rule.path("resources"))).containsExactly("cloudrunegressjobs");
    assertThat(Manifests.texts(rule.path("operations"))).containsExactly("CREATE", "UPDATE");
    assertThat(policy.at("/spec/validations").size()).isEqualTo(22);

    assertThat(binding.at("/spec/policyName").asText()).isEqualTo("crej-egress-policy");
    assertThat(Manifests.texts(binding.at("/spec/validationActions"))).containsExactly("Audit");
    assertThat(binding.at("/spec/paramRef/name").asText()).isEqualTo("default");
    assertThat(binding.at("/spec/paramRef/parameterNotFoundAction").asText()).isEqualTo("Allow");
    assertThat(binding.at("/spec/paramRef").has("selector")).isFalse();
    assertThat(binding.at("/spec/paramRef").has("namespace")).as("EgressPolicy is cluster-scoped").isFalse();
    assertThat(binding.at("/spec").has("matchResources")).isFalse();
  }

  static Stream<List<String>> validActions() {
    return Stream.of(List.of("Deny"), List.of("Warn"), List.of("Audit"), List.of("Warn", "Audit"), List.of("Deny", "Audit"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validActions")
  void bindingCarriesTheChosenValidationActions(List<String> actions) {
    JsonNode binding = renderBinding(Map.of("validationActions", actions));
    assertThat(Manifests.texts(binding.at("/spec/validationActions"))).containsExactlyElementsOf(actions);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validActions")
  void aMissingPolicyAndExpressionErrorsRefuseOnlyOnceViolationsAreDenied(List<String> actions) {
    List<JsonNode> manifests = HelmChart.render(Map.of("admissionPolicy", Map.of("enabled", true, "validationActions", actions)));
    boolean enforcing = actions.contains("Deny");
    assertThat(HelmChart.only(manifests, "ValidatingAdmissionPolicy").at("/spec/failurePolicy").asText()).isEqualTo(enforcing ? "Fail" : "Ignore");
    assertThat(HelmChart.only(manifests, "ValidatingAdmissionPolicyBinding").at("/spec/paramRef/parameterNotFoundAction").asText())
        .isEqualTo(enforcing ? "Deny" : "Allow");
  }

  @Test
  void explicitSettingsWinOverTheActions() {
    List<JsonNode> manifests = HelmChart.render(Map.of("admissionPolicy", Map.of("enabled", true, "validationActions", List.of("Audit"),
        "parameterNotFoundAction", "Deny", "failurePolicy", "Fail")));
    assertThat(HelmChart.only(manifests, "ValidatingAdmissionPolicy").at("/spec/failurePolicy").asText()).isEqualTo("Fail");
    assertThat(HelmChart.only(manifests, "ValidatingAdmissionPolicyBinding").at("/spec/paramRef/parameterNotFoundAction").asText()).isEqualTo("Deny");
  }

  @Test
  void paramsCanBeSelectedByLabelInsteadOfName() {
    JsonNode binding = renderBinding(Map.of(
        "paramRef", Map.of("name", "", "selector", Map.of("matchLabels", Map.of("egress.cloudrun.dev/tier", "prod"))),
        "parameterNotFoundAction", "Allow",
        "failurePolicy", "Ignore"));
    assertThat(binding.at("/spec/paramRef").has("name")).isFalse();
    assertThat(binding.at("/spec/paramRef/selector/matchLabels/egress.cloudrun.dev~1tier").asText()).isEqualTo("prod");
    assertThat(binding.at("/spec/paramRef/parameterNotFoundAction").asText()).isEqualTo("Allow");
  }

  @Test
  void namespaceSelectorLimitsTheBinding() {
    JsonNode binding = renderBinding(Map.of("namespaceSelector", Map.of("matchLabels", Map.of("team", "apps"))));
    assertThat(binding.at("/spec/matchResources/namespaceSelector/matchLabels/team").asText()).isEqualTo("apps");
  }

  static Stream<Arguments> invalidValues() {
    return Stream.of(
        Arguments.of(Map.of("validationActions", List.of("Deny", "Warn")), "Deny and Warn exclude each other"),
        Arguments.of(Map.of("validationActions", List.of("Block")), "Block is not one of Deny, Warn, Audit"),
        Arguments.of(Map.of("validationActions", List.of()), "needs at least one of Deny, Warn, Audit"),
        Arguments.of(Map.of("validationActions", List.of("Audit", "Audit")), "must not repeat an action"),
        Arguments.of(Map.of("parameterNotFoundAction", "Ignore"), "parameterNotFoundAction must be Deny or Allow"),
        Arguments.of(Map.of("failurePolicy", "Warn"), "failurePolicy must be Fail or Ignore"),
        Arguments.of(Map.of("paramRef", Map.of("name", "default", "selector", Map.of("matchLabels", Map.of("a", "b")))),
            "paramRef needs exactly one of name or selector"),
        Arguments.of(Map.of("paramRef", Map.of("name", "")), "paramRef needs exactly one of name or selector"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("invalidValues")
  void refusesValuesTheApiServerWouldReject(Map<String, Object> values, String error) {
    assertThatThrownBy(() -> renderBinding(values)).hasMessageContaining(error);
  }

  @Test
  void everyExpressionIsStandardCel() {
    JsonNode policy = HelmChart.only(HelmChart.render(Map.of("admissionPolicy", Map.of("enabled", true))),
        "ValidatingAdmissionPolicy");
    List<String> expressions = new ArrayList<>();
    policy.at("/spec/matchConditions").forEach(c -> expressions.add(c.path("expression").asText()));
    policy.at("/spec/variables").forEach(v -> expressions.add(v.path("expression").asText()));
    policy.at("/spec/validations").forEach(v -> {
      expressions.add(v.path("expression").asText());
      expressions.add(v.path("messageExpression").asText());
    });
    assertThat(expressions).hasSize(1 + 40 + 2 * 22).doesNotContain("");
    expressions.forEach(CEL::compile);
    // Kubernetes escapes fields named after CEL's reserved words; cel-java would not notice them.
    assertThat(expressions).noneMatch(e -> RESERVED_FIELD.matcher(e).find());
    // The check means something: Kubernetes' own CEL libraries do not compile here.
    assertThatThrownBy(() -> CEL.compile("['a', 'b'].join(', ')")).hasMessageContaining("does not compile");
    assertThatThrownBy(() -> CEL.compile("'10.0.0.0/8'.matches('.') && cidr('10.0.0.0/8').containsIP('10.1.1.1')"))
        .hasMessageContaining("does not compile");
  }

  @Test
  void everyMessageNamesItsRuleAndFieldAndTheExpressionAlsoTheAllowedValues() {
    JsonNode policy = HelmChart.only(HelmChart.render(Map.of("admissionPolicy", Map.of("enabled", true))),
        "ValidatingAdmissionPolicy");
    for (JsonNode validation : policy.at("/spec/validations")) {
      assertThat(validation.path("message").asText()).matches("^EgressPolicy rule [\\w.]+: spec[.][\\w.]+ .+");
      assertThat(validation.path("messageExpression").asText())
          .contains("'EgressPolicy ' + params.metadata.name + ', rule ")
          .contains("allowed: ");
    }
  }

  private static List<String> admissionKinds(List<JsonNode> manifests) {
    return manifests.stream().filter(m -> m.path("apiVersion").asText().startsWith("admissionregistration.k8s.io/"))
        .map(m -> m.path("kind").asText()).toList();
  }

  private static JsonNode renderBinding(Map<String, Object> admissionPolicyValues) {
    Map<String, Object> values = new HashMap<>(admissionPolicyValues);
    values.put("enabled", true);
    return HelmChart.only(HelmChart.render(Map.of("admissionPolicy", values)), "ValidatingAdmissionPolicyBinding");
  }
}
