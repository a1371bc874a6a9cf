package dev.cloudrun.egress.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The API server's OpenAPI schema validation of a custom resource (k8s.io/kube-openapi's validate
 * package, as k8s.io/apiextensions-apiserver's ValidateCustomResource turns its errors into field
 * errors): the keywords a structural schema may use, each with the server's message. Errors come in
 * document order, where the server's order varies from run to run (Go map iteration).
 */
final class OpenApiValidation {

  /** Validates an object (already pruned, defaulted and without nulls) against its root schema. */
  List<FieldError> validate(JsonNode schema, JsonNode object) {
    List<FieldError> errors = new ArrayList<>();
    validate(schema, object, "", errors);
    return errors;
  }

  private void validate(JsonNode schema, JsonNode data, String name, List<FieldError> errors) {
    String type = schema.path("type").asText("");
    String actual = typeOf(data);
    if (data.isNull()) {
      if (!type.isEmpty() && !schema.path("nullable").asBoolean(false)) {
        errors.add(typeInvalid(name, type, "null"));
      }
      if (schema.has("enum")) {
        errors.add(notSupported(name, null, schema.get("enum")));
      }
      return;
    }
    if (!type.isEmpty() && !type.equals(actual)
        && !(actual.equals("number") && type.equals("integer") && isIntegral(data))
        && !(actual.equals("integer") && type.equals("number"))) {
      errors.add(typeInvalid(name, type, actual));
    }
    if (data.isTextual()) {
      validateString(schema, data.asText(), name, errors);
    }
    if (data.isNumber()) {
      validateNumber(schema, data, name, errors);
    }
    if (data.isArray()) {
      for (int i = 0; i < data.size(); i++) {
        if (schema.path("items").isObject()) {
          validate(schema.get("items"), data.get(i), name + "[" + i + "]", errors);
        }
      }
      if (schema.has("minItems") && data.size() < schema.get("minItems").asLong()) {
        errors.add(invalid(name, (long) data.size(), "%s in body should have at least %d items".formatted(name, schema.get("minItems").asLong())));
      }
      if (schema.has("maxItems") && data.size() > schema.get("maxItems").asLong()) {
        errors.add(new FieldError(FieldError.Type.TOO_MANY, field(name), (long) data.size(), ServerMessages.tooMany(schema.get("maxItems").asLong())));
      }
    }
    if (schema.has("enum") && !contains(schema.get("enum"), data)) {
      errors.add(notSupported(name, data, schema.get("enum")));
    }
    if (data.isObject()) {
      validateObject(schema, data, name, errors);
    }
  }

  private void validateString(JsonNode schema, String value, String name, List<FieldError> errors) {
    // The server reports the first of these only.
    long length = value.codePointCount(0, value.length());
    if (schema.has("maxLength") && length > schema.get("maxLength").asLong()) {
      errors.add(new FieldError(FieldError.Type.TOO_LONG, field(name), FieldError.OMIT, ServerMessages.tooLong(schema.get("maxLength").asLong())));
    } else if (schema.has("minLength") && length < schema.get("minLength").asLong()) {
      errors.add(invalid(name, value, "%s in body should be at least %d chars long".formatted(name, schema.get("minLength").asLong())));
    } else if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(value).find()) {
      errors.add(invalid(name, value, "%s in body should match '%s'".formatted(name, schema.get("pattern").asText())));
    }
  }

  private void validateNumber(JsonNode schema, JsonNode data, String name, List<FieldError> errors) {
    boolean integral = data.isIntegralNumber();
    Object value = integral ? (Object) data.longValue() : (Object) data.doubleValue();
    String type = schema.path("type").asText("");
    if (type.equals("integer") && !fitsInteger(data, schema.path("format").asText(""))) {
      // kube-openapi's range check of the value against the type: a plain error, without a field
      String format = schema.path("format").asText("");
      errors.add(FieldError.invalid("<nil>", "", "Checked value must be of type integer " + (format.equals("int32") || format.equals("int64")
          ? "with format " + format : "(default format)") + " in " + name));
    }
    if (schema.has("multipleOf")) {
      double factor = schema.get("multipleOf").asDouble();
      double quotient = data.doubleValue() / factor;
      if (factor > 0 && quotient != Math.rint(quotient)) {
        errors.add(invalid(name, value, "%s in body should be a multiple of %s".formatted(name, bound(integral, factor))));
      }
    }
    if (schema.has("minimum")) {
      double min = schema.get("minimum").asDouble();
      boolean exclusive = schema.path("exclusiveMinimum").asBoolean(false);
      boolean below = integral
          ? (exclusive ? data.longValue() <= (long) min : data.longValue() < (long) min)
          : (exclusive ? data.doubleValue() <= min : data.doubleValue() < min);
      if (below) {
        errors.add(invalid(name, value, "%s in body should be greater than %s%s".formatted(name, exclusive ? "" : "or equal to ", bound(integral, min))));
      }
    }
    if (schema.has("maximum")) {
      double max = schema.get("maximum").asDouble();
      boolean exclusive = schema.path("exclusiveMaximum").asBoolean(false);
      boolean above = integral
          ? (exclusive ? data.longValue() >= (long) max : data.longValue() > (long) max)
          : (exclusive ? data.doubleValue() >= max : data.doubleValue() > max);
      if (above) {
        errors.add(invalid(name, value, "%s in body should be less than %s%s".formatted(name, exclusive ? "" : "or equal to ", bound(integral, max))));
      }
    }
  }

  private void validateObject(JsonNode schema, JsonNode data, String name, List<FieldError> errors) {
    long size = data.size();
    if (schema.has("minProperties") && size < schema.get("minProperties").asLong()) {
      errors.add(invalid(name, size, "%s in body should have at least %d properties".formatted(name, schema.get("minProperties").asLong())));
    }
    if (schema.has("maxProperties") && size > schema.get("maxProperties").asLong()) {
      errors.add(new FieldError(FieldError.Type.TOO_MANY, field(name), size, ServerMessages.tooMany(schema.get("maxProperties").asLong())));
    }
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.path("additionalProperties");
    for (Map.Entry<String, JsonNode> entry : data.properties()) {
      String key = entry.getKey();
      if (properties.has(key)) {
        validate(properties.get(key), entry.getValue(), name.isEmpty() ? key : name + "." + key, errors);
      } else if (additional.isObject()) {
        validate(additional, entry.getValue(), name + "." + key, errors);
      }
    }
    for (JsonNode required : schema.path("required")) {
      if (!data.has(required.asText())) {
        errors.add(FieldError.required(field(name + "." + required.asText()), ""));
      }
    }
  }

  private FieldError typeInvalid(String name, String expected, String actual) {
    return new FieldError(FieldError.Type.TYPE_INVALID, field(name), actual,
        "%s in body must be of type %s: %s".formatted(name, expected, FieldError.quote(actual)));
  }

  private FieldError notSupported(String name, Object value, JsonNode allowed) {
    List<String> quoted = new ArrayList<>();
    allowed.forEach(v -> quoted.add(FieldError.quote(v.isTextual() ? v.asText() : v.toString())));
    return new FieldError(FieldError.Type.NOT_SUPPORTED, field(name), value, "supported values: " + String.join(", ", quoted));
  }

  private static FieldError invalid(String name, Object value, String detail) {
    return FieldError.invalid(field(name), value, detail);
  }

  /** The server's field for a kube-openapi error name: without a leading dot; none at the root. */
  private static String field(String name) {
    return name.isEmpty() || name.equals(".") ? "<nil>" : name.startsWith(".") ? name.substring(1) : name;
  }

  /** A bound as the server prints it: converted to the data's kind (int64 or float64), then %v. */
  private static String bound(boolean integral, double bound) {
    return integral ? String.valueOf((long) bound) : FieldError.goFloat(bound);
  }

  private static String typeOf(JsonNode data) {
    if (data.isTextual()) {
      return "string";
    }
    if (data.isIntegralNumber()) {
      return "integer";
    }
    if (data.isNumber()) {
      return "number";
    }
    if (data.isBoolean()) {
      return "boolean";
    }
    if (data.isArray()) {
      return "array";
    }
    if (data.isObject()) {
      return "object";
    }
    return "null";
  }

  /** Whether the number, printed as Go's swag.FormatFloat64 prints it, parses as an int64 (int32 with that format). */
  private static boolean fitsInteger(JsonNode number, String format) {
    if (!number.isIntegralNumber() && !isIntegral(number)) {
      return false;
    }
    double d = number.doubleValue();
    return format.equals("int32") ? d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE : number.isIntegralNumber() ? number.canConvertToLong()
        : d >= -9.223372036854775808E18 && d < 9.223372036854775808E18;
  }

  private static boolean isIntegral(JsonNode number) {
    double d = number.doubleValue();
    return d == Math.rint(d) && !Double.isInfinite(d);
  }

  private static boolean contains(JsonNode allowed, JsonNode value) {
    for (JsonNode candidate : allowed) {
      if (candidate.isNumber() && value.isNumber() ? candidate.doubleValue() == value.doubleValue() : candidate.equals(value)) {
        return true;
      }
    }
    return false;
  }
}
