package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.RealApiServer;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What users read with kubectl, as the real server renders it: `kubectl get crej` is a Table the
 * server builds from the CRD's printer columns, and `kubectl explain` reads the server's OpenAPI v3.
 */
class KubectlOnRealApiServerIT {
  private static final RealApiServer SERVER = RealApiServer.shared();
  private static final String NAMESPACE = "kubectl-columns";
  private static KubernetesClient client;

  @BeforeAll
  static void installCrds() {
    client = SERVER.client();
    SERVER.installCrds(client);
    RealApiServer.ensureNamespaces(client, List.of(NAMESPACE));
  }

  @AfterAll
  static void deleteWhatThisClassMade() {
    client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).delete();
    client.close();
  }

  @Test
  void getShowsTheDeclaredColumnsWithTheStatusTheOperatorWrites() throws Exception {
    CloudRunEgressJob seed = Serialization.unmarshal(
        Files.readString(Manifests.projectRoot().resolve("examples/01-seed-github-static-ip.yaml")), CloudRunEgressJob.class);
    seed.getMetadata().setNamespace(NAMESPACE);
    CloudRunEgressJob created = client.resource(seed).create();
    CloudRunEgressJobStatus status = new CloudRunEgressJobStatus();
    status.setEgressIPs(new ArrayList<>(List.of("34.105.0.10", "34.105.0.11")));
    status.getConditions().add(condition("MetadataReachable", "True", "MetadataBypassesProxy"));
    status.getConditions().add(condition("Ready", "False", "WaitingForSharedConnector"));
    created.setStatus(status);
    client.resource(created).updateStatus();

    RealApiServer.Result get = SERVER.kubectl("get", "crej", "-n", NAMESPACE);

    assertThat(get.exitCode()).as(get.err()).isZero();
    List<String> lines = get.out().lines().toList();
    List<String> declared = new ArrayList<>(List.of("NAME"));
    for (JsonNode column : Crds.cloudRunEgressJob().at("/spec/versions/0/additionalPrinterColumns")) {
      declared.add(column.path("name").asText().toUpperCase());
    }
    assertThat(List.of(lines.get(0).trim().split("\\s+"))).containsExactlyElementsOf(declared);
    // A JSONPath with several results shows the first only: the column is the first egress IP (as StatusReaders reads it).
    assertThat(List.of(lines.get(1).trim().split("\\s+")))
        .startsWith("my-agent-4", "europe-west2", "AllTraffic", "34.105.0.10", "True", "False", "WaitingForSharedConnector");
    System.out.println(get.out());
  }

  @Test
  void explainReadsTheModelsDescriptionsFromTheServersOpenApi() {
    RealApiServer.Result explain = SERVER.kubectl("explain", "crej.spec.egress.connector.replacePolicy");

    assertThat(explain.exitCode()).as(explain.err()).isZero();
    String described = Crds.cloudRunEgressJob()
        .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/egress/properties/connector/properties/replacePolicy/description").asText();
    // kubectl wraps the text; compare it word by word.
    assertThat(String.join(" ", explain.out().split("\\s+"))).contains(String.join(" ", described.split("\\s+")));
    assertThat(explain.out()).contains("GROUP:      egress.cloudrun.dev").contains("KIND:       CloudRunEgressJob");
  }

  private static io.fabric8.kubernetes.api.model.Condition condition(String type, String value, String reason) {
    return new ConditionBuilder().withType(type).withStatus(value).withReason(reason).withMessage(reason)
        .withLastTransitionTime("2026-11-30T12:00:00Z").withObservedGeneration(1L).build();
  }
}
