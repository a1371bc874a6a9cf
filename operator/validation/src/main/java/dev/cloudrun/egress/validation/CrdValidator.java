package dev.cloudrun.egress.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges custom resources against a CRD version the way the API server does on create and update,
 * in its words (local mode prints them as kubectl would; the test tier proves them equal to a real
 * server's on the validation corpus): unknown fields fail the decoding before anything is validated
 * (strict field validation, as kubectl sends), nulls are dropped and schema defaults applied,
 * metadata and the schema are checked as k8s.io/kube-openapi words it, then every
 * x-kubernetes-validations rule is evaluated with cel-java (transition rules, those reading oldSelf,
 * only where an old value exists) unless a schema error blocks them, as the server decides.
 */
public final class CrdValidator {
  /** The server's last cause when a schema error kept it from running the CEL rules: a note, not an error of the object. */
  public static final String RULES_SKIPPED =
      "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

  private static final Set<String> META_FIELDS = Set.of("apiVersion", "kind", "metadata");

  /** Schema errors after which the server runs no CEL rule (apiextensions-apiserver's hasBlockingErr). */
  private static final Set<FieldError.Type> BLOCKING = Set.of(FieldError.Type.NOT_SUPPORTED, FieldError.Type.REQUIRED,
      FieldError.Type.TOO_LONG, FieldError.Type.TOO_MANY, FieldError.Type.TYPE_INVALID);

  private final JsonNode openApiSchema;
  private final KubernetesCel cel = new KubernetesCel("self", "oldSelf");
  private final String kind;
  private final String group;
  private final String version;
  private final boolean namespaced;
  private final boolean statusSubresource;

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
    this.kind = crd.at("/spec/names/kind").asText();
    this.group = crd.at("/spec/group").asText();
    this.version = version;
    this.namespaced = !"Cluster".equals(crd.at("/spec/scope").asText());
    this.statusSubresource = versionNode.at("/subresources/status").isObject();
  }

  /** The kind the CRD defines, e.g. CloudRunEgressJob. */
  public String kind() {
    return kind;
  }

  /** group/version, as a manifest's apiVersion names it. */
  public String apiVersion() {
    return group + "/" + version;
  }

  public boolean namespaced() {
    return namespaced;
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

  /** The server's answer to a create as one list: its decoding error, else its causes; empty when admitted. */
  public List<String> validateCreate(JsonNode object) {
    return errorsOf(reviewCreate(object));
  }

  /** The server's answer to an update as one list: its decoding error, else its causes; empty when admitted. */
  public List<String> validateUpdate(JsonNode oldObject, JsonNode object) {
    return errorsOf(reviewUpdate(oldObject, object));
  }

  private static List<String> errorsOf(Review review) {
    return review.decodingError() != null ? List.of(review.decodingError()) : review.causes();
  }

  /** What the API server stores: nulls dropped, defaults applied. */
  public JsonNode prepare(JsonNode object) {
    JsonNode copy = object.deepCopy();
    dropNulls(copy);
    applyDefaults(openApiSchema, copy);
    return copy;
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

  /**
   * What the API server answers to a create of this object sent as kubectl sends it (strict field
   * validation), its messages word for word: see {@link Review}.
   */
  public Review reviewCreate(JsonNode object) {
    return review(null, object);
  }

  /**
   * What the API server answers to an update from oldObject to object, transition rules included.
   * Metadata is not checked, and unlike Kubernetes 1.30+ errors are not ratcheted: a value already
   * invalid in oldObject is reported again.
   */
  public Review reviewUpdate(JsonNode oldObject, JsonNode object) {
    return review(oldObject, object);
  }

  private Review review(JsonNode oldObject, JsonNode object) {
    List<String> unknown = new ArrayList<>();
    String[] malformed = new String[1];
    JsonNode decoded = decode(object, unknown, malformed);
    JsonNode self = prepare(decoded);
    JsonNode old = oldObject == null ? null : prepare(decode(oldObject, new ArrayList<>(), new String[1]));
    List<FieldError> errors = new ArrayList<>();
    if (old == null) {
      errors.addAll(new ObjectMetaValidation().validateCreate(self.path("metadata"), namespaced));
    }
    errors.addAll(new OpenApiValidation().validate(openApiSchema, self));
    if (errors.stream().anyMatch(e -> BLOCKING.contains(e.type()))) {
      errors.add(FieldError.invalid("<nil>", null, RULES_SKIPPED));
    } else {
      reviewRules(openApiSchema, self, old, "", errors);
    }
    return new Review(kind, version, object.at("/metadata/name").asText(""), malformed[0], unknown, errors);
  }

  /**
   * What the server's decoder makes of the object: metadata of the wrong JSON type removed (the
   * first reported in malformed[0]), unknown fields pruned (and collected, metadata's first, then
   * the rest sorted), and with a status subresource, no status (a create or update of the resource
   * itself cannot set it).
   */
  private JsonNode decode(JsonNode object, List<String> unknown, String[] malformed) {
    JsonNode copy = object.deepCopy();
    if (copy.path("metadata").isObject()) {
      malformed[0] = ObjectMetaValidation.removeMalformed((ObjectNode) copy.get("metadata"));
      unknown.addAll(ObjectMetaValidation.unknownFields(copy.get("metadata")));
    }
    List<String> pruned = new ArrayList<>();
    prune(openApiSchema, copy, "", true, pruned);
    Collections.sort(pruned);
    unknown.addAll(pruned);
    if (statusSubresource && copy.isObject()) {
      ((ObjectNode) copy).remove("status");
    }
    return copy;
  }

  /** apiextensions-apiserver's pruning algorithm. */
  private static void prune(JsonNode schema, JsonNode value, String path, boolean root, List<String> unknown) {
    boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    if (value.isObject()) {
      JsonNode properties = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      List<String> remove = new ArrayList<>();
      for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (root && META_FIELDS.contains(key)) {
          continue;
        }
        if (properties.has(key)) {
          prune(properties.get(key), value.get(key), join(path, key), false, unknown);
        } else if (additional.isObject()) {
          prune(additional, value.get(key), join(path, key), false, unknown);
        } else if (!preserve) {
          unknown.add(join(path, key));
          remove.add(key);
        }
      }
      ((ObjectNode) value).remove(remove);
    } else if (value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        prune(schema.path("items"), value.get(i), path + "[" + i + "]", false, unknown);
      }
    }
  }

  /** The CEL rules as the server runs them, with its field paths (map keys in brackets) and messages. */
  private void reviewRules(JsonNode schema, JsonNode self, JsonNode old, String path, List<FieldError> errors) {
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      String expression = rule.path("rule").asText();
      boolean transition = expression.contains("oldSelf");
      if (transition && old == null) {
        continue;
      }
      Map<String, JsonNode> vars = new HashMap<>();
      vars.put("self", self);
      vars.put("oldSelf", transition ? old : null);
      String message = rule.path("message").asText("").strip();
      String ruleText = message.isEmpty() ? expression.strip() : message;
      Object result;
      try {
        result = cel.eval(expression, vars);
      } catch (Exception e) {
        errors.add(FieldError.invalid(fieldOf(path), schema.path("type").asText(""), e.getMessage() + " evaluating rule: " + ruleText));
        continue;
      }
      if (Boolean.TRUE.equals(result)) {
        continue;
      }
      String fieldPath = rule.path("fieldPath").asText("").replaceFirst("^\\.", "");
      String at = fieldPath.isEmpty() ? fieldOf(path) : join(path, fieldPath);
      String detail = message.isEmpty() ? "failed rule: " + ruleText : message;
      Object value = ServerMessages.ruleValue(schema, self);
      errors.add(switch (rule.path("reason").asText("")) {
        case "FieldValueForbidden" -> new FieldError(FieldError.Type.FORBIDDEN, at, "", detail);
        case "FieldValueRequired" -> FieldError.required(at, detail);
        case "FieldValueDuplicate" -> new FieldError(FieldError.Type.DUPLICATE, at, value, "");
        default -> FieldError.invalid(at, value, detail);
      });
    }
    if (self.isObject()) {
      JsonNode properties = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      for (Map.Entry<String, JsonNode> field : self.properties()) {
        String key = field.getKey();
        JsonNode oldChild = old == null ? null : old.get(key);
        if (properties.has(key)) {
          reviewRules(properties.get(key), field.getValue(), oldChild, join(path, key), errors);
        } else if (additional.isObject()) {
          reviewRules(additional, field.getValue(), oldChild, path + "[" + key + "]", errors);
        }
      }
    } else if (self.isArray() && schema.has("items")) {
      for (int i = 0; i < self.size(); i++) {
        reviewRules(schema.get("items"), self.get(i), null, path + "[" + i + "]", errors);
      }
    }
  }

  private static String fieldOf(String path) {
    return path.isEmpty() ? "<nil>" : path;
  }
}
