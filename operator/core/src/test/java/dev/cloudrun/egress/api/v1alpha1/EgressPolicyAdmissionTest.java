package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.egress.testing.AdmissionPolicyEvaluator;
import dev.cloudrun.egress.testing.AdmissionPolicyEvaluator.Decision;
import dev.cloudrun.egress.testing.AdmissionPolicyEvaluator.Request;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.HelmChart;
import dev.cloudrun.egress.testing.Manifests;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CloudRunEgressJobs admitted through the admission policy the chart renders, its CEL evaluated
 * with cel-java, against the example EgressPolicies: the corpus in src/test/resources/admission-corpus
 * says which jobs each policy admits and with which messages it refuses the others.
 */
class EgressPolicyAdmissionTest {

  private static final AdmissionPolicyEvaluator POLICY =
      HelmChart.admissionPolicy(Map.of("validationActions", List.of("Deny")));
  private static final Pattern RULE = Pattern.compile("^EgressPolicy rule ([\\w.]+): ");
  /** A setting variable's expression ends by reading the setting's path from the chosen layer. */
  private static final Pattern SETTING = Pattern.compile("\\[0]\\.([\\w.]+)] : \\[]$");

  record Case(String name, JsonNode policy, JsonNode old, JsonNode job, List<String> denied,
      boolean skipped) {
    @Override
    public String toString() {
      return name;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void admitsOrRefusesWithTheExpectedMessages(Case c) {
    Decision decision = admit(c);
    assertThat(decision.applied()).as("policy applies").isEqualTo(!c.skipped());
    assertThat(decision.violations()).containsExactlyElementsOf(c.denied());
    assertThat(decision.denied()).isEqualTo(!c.denied().isEmpty());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void jobsAndPoliciesPassTheirCrds(Case c) {
    List<String> jobErrors = c.old() == null
        ? Crds.cloudRunEgressJobValidator().validateCreate(c.job())
        : Crds.cloudRunEgressJobValidator().validateUpdate(c.old(), c.job());
    assertThat(jobErrors).isEmpty();
    if (c.policy() != null) {
      assertThat(Crds.egressPolicyValidator().validateCreate(c.policy())).isEmpty();
    }
  }

  @Test
  void corpusShowsEveryRuleAllowingAndDenying() throws IOException {
    List<Case> cases = load();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(30);
    Map<String, String> variableOfSetting = settingVariables();
    List<String> rules = new ArrayList<>();
    for (JsonNode validation : POLICY.policy().at("/spec/validations")) {
      Matcher rule = RULE.matcher(validation.path("message").asText());
      assertThat(rule.find()).as("static message names its rule: %s", validation.path("message")).isTrue();
      rules.add(rule.group(1));
    }
    assertThat(rules).hasSize(22).containsAll(variableOfSetting.keySet());

    for (String rule : rules) {
      String variable = variableOfSetting.get(rule);
      boolean denies = false;
      boolean allows = false;
      for (Case c : cases) {
        Decision decision = admit(c);
        boolean broken = decision.violations().stream().anyMatch(v -> v.contains(", rule " + rule + " ("));
        denies |= broken;
        allows |= !broken && decision.variables().get(variable) instanceof List<?> setting && !setting.isEmpty();
      }
      assertThat(denies).as("a case denied by %s", rule).isTrue();
      assertThat(allows).as("a case allowed while %s is set", rule).isTrue();
    }
  }

  @Test
  void messagesListEveryAllowedValueUpToTheSchemaLimit() {
    assertThat(Crds.egressPolicy().at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/defaults/properties/allowedRegions/maxItems").asInt())
        .isEqualTo(EgressRules.MAX_VALUES);
    List<String> regions = IntStream.rangeClosed(1, EgressRules.MAX_VALUES).mapToObj(i -> "europe-west" + i).toList();
    ObjectNode policy = (ObjectNode) Manifests.example("policies/03-regulated-workloads");
    ((ObjectNode) policy.at("/spec/defaults")).set("allowedRegions", Manifests.YAML.valueToTree(regions));
    assertThat(Crds.egressPolicyValidator().validateCreate(policy)).isEmpty();

    Decision decision = POLICY.admit(request(Manifests.example("03-direct-vpc-egress"), null, policy));

    assertThat(decision.violations()).contains(
        "EgressPolicy regulated, rule allowedRegions (namespace reporting): spec.region us-central1 is not allowed; allowed: "
            + String.join(", ", regions));
  }

  @Test
  void warnAndAuditReportWithoutDenying() throws IOException {
    AdmissionPolicyEvaluator warnOnly =
        HelmChart.admissionPolicy(Map.of("validationActions", List.of("Warn", "Audit")));
    Case refused = load().stream().filter(c -> c.denied().size() > 1).findFirst().orElseThrow();
    Decision decision = warnOnly.admit(request(refused));
    assertThat(decision.denied()).isFalse();
    assertThat(decision.warnings()).containsExactlyElementsOf(refused.denied());
  }

  @Test
  void missingPolicyIsAllowedWhenTheBindingSaysSo() throws IOException {
    AdmissionPolicyEvaluator lenient = HelmChart.admissionPolicy(Map.of(
        "validationActions", List.of("Deny"), "parameterNotFoundAction", "Allow"));
    Decision decision = lenient.admit(request(Manifests.example("03-direct-vpc-egress"), null, null));
    assertThat(decision.denied()).isFalse();
    assertThat(decision.violations()).isEmpty();
  }

  @Test
  void aMissingPolicyIsAConfigurationErrorThatFailurePolicyAloneDecides() {
    JsonNode job = Manifests.example("03-direct-vpc-egress");
    Decision auditFail = HelmChart.admissionPolicy(Map.of("validationActions", List.of("Audit"),
        "parameterNotFoundAction", "Deny", "failurePolicy", "Fail")).admit(request(job, null, null));
    assertThat(auditFail.denied()).as("refused under [Audit]: the API server does not audit configuration errors").isTrue();
    assertThat(auditFail.refusal()).isEqualTo(AdmissionPolicyEvaluator.NO_PARAMS);
    assertThat(auditFail.warnings()).isEmpty();

    Decision warnFail = HelmChart.admissionPolicy(Map.of("validationActions", List.of("Warn"),
        "parameterNotFoundAction", "Deny", "failurePolicy", "Fail")).admit(request(job, null, null));
    assertThat(warnFail.denied()).isTrue();
    assertThat(warnFail.warnings()).isEmpty();

    Decision denyIgnore = HelmChart.admissionPolicy(Map.of("validationActions", List.of("Deny"),
        "parameterNotFoundAction", "Deny", "failurePolicy", "Ignore")).admit(request(job, null, null));
    assertThat(denyIgnore.denied()).isFalse();
    assertThat(denyIgnore.violations()).isEmpty();

    Decision chartDefaults = HelmChart.admissionPolicy(Map.of()).admit(request(job, null, null));
    assertThat(chartDefaults.denied()).as("[Audit] by default: a missing EgressPolicy refuses nothing").isFalse();
  }

  static Stream<Arguments> messageExpressionResults() {
    String limit = "x".repeat(AdmissionPolicyEvaluator.MAX_MESSAGE_BYTES);
    String twoByteLimit = "\u00e9".repeat(AdmissionPolicyEvaluator.MAX_MESSAGE_BYTES / 2);
    return Stream.of(
        Arguments.of(limit, limit),
        Arguments.of(limit + "x", "static text"),
        Arguments.of(twoByteLimit, twoByteLimit),
        Arguments.of(twoByteLimit + "\u00e9", "static text"),
        Arguments.of(" \t" + limit + "  ", limit),
        Arguments.of("two\nlines", "static text"),
        Arguments.of("one line\n", "one line"),
        Arguments.of("   ", "static text"),
        Arguments.of(null, "static text"));
  }

  /** The API server's rules (validating/validator.go): trimmed, at most 5 KiB in UTF-8, no line break, else the static message. */
  @ParameterizedTest
  @MethodSource("messageExpressionResults")
  void messageExpressionsFallBackToTheStaticMessageAsTheApiServerDoes(String result, String expected) {
    JsonNode policy = Manifests.YAML.valueToTree(Map.of("spec", Map.of(
        "matchConstraints", POLICY.policy().at("/spec/matchConstraints"),
        "validations", List.of(Map.of("expression", "false", "message", " static text ",
            "messageExpression", "string(object.metadata.annotations['message'])")))));
    JsonNode binding = Manifests.YAML.valueToTree(Map.of("spec", Map.of("validationActions", List.of("Deny"))));
    ObjectNode job = (ObjectNode) Manifests.example("05-existing-connector");
    if (result != null) {
      ((ObjectNode) job.get("metadata")).putObject("annotations").put("message", result);
    }

    Decision decision = new AdmissionPolicyEvaluator(policy, binding)
        .admit(new Request("CREATE", "cloudrunegressjobs", job, null, null, Map.of()));

    assertThat(decision.refusal()).isEqualTo(expected);
  }

  @Test
  void namespaceSelectorLimitsWhichJobsAreChecked() {
    AdmissionPolicyEvaluator selective = HelmChart.admissionPolicy(Map.of(
        "validationActions", List.of("Deny"),
        "namespaceSelector", Map.of("matchLabels", Map.of("egress.cloudrun.dev/policed", "true"))));
    JsonNode job = Manifests.example("03-direct-vpc-egress");
    JsonNode policy = Manifests.example("policies/01-shared-network");
    JsonNode prepared = Crds.cloudRunEgressJobValidator().prepare(job);

    Decision unlabelled = selective.admit(new Request("CREATE", "cloudrunegressjobs", prepared, null, policy, Map.of()));
    Decision labelled = selective.admit(new Request("CREATE", "cloudrunegressjobs", prepared, null, policy,
        Map.of("egress.cloudrun.dev/policed", "true")));

    assertThat(unlabelled.applied()).isFalse();
    assertThat(labelled.denied()).isTrue();
  }

  private static Decision admit(Case c) {
    return POLICY.admit(request(c));
  }

  private static Request request(Case c) {
    return request(c.job(), c.old(), c.policy());
  }

  /** What the API server hands the policy: objects with their CRD's defaults applied. */
  private static Request request(JsonNode job, JsonNode old, JsonNode policy) {
    return new Request(old == null ? "CREATE" : "UPDATE", "cloudrunegressjobs",
        Crds.cloudRunEgressJobValidator().prepare(job),
        old == null ? null : Crds.cloudRunEgressJobValidator().prepare(old),
        policy == null ? null : Crds.egressPolicyValidator().prepare(policy),
        Map.of());
  }

  /** Rule name (the setting's path in EgressRules) to the policy variable resolving it. */
  private static Map<String, String> settingVariables() {
    Map<String, String> variables = new LinkedHashMap<>();
    for (JsonNode variable : POLICY.policy().at("/spec/variables")) {
      Matcher setting = SETTING.matcher(variable.path("expression").asText());
      if (setting.find()) {
        variables.put(setting.group(1), variable.path("name").asText());
      }
    }
    return variables;
  }

  static List<Case> cases() throws IOException {
    return load();
  }

  private static List<Case> load() throws IOException {
    List<Case> cases = new ArrayList<>();
    try (InputStream in = EgressPolicyAdmissionTest.class.getResourceAsStream("/admission-corpus/cases.yaml")) {
      for (JsonNode c : Manifests.readAll(in).get(0)) {
        JsonNode base = Manifests.example(c.path("job").asText());
        String policyName = c.path("policy").asText();
        JsonNode policy = policyName.equals("none") ? null : patched(Manifests.example(policyName), c.get("policyPatch"));
        List<String> denied = new ArrayList<>();
        c.path("denied").forEach(message -> denied.add(message.asText()));
        cases.add(new Case(
            c.path("name").asText(),
            policy,
            c.has("old") ? Manifests.mergePatch(base, c.get("old")) : null,
            patched(base, c.get("patch")),
            denied,
            c.path("skipped").asBoolean(false)));
      }
    }
    return cases;
  }

  private static JsonNode patched(JsonNode base, JsonNode patch) {
    return patch == null ? base : Manifests.mergePatch(base, patch);
  }
}
