package dev.cloudrun.egress.validation;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The API server's wording where it is not a rule's own message: k8s.io/apimachinery's field
 * errors and k8s.io/apiextensions-apiserver's CEL validator, as Kubernetes 1.36 words them (the
 * test tier's server, which {@code AdmissionOnRealApiServerIT} compares them with). Older releases
 * word some of them differently (lengths in characters, values as their type).
 */
final class ServerMessages {
  private ServerMessages() {}

  /** {@code field.TooLong}. */
  static String tooLong(long max) {
    return "may not be more than " + max + (max == 1 ? " byte" : " bytes");
  }

  /** {@code field.TooMany}. */
  static String tooMany(long max) {
    return "must have at most " + max + (max == 1 ? " item" : " items");
  }

  /** The bad value of a failed x-kubernetes-validations rule: the value itself, nothing for objects and lists. */
  static Object ruleValue(JsonNode schema, JsonNode self) {
    String type = schema.path("type").asText("");
    if (type.equals("object") || type.equals("array") || self.isContainerNode()) {
      return FieldError.OMIT;
    }
    return self;
  }

  /** {@code validation.MaxLenError}. */
  static String maxLen(int length) {
    return "must be no more than " + length + " bytes";
  }
}
