package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.Schemas;
import dev.cloudrun.egress.validation.KubernetesCel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generated CRD: names, printer columns, documentation and rules as users will meet them. */
class CloudRunEgressJobCrdTest {

  private final JsonNode crd = Crds.cloudRunEgressJob();
  private final JsonNode version = crd.at("/spec/versions/0");
  private final JsonNode schema = version.at("/schema/openAPIV3Schema");

  @Test
  void namesGroupAndScope() {
    assertThat(crd.at("/metadata/name").asText()).isEqualTo("cloudrunegressjobs.egress.cloudrun.dev");
    assertThat(crd.at("/spec/group").asText()).isEqualTo("egress.cloudrun.dev");
    assertThat(crd.at("/spec/scope").asText()).isEqualTo("Namespaced");
    JsonNode names = crd.at("/spec/names");
    assertThat(names.path("kind").asText()).isEqualTo("CloudRunEgressJob");
    assertThat(names.path("plural").asText()).isEqualTo("cloudrunegressjobs");
    assertThat(Manifests.texts(names.path("shortNames"))).containsExactly("crej");
    assertThat(Manifests.texts(names.path("categories"))).containsExactly("cloudrun", "egress");
    assertThat(crd.at("/spec/versions").size()).isEqualTo(1);
    assertThat(version.path("name").asText()).isEqualTo("v1alpha1");
    assertThat(version.path("served").asBoolean()).isTrue();
    assertThat(version.path("storage").asBoolean()).isTrue();
    assertThat(version.at("/subresources/status").isObject()).as("status subresource").isTrue();
  }

  @Test
  void printerColumnsInTheOrderKubectlShowsThem() {
    List<String> columns = new ArrayList<>();
    version.path("additionalPrinterColumns").forEach(c -> columns.add(c.path("name").asText() + "=" + c.path("jsonPath").asText()));
    assertThat(columns).containsExactly(
        "Region=.spec.region",
        "Egress=.spec.egress.vpcEgress",
        "Egress-IP=.status.egressIPs[*]",
        "Metadata=.status.conditions[?(@.type==\"MetadataReachable\")].status",
        "Ready=.status.conditions[?(@.type==\"Ready\")].status",
        "Reason=.status.conditions[?(@.type==\"Ready\")].reason",
        "Last-Run=.status.execution.last.phase",
        "Next-Run=.status.execution.schedule.nextRunTime",
        "Age=.metadata.creationTimestamp");
  }

  @Test
  void everyFieldIsDescribedForKubectlExplain() {
    List<String> undocumented = new ArrayList<>();
    Schemas.walkProperties(schema, "", (path, property) -> {
      if (!path.startsWith("status.conditions[].") && property.path("description").asText().isBlank()) {
        undocumented.add(path);
      }
    });
    assertThat(undocumented).isEmpty();
  }

  @Test
  void statusConditionsHaveTheMetav1ConditionShape() {
    JsonNode condition = schema.at("/properties/status/properties/conditions/items/properties");
    assertThat(condition.fieldNames()).toIterable()
        .contains("type", "status", "reason", "message", "lastTransitionTime", "observedGeneration");
  }

  @Test
  void everyRuleCompilesWithStandardCelAndCarriesAMessage() {
    KubernetesCel cel = new KubernetesCel("self", "oldSelf");
    List<String> rules = new ArrayList<>();
    Schemas.walkSchemas(schema, "", (path, node) -> node.path("x-kubernetes-validations").forEach(rule -> {
      rules.add(path);
      cel.compile(rule.path("rule").asText());
      assertThat(rule.path("message").asText()).as("message of rule at %s", path).isNotBlank();
      assertThat(rule.has("messageExpression")).isFalse();
    }));
    assertThat(rules).hasSizeGreaterThan(40);
  }

  @Test
  void stringsAndListsReadByRulesAreBounded() {
    // The API server refuses rules whose estimated cost is unbounded; a maxLength or maxItems bounds it.
    List<String> unbounded = new ArrayList<>();
    Schemas.walkSchemas(schema, "", (path, node) -> {
      if (!node.has("x-kubernetes-validations")) {
        return;
      }
      if ("string".equals(node.path("type").asText()) && !node.has("maxLength") && !node.has("enum")) {
        unbounded.add(path);
      }
      if ("array".equals(node.path("type").asText()) && !node.has("maxItems")) {
        unbounded.add(path);
      }
      if ("object".equals(node.path("type").asText()) && node.has("additionalProperties") && !node.has("maxProperties")) {
        unbounded.add(path);
      }
    });
    assertThat(unbounded).isEmpty();
  }
}
