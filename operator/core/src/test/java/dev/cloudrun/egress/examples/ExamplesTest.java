package dev.cloudrun.egress.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.ConnectorSpec;
import dev.cloudrun.egress.api.v1alpha1.EgressSpec;
import dev.cloudrun.egress.api.v1alpha1.JobSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every file in examples/ is valid, documented, and reads into the model as the user meant it. */
class ExamplesTest {

  static Stream<Path> examples() throws IOException {
    try (Stream<Path> files = Files.list(Manifests.projectRoot().resolve("examples"))) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void passesTheCrdValidation(Path example) {
    List<JsonNode> documents = Manifests.readAll(example);
    assertThat(documents).isNotEmpty();
    for (JsonNode document : documents) {
      assertThat(document.path("kind").asText()).isEqualTo("CloudRunEgressJob");
      assertThat(Crds.cloudRunEgressJobValidator().validateCreate(document))
          .as("%s / %s", example.getFileName(), document.at("/metadata/name").asText())
          .isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void opensWithACommentSayingWhenToUseIt(Path example) throws IOException {
    String text = Files.readString(example);
    assertThat(text).startsWith("# ");
    assertThat(text).containsIgnoringCase("use this when");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void modelDefaultsEqualTheCrdDefaults(Path example) {
    // The operator must read a resource the same whether or not the API server applied the schema
    // defaults (older objects, other servers): the model's field initializers mirror @Default.
    for (JsonNode document : Manifests.readAll(example)) {
      CloudRunEgressJob model = Serialization.unmarshal(document.toString(), CloudRunEgressJob.class);
      JsonNode modelSpec = Serialization.jsonMapper().valueToTree(model).get("spec");
      assertThat(modelSpec).isEqualTo(Crds.cloudRunEgressJobValidator().prepare(document).get("spec"));
    }
  }

  @Test
  void coversTheScenarios() throws IOException {
    assertThat(examples().map(p -> p.getFileName().toString())).containsExactly(
        "01-seed-github-static-ip.yaml",
        "02-private-ranges-only.yaml",
        "03-direct-vpc-egress.yaml",
        "04-shared-connector.yaml",
        "05-existing-connector.yaml",
        "06-seed-egress-diagnosis.yaml",
        "07-seed-proxy-without-no-proxy.yaml",
        "08-adopt-job-deployed-by-hand.yaml",
        "09-seed-nightly-and-after-each-release.yaml");
    List<JsonNode> shared = Manifests.readAll(Manifests.projectRoot().resolve("examples/04-shared-connector.yaml"));
    assertThat(shared).hasSize(2);
    assertThat(shared.get(0).at("/spec/egress/connector")).isEqualTo(shared.get(1).at("/spec/egress/connector"));
    assertThat(shared.get(0).at("/spec/egress/nat")).isEqualTo(shared.get(1).at("/spec/egress/nat"));
    // One NAT covering all subnetworks per network and region: the examples, applied together, share the seed's.
    assertThat(shared.get(0).at("/spec/egress/nat")).isEqualTo(Manifests.example("01-seed-github-static-ip").at("/spec/egress/nat"));
    // The scheduled seed job shares the seed's connector and NAT: only its job and runs are its own.
    JsonNode scheduled = Manifests.example("09-seed-nightly-and-after-each-release");
    assertThat(scheduled.at("/spec/egress")).isEqualTo(Manifests.example("01-seed-github-static-ip").at("/spec/egress"));
    assertThat(scheduled.at("/spec/execution/schedule/timeZone").asText()).isNotEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void anExampleMeantToFailSaysSoInItsAnnotationAndItsComment(Path example) throws IOException {
    // ./run-local (app.Expectation) reads the annotation; a reader reads the comment.
    String text = Files.readString(example);
    for (JsonNode document : Manifests.readAll(example)) {
      JsonNode reason = document.at("/metadata/annotations/examples.cloudrun.dev~1expect-reason");
      if (!reason.isMissingNode()) {
        assertThat(text).contains("NOT Ready").contains("reason " + reason.asText());
      }
    }
  }

  @Test
  void theAdoptionAndTheProxyExamplesAreMeantToFail() {
    assertThat(Manifests.example("08-adopt-job-deployed-by-hand").at("/metadata/annotations/examples.cloudrun.dev~1expect-reason").asText())
        .isEqualTo("NotOwned");
    assertThat(Manifests.example("07-seed-proxy-without-no-proxy").at("/metadata/annotations/examples.cloudrun.dev~1expect-reason").asText())
        .isEqualTo("ProxyIntercepts");
    assertThat(Manifests.example("08-adopt-job-deployed-by-hand").at("/spec/adoptExisting").isMissingNode()).isTrue();
  }

  @Test
  void seedReadsIntoTheModelFlagByFlag() throws IOException {
    CloudRunEgressJob seed = Serialization.unmarshal(
        Files.readString(Manifests.projectRoot().resolve("examples/01-seed-github-static-ip.yaml")), CloudRunEgressJob.class);

    assertThat(seed.getMetadata().getName()).isEqualTo("my-agent-4");
    assertThat(seed.getSpec().getProject()).isEqualTo("myproject");
    assertThat(seed.getSpec().getRegion()).isEqualTo("europe-west2");
    JobSpec job = seed.getSpec().getJob();
    assertThat(job.getImage()).isEqualTo("europe-west2-docker.pkg.dev/myproject/containers/my-agent:latest");
    assertThat(job.getMaxRetries()).isEqualTo(3);
    assertThat(job.getTaskTimeout()).isEqualTo("10m");
    assertThat(job.getCpu()).isEqualTo("1");
    assertThat(job.getMemory()).isEqualTo("512Mi");
    assertThat(job.getEnv()).extracting(JobSpec.EnvVar::getName, JobSpec.EnvVar::getValue).containsExactly(
        org.assertj.core.groups.Tuple.tuple("env", "pdev"),
        org.assertj.core.groups.Tuple.tuple("name", "testvalue"),
        org.assertj.core.groups.Tuple.tuple("region", "uk"),
        org.assertj.core.groups.Tuple.tuple("version", "release_17.0.0"));
    assertThat(job.getSecretEnv()).singleElement().satisfies(s -> {
      assertThat(s.getName()).isEqualTo("cloud_run_secret");
      assertThat(s.getSecret()).isEqualTo("cloud_run_test");
      assertThat(s.getVersion()).isEqualTo("latest");
    });
    assertThat(job.getLabels()).containsExactly(java.util.Map.entry("refresh", "image"));
    assertThat(job.getEncryptionKey())
        .isEqualTo("projects/my-kms-project/locations/europe-west2/keyRings/run/cryptoKeys/HSMrunSharedKey");
    assertThat(job.getServiceAccount()).isEqualTo("mgmt@myproject.iam.gserviceaccount.com");

    EgressSpec egress = seed.getSpec().getEgress();
    assertThat(egress.getVpcEgress()).isEqualTo(EgressSpec.VpcEgress.AllTraffic);
    assertThat(egress.getConnector().getName()).isEqualTo("vpc-conn-europe");
    assertThat(egress.getConnector().getMachineType()).isEqualTo(ConnectorSpec.MachineType.E2_MICRO);
    assertThat(egress.getNat().getIpAllocation()).isEqualTo(NatSpec.IpAllocation.Static);
    assertThat(egress.getNat().getAddresses()).extracting(NatSpec.AddressRef::getName).containsExactly("github-egress-ip");
    assertThat(egress.getFirewall().getLeastPrivilege()).isTrue();
    assertThat(egress.getFirewall().getAllow()).extracting(a -> a.getName()).containsExactly("github", "corp");
  }
}
