package dev.cloudrun.egress.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.egress.testing.AdmissionPolicyEvaluator;
import dev.cloudrun.egress.testing.AdmissionPolicyEvaluator.Decision;
import dev.cloudrun.egress.testing.AdmissionPolicyEvaluator.Request;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.HelmChart;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.RealApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart's admission policy judged by the real ValidatingAdmissionPolicy plugin of a real API
 * server ({@link RealApiServer#withAdmissionPolicies()}), against the fast tier's judge
 * ({@link AdmissionPolicyEvaluator}, cel-java):
 *
 * <ul>
 *   <li>the whole admission corpus, once under validationActions [Deny] (the server answers with the
 *       first failed validation) and once under [Warn] (it warns with every one); the plugin, the
 *       fast evaluator and the corpus must agree on every case;
 *   <li>the chart's defaults and each rollout step of docs/admission-policy.md, with and without the EgressPolicy
 *       {@code default}, for a violating and a conforming job and for a label change;
 *   <li>every validation's message at the CRD's limits (longest names, fullest lists): the plugin
 *       keeps a messageExpression's text only up to 5 KiB and without line breaks, and the policy's
 *       messages must stay within that, never falling back to the static text;
 *   <li>those fallback rules themselves, on a small policy of the test's own.
 * </ul>
 *
 * <p>Policies take effect asynchronously (files read every second, the plugin recompiles every
 * second, params come through an informer). Rather than sleeping, the test waits until a probe of
 * its own proves the state: besides the chart's policy, {@code zz-test-helpers.yaml} holds a policy
 * on Lease creations in a probe namespace, renamed (a round number) after every change of the
 * chart's file, whose message prints an EgressPolicy ({@code test-sync}) that is updated (a nonce)
 * after every change of the cases' EgressPolicies. Informers deliver in order, so once a Lease is
 * refused with the current round and nonce, everything written before is in force.
 */
class AdmissionPolicyOnRealApiServerIT {
  private static final RealApiServer SERVER = RealApiServer.withAdmissionPolicies();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API_VERSION = "egress.cloudrun.dev/v1alpha1";
  private static final String CHART_FILE = "chart-admission-policy.yaml";
  private static final String HELPERS_FILE = "zz-test-helpers.yaml";
  private static final String POLICY = HelmChart.RELEASE + "-egress-policy";
  /** What the API server puts before a refusing policy's message, and before each warning. */
  private static final String REFUSAL = "ValidatingAdmissionPolicy '" + POLICY + "' with binding '" + POLICY + "' denied request: ";
  private static final String WARNING = "Validation failed for ValidatingAdmissionPolicy '" + POLICY + "' with binding '" + POLICY + "': ";
  private static final String SYNC_NAMESPACE = "test-sync";
  private static final String FALLBACK_NAMESPACE = "test-fallback";
  private static final String PROBE_LABEL = "egress.cloudrun.dev/test-probe";
  private static final String SYNC_POLICY = "test-sync";
  private static final String FALLBACK_POLICY = "test-message-fallback";
  private static final String PREFIX = "crej-vap-it-";

  private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();
  private static final List<String> SUMMARY = new CopyOnWriteArrayList<>();
  private static final Map<String, int[]> TALLY = new LinkedHashMap<>();

  private static KubernetesClient client;
  /** The chart documents in force (as written), null when none. */
  private static String chartInForce;
  private static int round;
  private static int nonce;
  /** The EgressPolicies of the cases, by name, as created (test-sync aside). */
  private static final Map<String, JsonNode> EGRESS_POLICIES = new LinkedHashMap<>();
  private static int requests;

  // ---------------------------------------------------------------- setup

  @BeforeAll
  static void start() throws IOException {
    client = new KubernetesClientBuilder().withConfig(SERVER.config())
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("warnings", new Interceptor() {
          @Override
          public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
            response.headers("Warning").forEach(h -> WARNINGS.add(warningText(h)));
          }
        }))
        .build();
    SERVER.installCrds(client);
    TreeSet<String> namespaces = new TreeSet<>();
    corpus().forEach(c -> namespaces.add(c.job().at("/metadata/namespace").asText()));
    namespaces.addAll(List.of("reporting", "support-bots", WorstCase.NAMESPACE));
    RealApiServer.ensureNamespaces(client, namespaces);
    for (String probe : List.of(SYNC_NAMESPACE, FALLBACK_NAMESPACE)) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(probe)
          .addToLabels(PROBE_LABEL, probe).endMetadata().build()).serverSideApply();
    }
    // From a clean directory: no chart policy, only the helpers (written twice, so that the
    // fallback policy is in force too once the second round is, see newRound).
    Files.deleteIfExists(SERVER.admissionPolicyDir().resolve(CHART_FILE));
    bumpNonce();
    newRound();
    newRound();
    // The stored jobs the UPDATE cases change: created while no chart policy would refuse them.
    for (Case c : corpus()) {
      if (c.old() != null) {
        store(c.storedName(), c.old());
      }
    }
    store(ROLLOUT_STORED, ROLLOUT_VIOLATING);
  }

  @AfterAll
  static void summarizeAndClean() throws IOException {
    System.out.println("AdmissionPolicyOnRealApiServerIT: " + requests + " requests judged by the real ValidatingAdmissionPolicy plugin");
    TALLY.forEach((what, n) -> System.out.printf("  %-55s %3d judged, %3d agree with the fast tier%s, %3d disagree%n",
        what, n[0], n[1], what.startsWith("corpus") ? " and the corpus" : "", n[0] - n[1]));
    SUMMARY.forEach(line -> System.out.println("  " + line));
    // Leave the server as found: no chart policy, no stored jobs (finalizers removed once no policy
    // can refuse it), no helpers, no EgressPolicies.
    try {
      Files.deleteIfExists(SERVER.admissionPolicyDir().resolve(CHART_FILE));
      chartInForce = null;
      awaitLoaded();
      newRound();
      var jobs = client.genericKubernetesResources(API_VERSION, "CloudRunEgressJob").inAnyNamespace();
      for (GenericKubernetesResource job : jobs.list().getItems()) {
        if (job.getMetadata().getName().startsWith(PREFIX)) {
          var stored = client.genericKubernetesResources(API_VERSION, "CloudRunEgressJob")
              .inNamespace(job.getMetadata().getNamespace()).withName(job.getMetadata().getName());
          if (!job.getMetadata().getFinalizers().isEmpty()) {
            stored.edit(j -> {
              j.getMetadata().setFinalizers(List.of());
              return j;
            });
          }
          stored.delete();
        }
      }
      Files.deleteIfExists(SERVER.admissionPolicyDir().resolve(HELPERS_FILE));
      client.genericKubernetesResources(API_VERSION, "EgressPolicy").delete();
    } finally {
      client.close();
    }
  }

  private static synchronized void tally(String what, boolean agrees) {
    int[] n = TALLY.computeIfAbsent(what, k -> new int[2]);
    n[0]++;
    if (agrees) {
      n[1]++;
    }
  }

  // ---------------------------------------------------------------- 1. the corpus

  record Case(int index, String name, JsonNode policy, JsonNode old, JsonNode job, List<String> denied) {
    @Override
    public String toString() {
      return name;
    }

    /** The EgressPolicy the binding names: the case's, or the chart's default when there is none. */
    String paramName() {
      return policy == null ? "default" : policy.at("/metadata/name").asText();
    }

    String storedName() {
      return PREFIX + "update-" + index;
    }
  }

  static List<Case> corpus() throws IOException {
    List<Case> cases = new ArrayList<>();
    try (InputStream in = AdmissionPolicyOnRealApiServerIT.class.getResourceAsStream("/admission-corpus/cases.yaml")) {
      for (JsonNode c : Manifests.readAll(in).get(0)) {
        JsonNode base = Manifests.example(c.path("job").asText());
        String policyName = c.path("policy").asText();
        JsonNode policy = policyName.equals("none") ? null : patched(Manifests.example(policyName), c.get("policyPatch"));
        cases.add(new Case(cases.size(), c.path("name").asText(), policy,
            c.has("old") ? Manifests.mergePatch(base, c.get("old")) : null, patched(base, c.get("patch")),
            Manifests.texts(c.path("denied"))));
      }
    }
    return cases;
  }

  private static JsonNode patched(JsonNode base, JsonNode patch) {
    return patch == null ? base : Manifests.mergePatch(base, patch);
  }

  /** Every case under [Deny] then under [Warn], grouped by the EgressPolicy the binding must name. */
  static Stream<Arguments> corpusCases() throws IOException {
    List<Case> cases = corpus();
    List<String> names = cases.stream().map(Case::paramName).distinct().toList();
    List<Arguments> arguments = new ArrayList<>();
    for (String actions : List.of("Deny", "Warn")) {
      for (String name : names) {
        cases.stream().filter(c -> c.paramName().equals(name)).forEach(c -> arguments.add(Arguments.of(actions, c)));
      }
    }
    return arguments.stream();
  }

  @ParameterizedTest(name = "[{0}] {1}")
  @MethodSource("corpusCases")
  void theRealPluginJudgesTheCorpusAsTheFastTierAndTheCorpusDo(String action, Case c) {
    AdmissionPolicyEvaluator fast = inForce(Map.of("validationActions", List.of(action), "paramRef", Map.of("name", c.paramName())));
    egressPolicies(c.policy() == null ? List.of() : List.of(c.policy()));

    Outcome real = c.old() == null ? create(c.job()) : update(c.storedName(), c.job());
    Decision expected = fast.admit(request(c.job(), c.old(), c.policy(), Map.of()));
    Outcome predicted = Outcome.of(expected);
    // What the corpus says: under Deny the first message refuses; under Warn each warns, unless the
    // binding admits a job without an EgressPolicy (parameterNotFoundAction Allow, as the chart sets it without Deny).
    Outcome corpus = action.equals("Deny")
        ? new Outcome(c.denied().isEmpty() ? null : REFUSAL + c.denied().get(0), List.of())
        : new Outcome(null, c.policy() == null ? List.of() : c.denied().stream().map(m -> WARNING + m).toList());

    tally("corpus under [" + action + "]", real.equals(predicted) && real.equals(corpus));
    assertThat(real).as("the real plugin against the fast evaluator").isEqualTo(predicted);
    assertThat(real).as("the real plugin against the corpus").isEqualTo(corpus);
  }

  // ---------------------------------------------------------------- 2. the rollout steps

  private static final JsonNode ROLLOUT_POLICY = Manifests.example("policies/01-shared-network");
  /** Breaks four rules of 01-shared-network (the corpus' "an application namespace breaks several rules at once"). */
  private static final JsonNode ROLLOUT_VIOLATING = Manifests.example("03-direct-vpc-egress");
  private static final JsonNode ROLLOUT_CONFORMING = Manifests.example("05-existing-connector");
  private static final String ROLLOUT_STORED = PREFIX + "rollout-violating";
  private static final List<String> ROLLOUT_VIOLATIONS = List.of(
      "EgressPolicy default, rule allowedRegions (namespace reporting): spec.region us-central1 is not allowed; allowed: europe-west2",
      "EgressPolicy default, rule requireStaticEgressIP (namespace reporting): spec.egress.nat.ipAllocation is not Static, so public traffic has no static egress IP; allowed: vpcEgress AllTraffic with a nat that has ipAllocation Static or is existing",
      "EgressPolicy default, rule nats.allowCreate (namespace reporting): spec.egress.nat egress-router-us-central1/jobs-nat (router/name) would be created by the operator (existing: false); allowed: existing: true with one of shared-vpc-router-euw2/shared-vpc-nat",
      "EgressPolicy default, rule job.allowedImageRegistries (namespace reporting): spec.job.image us-central1-docker.pkg.dev/myproject/containers/nightly-report@sha256:4f1c2d3e4b5a69788766554433221100ffeeddccbbaa99887766554433221100 is not from an allowed registry; allowed: images starting with europe-west2-docker.pkg.dev/myproject/, europe-west2-docker.pkg.dev/support-prod/");

  enum Job { VIOLATING, CONFORMING, LABEL_CHANGE_ON_VIOLATING }

  static Stream<Arguments> rolloutSteps() {
    List<Arguments> arguments = new ArrayList<>();
    for (String step : List.of("chart defaults", "[Audit]", "[Warn, Audit]", "[Deny, Audit]")) {
      for (boolean withPolicy : List.of(true, false)) {
        for (Job job : Job.values()) {
          arguments.add(Arguments.of(step, withPolicy ? "EgressPolicy default" : "no EgressPolicy", job));
        }
      }
    }
    return arguments.stream();
  }

  @ParameterizedTest(name = "{0}, {1}: {2}")
  @MethodSource("rolloutSteps")
  void eachRolloutStepRefusesWhatTheReadmeSays(String step, String params, Job job) {
    List<String> actions = switch (step) {
      case "[Audit]" -> List.of("Audit");
      case "[Warn, Audit]" -> List.of("Warn", "Audit");
      case "[Deny, Audit]" -> List.of("Deny", "Audit");
      default -> null;
    };
    AdmissionPolicyEvaluator fast = inForce(actions == null ? Map.of() : Map.of("validationActions", actions));
    boolean withPolicy = params.startsWith("EgressPolicy");
    egressPolicies(withPolicy ? List.of(ROLLOUT_POLICY) : List.of());

    JsonNode labelled = Manifests.mergePatch(ROLLOUT_VIOLATING, Manifests.YAML.valueToTree(Map.of("metadata", Map.of("labels", Map.of("team", "reporting")))));
    Outcome real = switch (job) {
      case VIOLATING -> create(ROLLOUT_VIOLATING);
      case CONFORMING -> create(ROLLOUT_CONFORMING);
      case LABEL_CHANGE_ON_VIOLATING -> update(ROLLOUT_STORED, labelled);
    };
    Decision decision = fast.admit(switch (job) {
      case VIOLATING -> request(ROLLOUT_VIOLATING, null, withPolicy ? ROLLOUT_POLICY : null, Map.of());
      case CONFORMING -> request(ROLLOUT_CONFORMING, null, withPolicy ? ROLLOUT_POLICY : null, Map.of());
      case LABEL_CHANGE_ON_VIOLATING -> request(labelled, ROLLOUT_VIOLATING, withPolicy ? ROLLOUT_POLICY : null, Map.of());
    });

    // What docs/admission-policy.md promises for the step.
    boolean deny = actions != null && actions.contains("Deny");
    boolean warn = actions != null && actions.contains("Warn");
    Outcome promised;
    if (deny && !withPolicy) {
      // Every job, and every change of one: the missing param is refused before matchConditions.
      promised = new Outcome(REFUSAL + AdmissionPolicyEvaluator.NO_PARAMS, List.of());
    } else if (job != Job.VIOLATING || !withPolicy) {
      promised = new Outcome(null, List.of());
    } else if (deny) {
      promised = new Outcome(REFUSAL + ROLLOUT_VIOLATIONS.get(0), List.of());
    } else if (warn) {
      promised = new Outcome(null, ROLLOUT_VIOLATIONS.stream().map(m -> WARNING + m).toList());
    } else {
      promised = new Outcome(null, List.of());
    }
    tally("rollout steps", real.equals(Outcome.of(decision)) && real.equals(promised));
    assertThat(real).as("the real plugin against the fast evaluator").isEqualTo(Outcome.of(decision));
    assertThat(real).as("the real plugin against docs/admission-policy.md").isEqualTo(promised);
  }

  static Stream<String> enforcingSteps() {
    return Stream.of("Warn", "Deny");
  }

  /** What an application team sees: kubectl's own output for the violating job, under [Warn, Audit] and [Deny, Audit]. */
  @ParameterizedTest(name = "[{0}, Audit]")
  @MethodSource("enforcingSteps")
  void kubectlShowsEveryWarningOrTheFirstRefusal(String action) throws IOException {
    inForce(Map.of("validationActions", List.of(action, "Audit")));
    egressPolicies(List.of(ROLLOUT_POLICY));
    Path file = Files.createTempFile("violating", ".yaml");
    try {
      Manifests.YAML.writeValue(file.toFile(), resource(ROLLOUT_VIOLATING, PREFIX + "kubectl-" + (++requests)));
      RealApiServer.Result kubectl = SERVER.kubectl("create", "--dry-run=server", "--validate=strict", "-f", file.toString());
      List<String> lines = kubectl.err().lines().toList();
      if (action.equals("Warn")) {
        assertThat(kubectl.exitCode()).as(kubectl.err()).isZero();
        assertThat(lines).containsExactlyElementsOf(ROLLOUT_VIOLATIONS.stream().map(m -> "Warning: " + WARNING + m).toList());
      } else {
        assertThat(kubectl.exitCode()).isNotZero();
        assertThat(lines).singleElement().asString().endsWith(": " + REFUSAL + ROLLOUT_VIOLATIONS.get(0));
      }
      SUMMARY.add("kubectl under [" + action + ", Audit]: " + lines.get(0));
    } finally {
      Files.delete(file);
    }
  }

  // ---------------------------------------------------------------- 3. messages at the limits

  static Stream<String> rules() {
    return WorstCase.SCENARIOS.keySet().stream();
  }

  /** A rule without a worst case would go unmeasured: its message could outgrow 5 KiB unnoticed. */
  @Test
  void everyRuleHasAWorstCase() {
    List<String> rules = new ArrayList<>();
    for (JsonNode validation : HelmChart.admissionPolicy(Map.of()).policy().at("/spec/validations")) {
      String message = validation.path("message").asText();
      rules.add(message.substring("EgressPolicy rule ".length(), message.indexOf(':')));
    }
    assertThat(WorstCase.SCENARIOS.keySet()).containsExactlyInAnyOrderElementsOf(rules);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void everyMessageKeepsItsExpressionTextAtTheCrdLimits(String rule) {
    WorstCase.Scenario scenario = WorstCase.SCENARIOS.get(rule);
    AdmissionPolicyEvaluator fast = inForce(Map.of("validationActions", List.of("Deny"), "paramRef", Map.of("name", WorstCase.POLICY_NAME)));
    JsonNode policy = scenario.policy();
    JsonNode job = scenario.job();
    egressPolicies(List.of(policy));

    Outcome real = create(job);
    Decision decision = fast.admit(request(job, null, policy, Map.of()));
    String staticMessage = staticMessage(fast, rule);

    assertThat(decision.violations()).as("the fast evaluator: only %s fails", rule).hasSize(1);
    String message = decision.violations().get(0);
    int bytes = message.getBytes(StandardCharsets.UTF_8).length;
    SUMMARY.add(message.equals(staticMessage)
        ? String.format("longest message of rule %-33s FALLS BACK to the static message", rule)
        : String.format("longest message of rule %-33s %4d bytes (the API server keeps up to %d)", rule, bytes,
            AdmissionPolicyEvaluator.MAX_MESSAGE_BYTES));
    tally("messages at the CRD limits", real.equals(Outcome.of(decision)) && !message.equals(staticMessage));
    assertThat(real).as("the real plugin against the fast evaluator").isEqualTo(Outcome.of(decision));
    assertThat(message).as("the messageExpression's text, not the static fallback")
        .isNotEqualTo(staticMessage).startsWith("EgressPolicy " + WorstCase.POLICY_NAME + ", rule " + rule + " (namespace " + WorstCase.NAMESPACE + "): ");
    assertThat(bytes).isLessThanOrEqualTo(AdmissionPolicyEvaluator.MAX_MESSAGE_BYTES);
  }

  private static String staticMessage(AdmissionPolicyEvaluator fast, String rule) {
    for (JsonNode validation : fast.policy().at("/spec/validations")) {
      if (validation.path("message").asText().startsWith("EgressPolicy rule " + rule + ":")) {
        return validation.path("message").asText();
      }
    }
    throw new AssertionError("no validation for rule " + rule);
  }

  /**
   * The longest values the CRDs admit: every EgressPolicy list at its maxItems of maxLength strings
   * (read from crds/, each item valid for the list's pattern), the longest EgressPolicy name and
   * namespace, and a job whose printed fields are as long as its CRD and its cross-field rules let
   * them be. One scenario per validation: an EgressPolicy that sets only what the rule reads, and a
   * job breaking only that rule.
   */
  static final class WorstCase {
    /** 63 characters, the longest namespace name (a constant: naming it does not build the worst cases). */
    static final String NAMESPACE = "nsssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssx";
    /** 253 characters, four DNS labels: the longest name of a cluster-scoped object. */
    static final String POLICY_NAME = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
    private static final JsonNode SPEC = Manifests.readOne(Manifests.projectRoot().resolve("crds/" + Crds.EGRESS_POLICY_FILE))
        .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
    private static final JsonNode SCHEMA = SPEC.at("/properties/defaults");
    private static final JsonNode JOB_SCHEMA = Manifests.readOne(Manifests.projectRoot().resolve("crds/" + Crds.CLOUD_RUN_EGRESS_JOB_FILE))
        .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");

    record Scenario(JsonNode policy, JsonNode job) {}

    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    // The job's region leaves room for the longest connector path (whose region must be the job's).
    private static final String REGION = region(9, jobMax("egress/properties/connector/properties/name") - 87);
    /** The network pattern admits at most projects/ + 30 + /global/networks/ + 63 characters, whatever the maxLength. */
    private static final int NETWORK = Math.min(jobMax("egress/properties/network"), 9 + 30 + 17 + 63);
    private static final String CONNECTOR = connectorPath(900, REGION);

    static {
      // Override entries hold the same settings with the same bounds: the defaults' worst cases are theirs.
      ObjectNode entry = SPEC.at("/properties/namespaces/items/properties").deepCopy();
      entry.remove("names");
      if (!entry.equals(SCHEMA.path("properties"))) {
        throw new AssertionError("spec.namespaces[] settings are bounded unlike spec.defaults");
      }
      put("allowedProjects", settings("allowedProjects", list("allowedProjects", WorstCase::project)),
          Map.of("spec", Map.of("project", project(999, jobMax("project")))));
      // The longest region the job may have: then its connector and CMEK key carry it too.
      String longRegion = region(999, jobMax("region"));
      Map<String, Object> longRegionJob = Map.of("spec", Map.of("region", longRegion,
          "job", Map.of("encryptionKey", kmsKey(longRegion)),
          "egress", Map.of("connector", Map.of("name", connectorId(999, 25)))));
      put("allowedRegions", settings("allowedRegions", list("allowedRegions", WorstCase::region)), longRegionJob);
      put("allowedNetworks", settings("allowedNetworks", list("allowedNetworks", WorstCase::network)), Map.of());
      put("requiredVpcEgress", settings("requiredVpcEgress", "AllTraffic"),
          Map.of("spec", Map.of("egress", Map.of("vpcEgress", "PrivateRangesOnly"))));
      put("requireStaticEgressIP", settings("requireStaticEgressIP", true), Map.of("spec", Map.of("egress", Map.of(
          "nat", Map.of("existing", false, "ipAllocation", "Auto")))));
      put("connectors.allowedExisting", settings("connectors", Map.of("allowedExisting", list("connectors/properties/allowedExisting", WorstCase::connector))), Map.of());
      // The worst-case connector is in another project than its network, so a created one needs a subnet (the CRD refuses a range).
      put("connectors.allowCreate", settings("connectors", Map.of("allowCreate", false,
          "allowedExisting", list("connectors/properties/allowedExisting", WorstCase::connector))), Map.of("spec", Map.of("egress", Map.of(
          "connector", Map.of("existing", false, "subnet", Map.of("name", "connector-subnet"))))));
      put("connectors.maxInstances", settings("connectors", Map.of("maxInstances", 3)), Map.of("spec", Map.of("egress", Map.of(
          "connector", Map.of("existing", false, "subnet", Map.of("name", "connector-subnet"))))));
      put("connectors.allowedMachineTypes", settings("connectors", Map.of("allowedMachineTypes",
          list("connectors/properties/allowedMachineTypes", (i, length) -> "e2-standard-4"))), Map.of("spec", Map.of("egress", Map.of(
          "connector", Map.of("existing", false, "subnet", Map.of("name", "connector-subnet"), "machineType", "f1-micro")))));
      put("nats.allowedExisting", settings("nats", Map.of("allowedExisting", list("nats/properties/allowedExisting", WorstCase::natRef))), Map.of());
      put("nats.allowCreate", settings("nats", Map.of("allowCreate", false,
          "allowedExisting", list("nats/properties/allowedExisting", WorstCase::natRef))), Map.of("spec", Map.of("egress", Map.of(
          "nat", Map.of("existing", false, "ipAllocation", "Auto")))));
      put("job.allowedImageRegistries", settings("job", Map.of("allowedImageRegistries",
          list("job/properties/allowedImageRegistries", WorstCase::imagePrefix))), Map.of());
      put("job.encryptionKeyPattern", settings("job", Map.of("encryptionKeyPattern",
          widePattern(SCHEMA.at("/properties/job/properties/encryptionKeyPattern/maxLength").asInt()))), longRegionJob);
      put("job.serviceAccountPattern", settings("job", Map.of("serviceAccountPattern",
          widePattern(SCHEMA.at("/properties/job/properties/serviceAccountPattern/maxLength").asInt()))), Map.of());
      put("firewall.requireLeastPrivilege", settings("firewall", Map.of("requireLeastPrivilege", true)),
          Map.of("spec", Map.of("egress", Map.of("firewall", Map.of("leastPrivilege", false)))));
      put("firewall.allowedDestinationRanges", settings("firewall", Map.of("allowedDestinationRanges",
          list("firewall/properties/allowedDestinationRanges", (i, length) -> cidr(i, length)))), Map.of());
      put("firewall.allowedPorts", settings("firewall", Map.of("allowedPorts",
          list("firewall/properties/allowedPorts", (i, length) -> portRange(i, length)))), Map.of());
      put("requireDiagnosis", settings("requireDiagnosis", true), Map.of());
      // A schedule with a cron and an invoker as long as the CRD lets them be (neither counts against the other rules).
      String cron = cron(jobMax("execution/properties/schedule/properties/cron"));
      String invoker = serviceAccount(jobMax("execution/properties/schedule/properties/serviceAccount"));
      Map<String, Object> schedule = Map.of("cron", cron, "timeZone", "Europe/London", "serviceAccount", invoker);
      Map<String, Object> scheduled = Map.of("spec", Map.of("execution", Map.of("schedule", schedule)));
      put("runs.allowSchedules", settings("runs", Map.of("allowSchedules", false)), scheduled);
      put("runs.allowedInvokers", settings("runs", Map.of("allowedInvokers", list("runs/properties/allowedInvokers", WorstCase::invoker))), scheduled);
      put("runs.minimumScheduleInterval", settings("runs", Map.of("minimumScheduleInterval", "Daily")), scheduled);
      Map<String, Object> overridden = new LinkedHashMap<>(schedule);
      overridden.put("overrides", Map.of("taskCount", 1));
      put("runs.allowOverrides", settings("runs", Map.of("allowOverrides", false)), Map.of("spec", Map.of("execution", Map.of(
          "overrides", Map.of("taskCount", 2), "schedule", overridden))));
    }

    private static void put(String rule, Map<String, Object> settings, Map<String, Object> jobPatch) {
      ObjectNode policy = Manifests.YAML.createObjectNode();
      policy.put("apiVersion", API_VERSION).put("kind", "EgressPolicy").putObject("metadata").put("name", POLICY_NAME);
      policy.putObject("spec").set("defaults", Manifests.YAML.valueToTree(settings));
      SCENARIOS.put(rule, new Scenario(policy, Manifests.mergePatch(job(), Manifests.YAML.valueToTree(jobPatch))));
    }

    private static Map<String, Object> settings(String key, Object value) {
      return Map.of(key, value);
    }

    /** The list at this path below defaults: maxItems items, each of the item's maxLength (or, for an enum, any value). */
    private static List<String> list(String path, ItemMaker maker) {
      JsonNode list = SCHEMA.at("/properties/" + path);
      int maxItems = list.path("maxItems").asInt(-1);
      int maxLength = list.at("/items/maxLength").asInt(-1);
      if (maxItems < 0 || maxLength < 0 && !list.at("/items").has("enum")) {
        throw new AssertionError(path + " is unbounded: maxItems " + maxItems + ", items maxLength " + maxLength);
      }
      return IntStream.range(0, maxItems).mapToObj(i -> {
        String item = maker.make(i, maxLength);
        if (maxLength >= 0 && item.length() != maxLength) {
          throw new AssertionError(path + ": made an item of " + item.length() + " characters, the CRD allows " + maxLength);
        }
        return item;
      }).toList();
    }

    interface ItemMaker {
      String make(int index, int length);
    }

    private static int jobMax(String field) {
      return JOB_SCHEMA.at("/properties/" + field + "/maxLength").asInt();
    }

    /** The worst-case job: a conforming shape (existing connector and NAT) with every printed field at its longest. */
    private static JsonNode job() {
      List<Map<String, Object>> allow = IntStream.range(0, JOB_SCHEMA.at("/properties/egress/properties/firewall/properties/allow/maxItems").asInt())
          .mapToObj(i -> Map.<String, Object>of("name", gce(900 + i, 20), "destinationRanges", List.of("0.0.0.0/0"),
              "protocol", "tcp", "ports", List.of("1")))
          .toList();
      Map<String, Object> spec = new LinkedHashMap<>();
      spec.put("project", project(999, jobMax("project")));
      spec.put("region", REGION);
      spec.put("job", Map.of(
          "image", image(jobMax("job/properties/image")),
          "serviceAccount", serviceAccount(jobMax("job/properties/serviceAccount")),
          "encryptionKey", kmsKey(REGION)));
      spec.put("egress", Map.of(
          "vpcEgress", "AllTraffic",
          "network", network(999, NETWORK),
          "connector", Map.of("name", CONNECTOR, "existing", true),
          "nat", Map.of("router", gce(998, 63), "name", gce(999, 63), "existing", true),
          "firewall", Map.of("leastPrivilege", true, "allow", allow)));
      return Manifests.mergePatch(Manifests.example("05-existing-connector"), Manifests.YAML.valueToTree(Map.of(
          "metadata", Map.of("name", "worst-case", "namespace", NAMESPACE), "spec", spec)));
    }

    // Values of an exact length, distinct by index, valid for their CRD patterns.
    private static String fill(String head, int length, String tail) {
      if (length < head.length() + tail.length()) {
        throw new AssertionError("no value of " + length + " characters starts with " + head + " and ends with " + tail);
      }
      return head + "a".repeat(length - head.length() - tail.length()) + tail;
    }

    private static String index(int i) {
      return String.format("%03d", i);
    }

    static String project(int i, int length) {
      return fill("p", length, index(i));
    }

    static String region(int i, int length) {
      return fill("r-", length, index(i));
    }

    static String gce(int i, int length) {
      return fill("n", length, index(i));
    }

    static String network(int i, int length) {
      return length <= 63 ? gce(i, length) : "projects/" + project(i, 30) + "/global/networks/" + gce(i, checkedGce(length - 56));
    }

    private static int checkedGce(int length) {
      if (length > 63) {
        throw new AssertionError("no Compute Engine name is " + length + " characters long");
      }
      return length;
    }

    static String connectorId(int i, int length) {
      return fill("c", length, index(i));
    }

    static String connectorPath(int i, String region) {
      return "projects/" + project(i, 30) + "/locations/" + region + "/connectors/" + connectorId(i, 25);
    }

    static String connector(int i, int length) {
      return connectorPath(i, region(i, length - 87));
    }

    static String natRef(int i, int length) {
      int router = Math.min(63, length - 5);
      return gce(i, router) + "/" + gce(i, checkedGce(length - 1 - router));
    }

    static String imagePrefix(int i, int length) {
      return fill("europe-west2-docker.pkg.dev/p", length, index(i) + "/");
    }

    static String cidr(int i, int length) {
      return "255.255.255." + (200 + i) + "/32";
    }

    static String portRange(int i, int length) {
      return (65000 + i) + "-65535";
    }

    /** An anchored pattern of 4-byte characters: as long in UTF-8 as a pattern of this many characters gets. */
    static String widePattern(int length) {
      return "^" + "\uD83D\uDE00".repeat(length - 2) + "$";
    }

    static String image(int length) {
      return fill("ghcr.io/", length, ":1");
    }

    static String serviceAccount(int length) {
      return invoker(997, length);
    }

    static String invoker(int i, int length) {
      return gce(i, 63) + "@" + fill("d", length - 63 - 1 - ".gserviceaccount.com".length(), "") + ".gserviceaccount.com";
    }

    /** Every 15 minutes, on days of the week listed again and again up to the length: a cron that breaks Hourly and Daily. */
    static String cron(int length) {
      StringBuilder cron = new StringBuilder("*/15 * * * 1");
      while (length - cron.length() >= 4) {
        cron.append(",MON");
      }
      if (length - cron.length() == 2) {
        cron.append(",1");
      }
      if (cron.length() != length) {
        throw new AssertionError("no such cron of " + length + " characters");
      }
      return cron.toString();
    }

    static String kmsKey(String region) {
      return "projects/" + project(996, 30) + "/locations/" + region + "/keyRings/" + "k".repeat(63) + "/cryptoKeys/" + "y".repeat(63);
    }
  }

  // ---------------------------------------------------------------- 4. the plugin's fallback rules

  static Stream<Arguments> messages() {
    String x5120 = "x".repeat(AdmissionPolicyEvaluator.MAX_MESSAGE_BYTES);
    String twoBytes = "\u00e9".repeat(AdmissionPolicyEvaluator.MAX_MESSAGE_BYTES / 2);
    return Stream.of(
        Arguments.of("5 KiB", x5120, true),
        Arguments.of("5 KiB and one byte", x5120 + "x", false),
        Arguments.of("5 KiB of 2-byte characters", twoBytes, true),
        Arguments.of("2561 characters, 5122 bytes", twoBytes + "\u00e9", false),
        Arguments.of("5 KiB once trimmed", "  " + x5120 + " \t", true),
        Arguments.of("padded", "  padded  ", true),
        Arguments.of("a line break", "line one\nline two", false),
        Arguments.of("a trailing line break, trimmed", "one line\n", true),
        Arguments.of("blank", "   ", false),
        Arguments.of("no annotation: the expression fails", null, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void theFastEvaluatorFallsBackToTheStaticMessageAsThePluginDoes(String label, String message, boolean expressionKept) {
    Map<String, Object> helpers = helperDocuments(round);
    AdmissionPolicyEvaluator fast = new AdmissionPolicyEvaluator(Manifests.YAML.valueToTree(helpers.get("fallback-policy")),
        Manifests.YAML.valueToTree(helpers.get("fallback-binding")));
    for (String kind : List.of("static", "bare")) {
      String name = kind + "-" + (++requests);
      Map<String, Object> metadata = new LinkedHashMap<>(Map.of("name", name, "namespace", FALLBACK_NAMESPACE));
      if (message != null) {
        metadata.put("annotations", Map.of("message", message));
      }
      JsonNode lease = Manifests.YAML.valueToTree(Map.of("apiVersion", "coordination.k8s.io/v1", "kind", "Lease", "metadata", metadata));
      String real = refusalOf(Manifests.YAML.convertValue(lease, Lease.class));
      Decision decision = fast.admit(new Request("CREATE", "leases", lease, null, null, Map.of(PROBE_LABEL, FALLBACK_NAMESPACE)));
      String prefix = "ValidatingAdmissionPolicy '" + FALLBACK_POLICY + "' with binding '" + FALLBACK_POLICY + "' denied request: ";
      String fallback = kind.equals("static") ? "the static message" : "failed expression: !object.metadata.name.startsWith('bare-')";
      String promised = prefix + (expressionKept ? message.strip() : fallback);

      tally("messageExpression fallback rules", Objects.equals(real, prefix + decision.refusal()) && real.equals(promised));
      assertThat(real).as("the real plugin against the fast evaluator (%s)", kind).isEqualTo(prefix + decision.refusal());
      assertThat(real).as("the real plugin's rule (%s)", kind).isEqualTo(promised);
    }
  }

  // ---------------------------------------------------------------- requests

  /** A refusal (the plugin's message) or an admission, and the warnings that came with it. */
  record Outcome(String refusal, List<String> warnings) {
    static Outcome of(Decision decision) {
      return new Outcome(decision.denied() ? REFUSAL + decision.refusal() : null,
          decision.warnings().stream().map(m -> WARNING + m).toList());
    }
  }

  /** What the API server hands the policy: objects with their CRD's defaults applied. */
  private static Request request(JsonNode job, JsonNode old, JsonNode policy, Map<String, String> namespaceLabels) {
    return new Request(old == null ? "CREATE" : "UPDATE", "cloudrunegressjobs",
        Crds.cloudRunEgressJobValidator().prepare(job),
        old == null ? null : Crds.cloudRunEgressJobValidator().prepare(old),
        policy == null ? null : Crds.egressPolicyValidator().prepare(policy),
        namespaceLabels);
  }

  /** Sends the job as kubectl would (server-side dry run, strict field validation), under a name of its own. */
  private static Outcome create(JsonNode job) {
    GenericKubernetesResource resource = resource(job, PREFIX + "case-" + (++requests));
    return judged(() -> client.resource(resource).inNamespace(resource.getMetadata().getNamespace())
        .dryRun().fieldValidation(Validation.STRICT).create());
  }

  /** A dry-run update of a stored job to this version of it. */
  private static Outcome update(String storedName, JsonNode job) {
    requests++;
    GenericKubernetesResource resource = resource(job, storedName);
    GenericKubernetesResource stored = client.genericKubernetesResources(API_VERSION, "CloudRunEgressJob")
        .inNamespace(resource.getMetadata().getNamespace()).withName(storedName).get();
    resource.getMetadata().setResourceVersion(stored.getMetadata().getResourceVersion());
    resource.getMetadata().setDeletionTimestamp(stored.getMetadata().getDeletionTimestamp());
    return judged(() -> client.resource(resource).inNamespace(resource.getMetadata().getNamespace())
        .dryRun().fieldValidation(Validation.STRICT).update());
  }

  private static Outcome judged(Runnable send) {
    WARNINGS.clear();
    try {
      send.run();
      return new Outcome(null, List.copyOf(WARNINGS));
    } catch (KubernetesClientException e) {
      return new Outcome(admissionMessage(e), List.copyOf(WARNINGS));
    }
  }

  /** The refusing policy's message; anything else (the CRD's validation, a conflict) fails the test. */
  private static String admissionMessage(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getDetails() != null && e.getStatus().getDetails().getCauses() != null) {
      for (StatusCause cause : e.getStatus().getDetails().getCauses()) {
        if (cause.getMessage() != null && cause.getMessage().startsWith("ValidatingAdmissionPolicy '")) {
          return cause.getMessage();
        }
      }
    }
    throw new AssertionError("refused, but not by an admission policy: " + e.getCode() + " "
        + (e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage()), e);
  }

  private static GenericKubernetesResource resource(JsonNode object, String name) {
    ObjectNode copy = object.deepCopy();
    ((ObjectNode) copy.get("metadata")).put("name", name);
    ((ObjectNode) copy.get("metadata")).remove("deletionTimestamp");
    return Manifests.YAML.convertValue(copy, GenericKubernetesResource.class);
  }

  /** Stores a job (a real create); one with finalizers and a deletionTimestamp is then deleted, so that it is being deleted. */
  private static void store(String name, JsonNode job) {
    GenericKubernetesResource resource = resource(job, name);
    String namespace = resource.getMetadata().getNamespace();
    client.resource(resource).inNamespace(namespace).create();
    if (job.at("/metadata/deletionTimestamp").isTextual()) {
      client.genericKubernetesResources(API_VERSION, "CloudRunEgressJob").inNamespace(namespace).withName(name).delete();
    }
  }

  // ---------------------------------------------------------------- what is in force

  /** Renders the chart's policy with these admissionPolicy values, puts it in force, and returns its fast twin. */
  private static AdmissionPolicyEvaluator inForce(Map<String, Object> values) {
    AdmissionPolicyEvaluator fast = HelmChart.admissionPolicy(values);
    String text;
    try {
      text = Manifests.YAML.writeValueAsString(fast.policy()) + Manifests.YAML.writeValueAsString(fast.binding());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!text.equals(chartInForce)) {
      write(CHART_FILE, text);
      awaitLoaded();
      chartInForce = text;
      newRound();
    }
    return fast;
  }

  /** Makes these the only EgressPolicies besides test-sync, then waits until the plugin reads them. */
  private static void egressPolicies(List<JsonNode> wanted) {
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    wanted.forEach(p -> byName.put(p.at("/metadata/name").asText(), p));
    if (byName.equals(EGRESS_POLICIES)) {
      return;
    }
    var policies = client.genericKubernetesResources(API_VERSION, "EgressPolicy");
    for (GenericKubernetesResource existing : policies.list().getItems()) {
      String name = existing.getMetadata().getName();
      if (!name.equals(SYNC_POLICY) && (!byName.containsKey(name) || !byName.get(name).equals(EGRESS_POLICIES.get(name)))) {
        policies.withName(name).delete();
        policies.withName(name).waitUntilCondition(Objects::isNull, 30, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
    for (Map.Entry<String, JsonNode> p : byName.entrySet()) {
      if (!Objects.equals(p.getValue(), EGRESS_POLICIES.get(p.getKey())) || policies.withName(p.getKey()).get() == null) {
        policies.resource(Manifests.YAML.convertValue(p.getValue(), GenericKubernetesResource.class)).create();
      }
    }
    EGRESS_POLICIES.clear();
    EGRESS_POLICIES.putAll(byName);
    bumpNonce();
    awaitProbe();
  }

  private static void bumpNonce() {
    nonce++;
    GenericKubernetesResource sync = Manifests.YAML.convertValue(Map.of("apiVersion", API_VERSION, "kind", "EgressPolicy",
        "metadata", Map.of("name", SYNC_POLICY),
        "spec", Map.of("defaults", Map.of("allowedProjects", List.of(syncProject())))), GenericKubernetesResource.class);
    client.resource(sync).forceConflicts().serverSideApply();
  }

  private static String syncProject() {
    return String.format("sync-%05d", nonce);
  }

  /** New names for the helper policies, loaded after everything written before, then waits until they are in force. */
  private static void newRound() {
    round++;
    StringBuilder text = new StringBuilder();
    helperDocuments(round).values().forEach(doc -> {
      try {
        text.append(Manifests.YAML.writeValueAsString(doc));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    write(HELPERS_FILE, text.toString());
    awaitLoaded();
    awaitProbe();
  }

  /**
   * The test's own policies: the sync probe (Leases in the sync namespace are refused with the round
   * and test-sync's nonce) and the fallback policy (Leases in the fallback namespace are refused with
   * their annotation "message" as messageExpression: by the first validation, with a static message,
   * when named static-*, by the second, without one, when named bare-*).
   */
  private static Map<String, Object> helperDocuments(int round) {
    String sync = "test-sync-r" + round;
    Map<String, Object> leases = Map.of("resourceRules", List.of(Map.of("apiGroups", List.of("coordination.k8s.io"),
        "apiVersions", List.of("v1"), "resources", List.of("leases"), "operations", List.of("CREATE"))));
    Map<String, Object> documents = new LinkedHashMap<>();
    documents.put("sync-policy", Map.of("apiVersion", "admissionregistration.k8s.io/v1", "kind", "ValidatingAdmissionPolicy",
        "metadata", Map.of("name", sync),
        "spec", Map.of("failurePolicy", "Fail",
            "paramKind", Map.of("apiVersion", API_VERSION, "kind", "EgressPolicy"),
            "matchConstraints", leases,
            "validations", List.of(Map.of("expression", "false",
                "messageExpression", "'in force: round " + round + ", params ' + params.spec.defaults.allowedProjects[0]")))));
    documents.put("sync-binding", Map.of("apiVersion", "admissionregistration.k8s.io/v1", "kind", "ValidatingAdmissionPolicyBinding",
        "metadata", Map.of("name", sync),
        "spec", Map.of("policyName", sync, "validationActions", List.of("Deny"),
            "paramRef", Map.of("name", SYNC_POLICY, "parameterNotFoundAction", "Deny"),
            "matchResources", Map.of("namespaceSelector", Map.of("matchLabels", Map.of(PROBE_LABEL, SYNC_NAMESPACE))))));
    documents.put("fallback-policy", Map.of("apiVersion", "admissionregistration.k8s.io/v1", "kind", "ValidatingAdmissionPolicy",
        "metadata", Map.of("name", FALLBACK_POLICY),
        "spec", Map.of("failurePolicy", "Fail",
            "matchConstraints", leases,
            "validations", List.of(
                Map.of("expression", "!object.metadata.name.startsWith('static-')",
                    "message", "  the static message  ",
                    "messageExpression", "string(object.metadata.annotations['message'])"),
                Map.of("expression", "!object.metadata.name.startsWith('bare-')",
                    "messageExpression", "string(object.metadata.annotations['message'])")))));
    documents.put("fallback-binding", Map.of("apiVersion", "admissionregistration.k8s.io/v1", "kind", "ValidatingAdmissionPolicyBinding",
        "metadata", Map.of("name", FALLBACK_POLICY),
        "spec", Map.of("policyName", FALLBACK_POLICY, "validationActions", List.of("Deny"),
            "matchResources", Map.of("namespaceSelector", Map.of("matchLabels", Map.of(PROBE_LABEL, FALLBACK_NAMESPACE))))));
    return documents;
  }

  /** Until a Lease in the sync namespace is refused with the current round and nonce. */
  private static void awaitProbe() {
    String sync = "test-sync-r" + round;
    String expected = "ValidatingAdmissionPolicy '" + sync + "' with binding '" + sync + "' denied request: in force: round "
        + round + ", params " + syncProject();
    Lease lease = new LeaseBuilder().withNewMetadata().withName("probe").withNamespace(SYNC_NAMESPACE).endMetadata().build();
    long deadline = System.nanoTime() + 60_000_000_000L;
    String last = null;
    while (System.nanoTime() < deadline) {
      last = refusalOf(lease);
      if (expected.equals(last)) {
        return;
      }
      RealApiServer.sleep(50);
    }
    throw new AssertionError("the probe never saw round " + round + " and " + syncProject() + "; last answer: " + last
        + "\nreport: " + SERVER.admissionPolicyReport());
  }

  /** A dry-run create of the Lease: the refusing message, "admitted", or the error. */
  private static String refusalOf(Lease lease) {
    try {
      client.leases().inNamespace(lease.getMetadata().getNamespace()).resource(lease).dryRun().create();
      return "admitted";
    } catch (KubernetesClientException e) {
      if (e.getStatus() != null && e.getStatus().getDetails() != null && e.getStatus().getDetails().getCauses() != null) {
        for (StatusCause cause : e.getStatus().getDetails().getCauses()) {
          if (cause.getMessage() != null && cause.getMessage().startsWith("ValidatingAdmissionPolicy '")) {
            return cause.getMessage();
          }
        }
      }
      return e.getCode() + ": " + (e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage());
    }
  }

  /** Writes a file of the policy directory whole (the server must never read half of it). */
  private static void write(String file, String text) {
    try {
      Path dir = SERVER.admissionPolicyDir();
      Path tmp = dir.resolve(file + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Until the server's report shows the directory as it is now loaded, every object accepted. */
  private static void awaitLoaded() {
    String digest = directoryDigest();
    long deadline = System.nanoTime() + 30_000_000_000L;
    String report = null;
    while (System.nanoTime() < deadline) {
      report = SERVER.admissionPolicyReport();
      if (report != null) {
        try {
          JsonNode parsed = JSON.readTree(report);
          if (digest.equals(parsed.path("digest").asText())) {
            assertThat(parsed.path("refused").size()).as("objects the server refused: %s", report).isZero();
            assertThat(parsed.path("problems").size()).as("problems: %s", report).isZero();
            return;
          }
        } catch (IOException e) {
          // written whole then renamed: a parse error would be a bug; retry anyway
        }
      }
      RealApiServer.sleep(100);
    }
    throw new AssertionError("the server did not load " + SERVER.admissionPolicyDir() + " in 30 s; report: " + report);
  }

  /** The digest the server reports for the directory: its files (*.yaml, *.yml, *.json) sorted by path, as vap.go hashes them. */
  private static String directoryDigest() {
    try (Stream<Path> files = Files.list(SERVER.admissionPolicyDir())) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path file : files.filter(f -> f.toString().matches(".*\\.(yaml|yml|json)$")).map(Path::toString).sorted().map(Path::of).toList()) {
        byte[] data = Files.readAllBytes(file);
        sha.update((file + "\0" + data.length + "\0").getBytes(StandardCharsets.UTF_8));
        sha.update(data);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The text of a Warning header: 299 - "text", quoted with backslash escapes. */
  static String warningText(String header) {
    int open = header.indexOf('"');
    if (open < 0 || !header.endsWith("\"")) {
      return header;
    }
    StringBuilder text = new StringBuilder();
    for (int i = open + 1; i < header.length() - 1; i++) {
      char ch = header.charAt(i);
      if (ch == '\\' && i + 1 < header.length() - 1) {
        ch = header.charAt(++i);
      }
      text.append(ch);
    }
    return text.toString();
  }
}
