package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import java.util.LinkedHashMap;
import java.util.Map;

/** How tools other than the operator read a resource's status, re-implemented from their sources. */
public final class StatusReaders {
  private static final Configuration JSON_PATH = Configuration.builder()
      .jsonProvider(new JacksonJsonNodeJsonProvider())
      .mappingProvider(new JacksonMappingProvider())
      .options(Option.ALWAYS_RETURN_LIST, Option.SUPPRESS_EXCEPTIONS)
      .build();

  private StatusReaders() {}

  /**
   * {@code kubectl wait --for=condition=TYPE=STATUS} (kubectl's ConditionalWait.checkCondition):
   * the first condition whose type matches case-insensitively decides, and it counts only when
   * its observedGeneration (or else the status's) is not behind metadata.generation.
   */
  public static boolean kubectlWaitConditionMet(JsonNode resource, String type, String status) {
    for (JsonNode condition : resource.at("/status/conditions")) {
      if (!condition.path("type").asText().equalsIgnoreCase(type) || !condition.path("status").isTextual()) {
        continue;
      }
      JsonNode generation = resource.at("/metadata/generation");
      JsonNode observed = condition.has("observedGeneration") ? condition.get("observedGeneration") : resource.at("/status/observedGeneration");
      if (generation.isNumber() && observed.isNumber() && observed.asLong() < generation.asLong()) {
        return false;
      }
      return condition.path("status").asText().equalsIgnoreCase(status);
    }
    return false;
  }

  /**
   * kstatus' verdict (sigs.k8s.io/cli-utils, as Flux uses it), in its order: Terminating while
   * deleted, InProgress while status is behind the spec or Reconciling is True, Failed when Stalled
   * is True, Current when Ready is True, InProgress when Ready is False, Current without conditions.
   */
  public static String kstatus(JsonNode resource) {
    if (resource.at("/metadata/deletionTimestamp").isTextual()) {
      return "Terminating";
    }
    JsonNode observed = resource.at("/status/observedGeneration");
    if (observed.isNumber() && observed.asLong() != resource.at("/metadata/generation").asLong()) {
      return "InProgress";
    }
    if (conditionIs(resource, "Reconciling", "True")) {
      return "InProgress";
    }
    if (conditionIs(resource, "Stalled", "True")) {
      return "Failed";
    }
    if (conditionIs(resource, "Ready", "True")) {
      return "Current";
    }
    return conditionIs(resource, "Ready", "False") ? "InProgress" : "Current";
  }

  private static boolean conditionIs(JsonNode resource, String type, String status) {
    for (JsonNode condition : resource.at("/status/conditions")) {
      if (type.equals(condition.path("type").asText())) {
        return status.equals(condition.path("status").asText());
      }
    }
    return false;
  }

  /**
   * The cells `kubectl get` shows for a resource, by column name: each additionalPrinterColumn's
   * JSONPath evaluated as the API server's table convertor does (only the first match is shown;
   * none is printed as {@code <none>}). Kubernetes JSONPath starts at the object, Jayway's at $.
   */
  public static Map<String, String> printerColumns(JsonNode crdVersion, JsonNode resource) {
    Map<String, String> cells = new LinkedHashMap<>();
    for (JsonNode column : crdVersion.path("additionalPrinterColumns")) {
      JsonNode matches = JsonPath.using(JSON_PATH).parse(resource).read("$" + column.path("jsonPath").asText(), JsonNode.class);
      JsonNode first = matches == null || matches.isEmpty() ? null : matches.get(0);
      cells.put(column.path("name").asText(), first == null || first.isNull() ? "<none>" : first.asText());
    }
    return cells;
  }
}
