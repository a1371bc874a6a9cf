package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Validates custom resources against a CRD version's schema the way the API server does on create
 * and update: drop nulls, apply schema defaults, check the structural schema (rejecting unknown
 * fields, as kubectl's strict field validation does), then evaluate every x-kubernetes-validations
 * rule with cel-java, transition rules (those reading oldSelf) only where an old value exists.
 * Errors read "path: message", as the API server prints them.
 */
public final class CrdValidator {

  private final JsonNode openApiSchema;
  private final JsonSchema structuralSchema;
  private final KubernetesCel cel = new KubernetesCel("self", "oldSelf");

  public CrdValidator(JsonNode crd, String version) {
    JsonNode versionNode = null;
    for (JsonNode v : crd.at("/spec/versions")) {
      if (v.path("name").asText().equals(version)) {
        versionNode = v;
      }
    }
    if (versionNode == null) {
      throw new IllegalArgumentException("CRD has no version " + version);
    }
    this.openApiSchema = versionNode.at("/schema/openAPIV3Schema");
    JsonNode strict = openApiSchema.deepCopy();
    forbidUnknownFields(strict, true);
    this.structuralSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(strict);
  }

  public JsonNode schema() {
    return openApiSchema;
  }

  /** Messages of the schema's x-kubernetes-validations rules that none of these errors reports. */
  public List<String> rulesNeverReported(Collection<String> errors) {
    List<String> messages = new ArrayList<>();
    collectRuleMessages(openApiSchema, messages);
    messages.removeIf(message -> errors.stream().anyMatch(error -> error.endsWith(": " + message)));
    return messages;
  }

  private static void collectRuleMessages(JsonNode schema, List<String> messages) {
    if (!schema.isObject()) {
      return;
    }
    schema.path("x-kubernetes-validations").forEach(rule -> messages.add(rule.path("message").asText()));
    schema.path("properties").forEach(child -> collectRuleMessages(child, messages));
    collectRuleMessages(schema.path("items"), messages);
    collectRuleMessages(schema.path("additionalProperties"), messages);
  }

  public List<String> validateCreate(JsonNode object) {
    return validate(null, object);
  }

  public List<String> validateUpdate(JsonNode oldObject, JsonNode object) {
    return validate(oldObject, object);
  }

  private List<String> validate(JsonNode oldObject, JsonNode object) {
    JsonNode self = prepare(object);
    JsonNode old = oldObject == null ? null : prepare(oldObject);
    List<String> errors = new ArrayList<>();
    for (ValidationMessage m : structuralSchema.validate(self)) {
      String path = m.getInstanceLocation().toString().replaceFirst("^\\$\\.?", "");
      errors.add(path + ": " + m.getError());
    }
    if (errors.isEmpty()) {
      // Like the API server, rules only run on values whose type the schema accepted.
      evaluateRules(openApiSchema, self, old, "", errors);
    }
    return errors;
  }

  /** What the API server stores: nulls dropped, defaults applied. */
  public JsonNode prepare(JsonNode object) {
    JsonNode copy = object.deepCopy();
    dropNulls(copy);
    applyDefaults(openApiSchema, copy);
    return copy;
  }

  private void evaluateRules(JsonNode schema, JsonNode self, JsonNode old, String path, List<String> errors) {
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      String expression = rule.path("rule").asText();
      boolean transition = expression.contains("oldSelf");
      if (transition && old == null) {
        continue;
      }
      Map<String, JsonNode> vars = new HashMap<>();
      vars.put("self", self);
      vars.put("oldSelf", transition ? old : null);
      String at = path + rule.path("fieldPath").asText("");
      try {
        Object result = cel.eval(expression, vars);
        if (!Boolean.TRUE.equals(result)) {
          errors.add(at + ": " + rule.path("message").asText("failed rule: " + expression));
        }
      } catch (Exception e) {
        errors.add(at + ": rule evaluation error in '" + expression + "': " + e.getMessage());
      }
    }
    if (self.isObject()) {
      JsonNode properties = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = self.properties().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        JsonNode childSchema = properties.has(field.getKey()) ? properties.get(field.getKey()) : additional;
        if (childSchema.isObject()) {
          JsonNode oldChild = old == null ? null : old.get(field.getKey());
          evaluateRules(childSchema, field.getValue(), oldChild, join(path, field.getKey()), errors);
        }
      }
    } else if (self.isArray() && schema.has("items")) {
      // Atomic lists: items are not correlated with old items, so their transition rules don't run.
      for (int i = 0; i < self.size(); i++) {
        evaluateRules(schema.get("items"), self.get(i), null, path + "[" + i + "]", errors);
      }
    }
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static void applyDefaults(JsonNode schema, JsonNode value) {
    if (value.isObject()) {
      ObjectNode object = (ObjectNode) value;
      schema.path("properties").properties().forEach(p -> {
        if (!object.has(p.getKey()) && p.getValue().has("default")) {
          object.set(p.getKey(), p.getValue().get("default").deepCopy());
        }
      });
      object.properties().forEach(f -> {
        JsonNode childSchema = schema.path("properties").has(f.getKey())
            ? schema.path("properties").get(f.getKey())
            : schema.path("additionalProperties");
        applyDefaults(childSchema, f.getValue());
      });
    } else if (value.isArray()) {
      value.forEach(item -> applyDefaults(schema.path("items"), item));
    }
  }

  private static void dropNulls(JsonNode value) {
    if (value.isObject()) {
      ObjectNode object = (ObjectNode) value;
      List<String> nulls = new ArrayList<>();
      object.properties().forEach(f -> {
        if (f.getValue().isNull()) {
          nulls.add(f.getKey());
        }
      });
      object.remove(nulls);
    }
    value.forEach(CrdValidator::dropNulls);
  }

  /** Emulates strict field validation: an object schema with properties accepts no others. */
  private static void forbidUnknownFields(JsonNode schema, boolean root) {
    if (!schema.isObject()) {
      return;
    }
    ObjectNode object = (ObjectNode) schema;
    // Kubernetes extensions mean nothing to a JSON Schema validator; rules are evaluated separately.
    object.remove(List.of("x-kubernetes-validations"));
    if (!root && object.has("properties") && !object.has("additionalProperties")
        && !object.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
      object.set("additionalProperties", BooleanNode.FALSE);
    }
    object.path("properties").forEach(child -> forbidUnknownFields(child, false));
    forbidUnknownFields(object.path("items"), false);
    forbidUnknownFields(object.path("additionalProperties"), false);
  }
}
