package dev.cloudrun.egress.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the API server checks of a new custom resource's metadata (k8s.io/apimachinery's
 * ValidateObjectMetaAccessor with NameIsDNSSubdomain): name, namespace and labels, with its
 * messages; and which metadata fields it does not know (strict field validation).
 */
final class ObjectMetaValidation {
  /** ObjectMeta's JSON fields (k8s.io/apimachinery/pkg/apis/meta/v1). */
  static final Set<String> FIELDS = Set.of("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
      "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
      "ownerReferences", "finalizers", "managedFields");

  private static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String DNS1123_SUBDOMAIN = DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*";
  private static final Pattern LABEL = Pattern.compile("^" + DNS1123_LABEL + "$");
  private static final Pattern SUBDOMAIN = Pattern.compile("^" + DNS1123_SUBDOMAIN + "$");
  private static final String QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final Pattern QUALIFIED = Pattern.compile("^" + QUALIFIED_NAME + "$");
  private static final Pattern LABEL_VALUE = Pattern.compile("^(" + QUALIFIED_NAME + ")?$");


  /** Metadata fields ObjectMeta does not have, as "metadata.FIELD". */
  static List<String> unknownFields(JsonNode metadata) {
    List<String> unknown = new ArrayList<>();
    metadata.fieldNames().forEachRemaining(f -> {
      if (!FIELDS.contains(f)) {
        unknown.add("metadata." + f);
      }
    });
    return unknown;
  }

  /**
   * The first metadata field whose JSON type ObjectMeta cannot take, as Go's JSON decoder words it
   * when kubectl decodes the manifest (kubectl then refuses it without sending it); such fields are
   * removed from metadata, so that the rest can still be judged. Null when every field decodes.
   */
  static String removeMalformed(ObjectNode metadata) {
    String first = null;
    List<String> remove = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : metadata.properties()) {
      String key = field.getKey();
      JsonNode value = field.getValue();
      String error = switch (key) {
        case "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp" ->
            value.isTextual() || value.isNull() ? null : typeError(value, key, "string");
        case "generation", "deletionGracePeriodSeconds" -> value.isIntegralNumber() || value.isNull() ? null : typeError(value, key, "int64");
        case "labels", "annotations" -> stringMapError(value, key);
        case "finalizers" -> stringListError(value, key);
        default -> null;
      };
      if (error != null) {
        first = first == null ? error : first;
        remove.add(key);
      }
    }
    metadata.remove(remove);
    return first;
  }

  private static String stringMapError(JsonNode value, String key) {
    if (value.isNull()) {
      return null;
    }
    if (!value.isObject()) {
      return typeError(value, key, "map[string]string");
    }
    for (JsonNode entry : value) {
      if (!entry.isTextual() && !entry.isNull()) {
        return typeError(entry, key, "string");
      }
    }
    return null;
  }

  private static String stringListError(JsonNode value, String key) {
    if (value.isNull()) {
      return null;
    }
    if (!value.isArray()) {
      return typeError(value, key, "[]string");
    }
    for (JsonNode entry : value) {
      if (!entry.isTextual() && !entry.isNull()) {
        return typeError(entry, key, "string");
      }
    }
    return null;
  }

  /** encoding/json's UnmarshalTypeError. */
  private static String typeError(JsonNode value, String field, String goType) {
    String kind = value.isTextual() ? "string" : value.isNumber() ? "number" : value.isBoolean() ? "bool" : value.isArray() ? "array" : "object";
    return "json: cannot unmarshal %s into Go struct field ObjectMeta.metadata.%s of type %s".formatted(kind, field, goType);
  }

  /**
   * The errors of a create. The namespace is checked only when given: kubectl fills in its
   * context's; a cluster-scoped resource's is dropped by the server.
   */
  List<FieldError> validateCreate(JsonNode metadata, boolean namespaced) {
    List<FieldError> errors = new ArrayList<>();
    String generateName = metadata.path("generateName").asText("");
    if (!generateName.isEmpty()) {
      // a prefix: validated as the name it starts, without its trailing dash
      String masked = generateName.endsWith("-") ? generateName.substring(0, generateName.length() - 1) + "a" : generateName;
      dnsSubdomain(masked).forEach(m -> errors.add(FieldError.invalid("metadata.generateName", generateName, m)));
    }
    String name = metadata.path("name").asText("");
    if (name.isEmpty()) {
      errors.add(FieldError.required("metadata.name", "name or generateName is required"));
    } else {
      dnsSubdomain(name).forEach(m -> errors.add(FieldError.invalid("metadata.name", name, m)));
    }
    String namespace = metadata.path("namespace").asText("");
    if (namespaced && !namespace.isEmpty()) {
      dnsLabel(namespace).forEach(m -> errors.add(FieldError.invalid("metadata.namespace", namespace, m)));
    }
    JsonNode labels = metadata.path("labels"); // all strings: see removeMalformed
    if (labels.isObject()) {
      for (Map.Entry<String, JsonNode> label : labels.properties()) {
        labelKey(label.getKey()).forEach(m -> errors.add(FieldError.invalid("metadata.labels", label.getKey(), m)));
        labelValue(label.getValue().asText()).forEach(m -> errors.add(FieldError.invalid("metadata.labels", label.getValue().asText(), m)));
      }
    }
    return errors;
  }

  private List<String> dnsSubdomain(String value) {
    List<String> errors = new ArrayList<>();
    if (value.length() > 253) {
      errors.add(ServerMessages.maxLen(253));
    }
    if (!SUBDOMAIN.matcher(value).matches()) {
      errors.add(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.',"
          + " and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN, "example.com"));
    }
    return errors;
  }

  private List<String> dnsLabel(String value) {
    List<String> errors = new ArrayList<>();
    if (value.length() > 63) {
      errors.add(ServerMessages.maxLen(63));
    }
    if (!LABEL.matcher(value).matches()) {
      errors.add(SUBDOMAIN.matcher(value).matches() ? "must not contain dots"
          : regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-',"
              + " and must start and end with an alphanumeric character", DNS1123_LABEL, "my-name", "123-abc"));
    }
    return errors;
  }

  private List<String> labelKey(String value) {
    List<String> errors = new ArrayList<>();
    String[] parts = value.split("/", -1);
    String name;
    if (parts.length == 1) {
      name = parts[0];
    } else if (parts.length == 2) {
      name = parts[1];
      if (parts[0].isEmpty()) {
        errors.add("prefix part must be non-empty");
      } else {
        dnsSubdomain(parts[0]).forEach(m -> errors.add("prefix part " + m));
      }
    } else {
      errors.add("a qualified name " + regexError(QUALIFIED_MESSAGE, QUALIFIED_NAME, "MyName", "my.name", "123-abc")
          + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errors;
    }
    if (name.isEmpty()) {
      errors.add("name part must be non-empty");
    } else if (name.length() > 63) {
      errors.add("name part " + ServerMessages.maxLen(63));
    }
    if (!QUALIFIED.matcher(name).matches()) {
      errors.add("name part " + regexError(QUALIFIED_MESSAGE, QUALIFIED_NAME, "MyName", "my.name", "123-abc"));
    }
    return errors;
  }

  private List<String> labelValue(String value) {
    List<String> errors = new ArrayList<>();
    if (value.length() > 63) {
      errors.add(ServerMessages.maxLen(63));
    }
    if (!LABEL_VALUE.matcher(value).matches()) {
      errors.add(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.',"
          + " and must start and end with an alphanumeric character", "(" + QUALIFIED_NAME + ")?", "MyValue", "my_value", "12345"));
    }
    return errors;
  }

  private static final String QUALIFIED_MESSAGE =
      "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

  /** {@code validation.RegexError}. */
  private static String regexError(String message, String regex, String... examples) {
    StringBuilder s = new StringBuilder(message).append(" (e.g. ");
    for (int i = 0; i < examples.length; i++) {
      s.append(i > 0 ? " or " : "").append('\'').append(examples[i]).append("', ");
    }
    return s.append("regex used for validation is '").append(regex).append("')").toString();
  }
}
