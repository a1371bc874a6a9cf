package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.BiConsumer;

/** Walks OpenAPI schemas of CRDs, naming each node by its path (items as [], map values as {}). */
public final class Schemas {
  private Schemas() {}

  /** Visits every property schema below the root (not items or map values themselves), with its path. */
  public static void walkProperties(JsonNode node, String path, BiConsumer<String, JsonNode> visitor) {
    walkSchemas(node, path, (p, schema) -> {
      if (!p.equals(path) && !p.endsWith("[]") && !p.endsWith("{}")) {
        visitor.accept(p, schema);
      }
    });
  }

  /** Visits every schema node: the root, properties, list items and map values. */
  public static void walkSchemas(JsonNode node, String path, BiConsumer<String, JsonNode> visitor) {
    visitor.accept(path, node);
    node.path("properties").properties().forEach(p ->
        walkSchemas(p.getValue(), path.isEmpty() ? p.getKey() : path + "." + p.getKey(), visitor));
    if (node.path("items").isObject()) {
      walkSchemas(node.get("items"), path + "[]", visitor);
    }
    if (node.path("additionalProperties").isObject()) {
      walkSchemas(node.get("additionalProperties"), path + "{}", visitor);
    }
  }
}
