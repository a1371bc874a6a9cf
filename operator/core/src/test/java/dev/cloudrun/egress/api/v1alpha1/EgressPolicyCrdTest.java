package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.testing.CrdCorpus;
import dev.cloudrun.egress.testing.CrdCorpus.Case;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.Schemas;
import dev.cloudrun.egress.validation.CrdValidator;
import dev.cloudrun.egress.validation.KubernetesCel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The generated EgressPolicy CRD: scope, documentation, its own sanity rules and the example policies. */
class EgressPolicyCrdTest {

  private static final CrdValidator VALIDATOR = Crds.egressPolicyValidator();
  private final JsonNode crd = Crds.egressPolicy();
  private final JsonNode schema = VALIDATOR.schema();


  @Test
  void clusterScopedInTheOperatorsGroup() {
    assertThat(crd.at("/metadata/name").asText()).isEqualTo("egresspolicies.egress.cloudrun.dev");
    assertThat(crd.at("/spec/scope").asText()).isEqualTo("Cluster");
    assertThat(crd.at("/spec/names/kind").asText()).isEqualTo("EgressPolicy");
    assertThat(Manifests.texts(crd.at("/spec/names/shortNames"))).containsExactly("egpol");
    assertThat(crd.at("/spec/versions/0/name").asText()).isEqualTo(CloudRunEgressJob.VERSION);
  }

  @Test
  void everySettingIsDescribedAndHasNoDefault() {
    List<String> undocumented = new ArrayList<>();
    List<String> defaulted = new ArrayList<>();
    Schemas.walkProperties(schema.at("/properties/spec"), "spec", (path, property) -> {
      if (property.path("description").asText().isBlank()) {
        undocumented.add(path);
      }
      if (property.has("default")) {
        defaulted.add(path);
      }
    });
    assertThat(undocumented).isEmpty();
    // A default in an override entry would mask the defaults entry with a value nobody wrote.
    assertThat(defaulted).isEmpty();
  }

  @Test
  void overrideEntriesOfferEverySettingOfTheDefaults() {
    Set<String> defaults = new HashSet<>();
    schema.at("/properties/spec/properties/defaults/properties").fieldNames().forEachRemaining(defaults::add);
    Set<String> overrides = new HashSet<>();
    schema.at("/properties/spec/properties/namespaces/items/properties").fieldNames().forEachRemaining(overrides::add);
    overrides.remove("names");
    assertThat(overrides).isEqualTo(defaults).hasSize(11);
  }

  @Test
  void everyRuleCompilesWithStandardCelAndCarriesAMessage() {
    KubernetesCel cel = new KubernetesCel("self", "oldSelf");
    List<String> rules = new ArrayList<>();
    Schemas.walkSchemas(schema, "", (path, node) -> node.path("x-kubernetes-validations").forEach(rule -> {
      cel.compile(rule.path("rule").asText());
      assertThat(rule.path("message").asText()).as("message of rule at %s", path).isNotBlank();
      rules.add(path);
    }));
    assertThat(rules).hasSize(24);
  }

  @Test
  void everyStringAndListIsBounded() {
    // The API server refuses rules whose estimated cost exceeds its budget; lengths bound the estimate.
    List<String> unbounded = new ArrayList<>();
    Schemas.walkSchemas(schema, "", (path, node) -> {
      String type = node.path("type").asText();
      if (type.equals("string") && !node.has("maxLength") && !node.has("enum")
          || type.equals("array") && !node.has("maxItems")) {
        unbounded.add(path);
      }
    });
    assertThat(unbounded).isEmpty();
  }

  static Stream<Path> examplePolicies() throws IOException {
    try (Stream<Path> files = Files.list(Manifests.projectRoot().resolve("examples/policies"))) {
      return files.sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examplePolicies")
  void examplePoliciesAreValidAndSayWhenToUseThem(Path example) throws IOException {
    JsonNode policy = Manifests.readOne(example);
    assertThat(policy.path("kind").asText()).isEqualTo("EgressPolicy");
    assertThat(VALIDATOR.validateCreate(policy)).isEmpty();
    String text = Files.readString(example);
    assertThat(text).startsWith("# ").containsIgnoringCase("use this when");
  }

  @ParameterizedTest(name = "rejects {0}")
  @MethodSource("rejected")
  void rejects(Case c) {
    // exactly one error of the object; the server adds a note when that error kept it from running the rules
    List<String> errors = VALIDATOR.validateCreate(c.object()).stream().filter(e -> !e.endsWith(CrdValidator.RULES_SKIPPED)).toList();
    assertThat(errors).as("errors for '%s'", c.name()).hasSize(1);
    assertThat(errors.get(0)).contains(c.error());
  }

  /**
   * Registry prefixes are the ASCII beginnings of image references: a denial prints every allowed
   * prefix, and its length in bytes must stay under the API server's 5 KiB for messages.
   */
  @Test
  void imageRegistryPrefixesAreBeginningsOfImageReferences() {
    for (String prefix : List.of("europe-west2-docker.pkg.dev/myproject/", "docker.io/library/", "localhost:5000/", "ghcr.io/",
        "europe-west2-docker.pkg.dev/my-project/team_a/Images/")) {
      assertThat(VALIDATOR.validateCreate(withRegistry(prefix))).as(prefix).isEmpty();
    }
    for (String prefix : List.of("europe-west2-docker.pkg.dev/proj\u00e9t/", "Europe-west2-docker.pkg.dev/myproject/",
        "europe-west2-docker.pkg.dev/my project/", "/myproject/", "europe-west2-docker.pkg.dev")) {
      assertThat(VALIDATOR.validateCreate(withRegistry(prefix))).as(prefix)
          .singleElement(InstanceOfAssertFactories.STRING).contains("job.allowedImageRegistries prefixes must end with /");
    }
    assertThat(VALIDATOR.validateCreate(withRegistry("europe-west2-docker.pkg.dev/" + "a".repeat(171) + "/"))).isEmpty();
    assertThat(VALIDATOR.validateCreate(withRegistry("europe-west2-docker.pkg.dev/" + "a".repeat(172) + "/"))).isNotEmpty();
  }

  private static JsonNode withRegistry(String prefix) {
    return Manifests.mergePatch(Manifests.example("policies/01-shared-network"), Manifests.YAML.valueToTree(
        Map.of("spec", Map.of("defaults", Map.of("job", Map.of("allowedImageRegistries", List.of(prefix)))))));
  }

  @Test
  void corpusRejectsByEveryRule() throws IOException {
    Set<String> reported = new HashSet<>();
    for (Case c : load()) {
      reported.addAll(VALIDATOR.validateCreate(c.object()));
    }
    assertThat(VALIDATOR.rulesNeverReported(reported)).as("CEL rules no rejected case exercises").isEmpty();
  }

  static Stream<Case> rejected() throws IOException {
    return load().stream();
  }

  private static List<Case> load() {
    return CrdCorpus.load("egress-policies-rejected.yaml");
  }
}
