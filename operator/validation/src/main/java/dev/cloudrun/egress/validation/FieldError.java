package dev.cloudrun.egress.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;

/**
 * One error of an API server's refusal, as Kubernetes' {@code field.Error}
 * (k8s.io/apimachinery/pkg/util/validation/field) renders it: {@code toString()} is its
 * {@code Error()}, "FIELD: BODY", and {@link #body()} its {@code ErrorBody()}, the message a
 * Status cause carries. The bad value is rendered as Go does: strings quoted, numbers and booleans
 * bare, other values as JSON, {@link #OMIT} not at all.
 *
 * @param field the field path, e.g. {@code spec.job.env[0].name}; {@code <nil>} for none
 * @param badValue a String, Long, Double, Boolean, JsonNode, null or {@link #OMIT}
 */
public record FieldError(Type type, String field, Object badValue, String detail) {

  /** The value is left out of the message (Go's {@code field.OmitValueType}). */
  public static final Object OMIT = new Object() {
    @Override
    public String toString() {
      return "<omitted>";
    }
  };

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Go's {@code field.ErrorType}, by the text it renders. */
  public enum Type {
    NOT_FOUND("Not found", true),
    REQUIRED("Required value", false),
    DUPLICATE("Duplicate value", true),
    INVALID("Invalid value", true),
    /** A value of the wrong type; renders as INVALID does, but blocks CEL rules. */
    TYPE_INVALID("Invalid value", true),
    NOT_SUPPORTED("Unsupported value", true),
    FORBIDDEN("Forbidden", false),
    TOO_LONG("Too long", false),
    TOO_MANY("Too many", true),
    INTERNAL("Internal error", false);

    private final String text;
    private final boolean showsValue;

    Type(String text, boolean showsValue) {
      this.text = text;
      this.showsValue = showsValue;
    }

    public String text() {
      return text;
    }
  }

  public static FieldError invalid(String field, Object value, String detail) {
    return new FieldError(Type.INVALID, field, value, detail);
  }

  public static FieldError required(String field, String detail) {
    return new FieldError(Type.REQUIRED, field, "", detail);
  }

  /** The message without the field, as a Status cause carries it. */
  public String body() {
    StringBuilder s = new StringBuilder(type.text);
    if (type.showsValue && badValue != OMIT) {
      s.append(": ").append(render(badValue));
    }
    if (detail != null && !detail.isEmpty()) {
      s.append(": ").append(detail);
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return field + ": " + body();
  }

  /** A value as Go's ErrorBody prints it. */
  static String render(Object value) {
    if (value instanceof String s) {
      return quote(s);
    }
    if (value instanceof Double d) {
      return goFloat(d);
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    if (value instanceof JsonNode node) {
      if (node.isTextual()) {
        return quote(node.asText());
      }
      if (node.isFloatingPointNumber()) {
        return goFloat(node.doubleValue());
      }
      if (node.isNumber() || node.isBoolean()) {
        return node.asText();
      }
    }
    try {
      return JSON.writeValueAsString(value);
    } catch (Exception e) {
      return String.valueOf(value);
    }
  }

  /** Go's %q (strconv.Quote) for the characters a manifest holds. */
  static String quote(String s) {
    StringBuilder q = new StringBuilder("\"");
    s.codePoints().forEach(c -> {
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\r' -> q.append("\\r");
        case '\t' -> q.append("\\t");
        case 0x07 -> q.append("\\a");
        case '\b' -> q.append("\\b");
        case '\f' -> q.append("\\f");
        case 0x0b -> q.append("\\v");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            q.append(String.format("\\x%02x", c));
          } else if (Character.isISOControl(c) || !Character.isDefined(c)) {
            q.append(c <= 0xffff ? String.format("\\u%04x", c) : String.format("\\U%08x", c));
          } else {
            q.appendCodePoint(c);
          }
        }
      }
    });
    return q.append('"').toString();
  }

  /** Go's %v of a float64 (%g, shortest digits): the %e form for exponents below -4 or from 6 up. */
  static String goFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "+Inf" : "-Inf";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0" : "0";
    }
    BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    int exponent = shortest.precision() - shortest.scale() - 1;
    if (exponent < -4 || exponent >= 6) {
      String digits = shortest.unscaledValue().abs().toString();
      StringBuilder e = new StringBuilder(d < 0 ? "-" : "").append(digits.charAt(0));
      if (digits.length() > 1) {
        e.append('.').append(digits, 1, digits.length());
      }
      return e.append('e').append(exponent < 0 ? '-' : '+').append(String.format("%02d", Math.abs(exponent))).toString();
    }
    return shortest.toPlainString();
  }
}
