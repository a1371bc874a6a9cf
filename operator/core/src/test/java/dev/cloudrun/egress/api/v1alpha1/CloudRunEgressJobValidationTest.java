package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.testing.CrdCorpus;
import dev.cloudrun.egress.testing.CrdCorpus.Case;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.validation.CrdValidator;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRD's schema and CEL rules, evaluated as the API server would, over a corpus of objects:
 * every rejected one fails with exactly one error carrying its own message, every accepted one
 * (and every example) passes. The corpus lives in src/test/resources/crd-corpus.
 */
class CloudRunEgressJobValidationTest {

  private static final CrdValidator VALIDATOR = Crds.cloudRunEgressJobValidator();

  @ParameterizedTest(name = "rejects {0}")
  @MethodSource("rejected")
  void rejects(Case c) {
    // exactly one error of the object; the server adds a note when that error kept it from running the rules
    List<String> errors = validate(c).stream().filter(e -> !e.endsWith(CrdValidator.RULES_SKIPPED)).toList();
    assertThat(errors).as("errors for '%s'", c.name()).hasSize(1);
    assertThat(errors.get(0)).contains(c.error());
  }

  @ParameterizedTest(name = "accepts {0}")
  @MethodSource("accepted")
  void accepts(Case c) {
    assertThat(validate(c)).as("errors for '%s'", c.name()).isEmpty();
  }

  @Test
  void corpusRejectsByEveryRule() throws IOException {
    List<Case> rejected = CrdCorpus.load("rejected.yaml");
    assertThat(rejected).hasSizeGreaterThanOrEqualTo(40);
    Set<String> reported = new HashSet<>();
    for (Case c : rejected) {
      reported.addAll(validate(c));
    }
    assertThat(VALIDATOR.rulesNeverReported(reported)).as("CEL rules no rejected case exercises").isEmpty();
  }

  @Test
  void schemaDefaultsAreWhatTheDescriptionsPromise() {
    JsonNode stored = VALIDATOR.prepare(Manifests.readOne(Manifests.projectRoot().resolve("examples/05-existing-connector.yaml")));
    assertThat(stored.at("/spec/job/maxRetries").asInt()).isEqualTo(3);
    assertThat(stored.at("/spec/job/taskTimeout").asText()).isEqualTo("10m");
    assertThat(stored.at("/spec/job/taskCount").asInt()).isEqualTo(1);
    assertThat(stored.at("/spec/job/cpu").asText()).isEqualTo("1");
    assertThat(stored.at("/spec/job/memory").asText()).isEqualTo("1Gi");
    assertThat(stored.at("/spec/job/secretEnv/0/version").asText()).isEqualTo("4");
    assertThat(stored.at("/spec/egress/connector/replacePolicy").asText()).isEqualTo("Never");
    assertThat(stored.at("/spec/egress/nat/ipAllocation").asText()).isEqualTo("Auto");
    assertThat(stored.at("/spec/egress/nat/logging").asText()).isEqualTo("None");
    assertThat(stored.at("/spec/deletionPolicy").asText()).isEqualTo("Abandon");
    JsonNode privateOnly = VALIDATOR.prepare(Manifests.readOne(Manifests.projectRoot().resolve("examples/02-private-ranges-only.yaml")));
    assertThat(privateOnly.at("/spec/deletionPolicy").asText()).isEqualTo("Delete");
    assertThat(privateOnly.at("/spec/egress/firewall/allowPriority").asInt()).isEqualTo(900);
    assertThat(privateOnly.at("/spec/egress/firewall/denyPriority").asInt()).isEqualTo(950);
    assertThat(privateOnly.at("/spec/egress/firewall/allow/0/protocol").asText()).isEqualTo("tcp");
  }

  private static List<String> validate(Case c) {
    return c.old() == null ? VALIDATOR.validateCreate(c.object()) : VALIDATOR.validateUpdate(c.old(), c.object());
  }

  static Stream<Arguments> rejected() throws IOException {
    return CrdCorpus.load("rejected.yaml").stream().map(Arguments::of);
  }

  static Stream<Arguments> accepted() throws IOException {
    return CrdCorpus.load("accepted.yaml").stream().map(Arguments::of);
  }
}
