package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.egress.testing.CrdCorpus;
import dev.cloudrun.egress.testing.CrdCorpus.Case;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.RealApiServer;
import dev.cloudrun.egress.validation.CrdValidator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRDs' admission judged by a real API server: every example is admitted, every case of the
 * validation corpus is refused by the server with its expected message (transition rules on real
 * updates), and the in-process check (cel-java, {@link CrdValidator}, which local mode uses) says
 * exactly what the server says on every case. The in-process check stays the fast tier's; this is its judge.
 */
class AdmissionOnRealApiServerIT {
  private static final RealApiServer SERVER = RealApiServer.shared();
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static KubernetesClient client;

  @BeforeAll
  static void installCrdsAndNamespaces() throws IOException {
    client = SERVER.client();
    SERVER.installCrds(client);
    java.util.Set<String> namespaces = new java.util.TreeSet<>();
    for (Path file : exampleFiles()) {
      Manifests.readAll(file).forEach(d -> namespaces.add(d.at("/metadata/namespace").asText("default")));
    }
    RealApiServer.ensureNamespaces(client, namespaces);
  }

  static List<Path> exampleFiles() throws IOException {
    try (Stream<Path> walk = Files.walk(Manifests.projectRoot().resolve("examples"))) {
      return walk.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @AfterAll
  static void close() {
    client.close();
  }

  @Test
  void everyExampleIsAdmitted() throws IOException {
    List<Path> files = exampleFiles();
    assertThat(files).hasSizeGreaterThanOrEqualTo(8);
    for (Path file : files) {
      for (JsonNode document : Manifests.readAll(file)) {
        assertThat(admit(null, document)).as("%s: %s", file.getFileName(), document.at("/metadata/name")).isEmpty();
      }
    }
  }

  @ParameterizedTest(name = "server refuses {0}")
  @MethodSource("rejected")
  void serverRefusesWithTheExpectedMessageAndTheFastCheckSaysTheSame(Case c) {
    List<String> server = admit(c.old(), c.object());

    assertThat(server).as("the server's errors for '%s'", c.name()).isNotEmpty();
    assertThat(server).as("the server's errors for '%s'", c.name()).anySatisfy(e -> assertThat(e).contains(c.error()));
    assertThat(sorted(fastCheck(c))).as("the fast check's errors, against the server's").isEqualTo(sorted(server));
  }

  @ParameterizedTest(name = "server admits {0}")
  @MethodSource("accepted")
  void serverAdmitsAndTheFastCheckAgrees(Case c) {
    assertThat(admit(c.old(), c.object())).as("the server's errors for '%s'", c.name()).isEmpty();
    assertThat(fastCheck(c)).isEmpty();
  }

  /** What the in-process check says the server answers: its decoding error, else its causes. */
  private static List<String> fastCheck(Case c) {
    CrdValidator validator = c.kind().equals("EgressPolicy") ? Crds.egressPolicyValidator() : Crds.cloudRunEgressJobValidator();
    return c.old() == null ? validator.validateCreate(c.object()) : validator.validateUpdate(c.old(), c.object());
  }

  private static List<String> sorted(List<String> errors) {
    return errors.stream().sorted().toList();
  }

  /**
   * Sends the object to the server as kubectl would (strict field validation): a create, or with an
   * old version, a create of that then an update to this. Returns the server's causes as kubectl
   * prints them ("field: message"), or its decoding error; empty when admitted. Creates are dry
   * runs; updates need a stored object.
   */
  static List<String> admit(JsonNode old, JsonNode object) {
    String name = "case-" + NAMES.incrementAndGet();
    String namespace = object.at("/metadata/namespace").asText("default");
    GenericKubernetesResource resource = resource(object, name);
    try {
      if (old == null) {
        client.resource(resource).inNamespace(namespace).dryRun().fieldValidation(Validation.STRICT).create();
        return List.of();
      }
      GenericKubernetesResource stored = client.resource(resource(old, name)).inNamespace(namespace).create();
      try {
        resource.getMetadata().setResourceVersion(stored.getMetadata().getResourceVersion());
        client.resource(resource).inNamespace(namespace).fieldValidation(Validation.STRICT).update();
        return List.of();
      } finally {
        client.resource(stored).inNamespace(namespace).withGracePeriod(0).delete();
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() != 422 && e.getCode() != 400) {
        throw e;
      }
      if (e.getCode() == 400) {
        return List.of(e.getStatus().getMessage()); // the strict decoder's refusal: one message, no causes
      }
      List<String> errors = new ArrayList<>();
      for (StatusCause cause : e.getStatus().getDetails().getCauses()) {
        errors.add(cause.getField() + ": " + cause.getMessage());
      }
      return errors;
    }
  }

  private static GenericKubernetesResource resource(JsonNode object, String name) {
    ObjectNode copy = object.deepCopy();
    ((ObjectNode) copy.get("metadata")).put("name", name);
    ((ObjectNode) copy.get("metadata")).remove("namespace");
    return Manifests.YAML.convertValue(copy, GenericKubernetesResource.class);
  }

  static Stream<Arguments> rejected() {
    return Stream.concat(CrdCorpus.load("rejected.yaml").stream(), CrdCorpus.load("egress-policies-rejected.yaml").stream()).map(Arguments::of);
  }

  static Stream<Arguments> accepted() {
    return CrdCorpus.load("accepted.yaml").stream().map(Arguments::of);
  }
}
