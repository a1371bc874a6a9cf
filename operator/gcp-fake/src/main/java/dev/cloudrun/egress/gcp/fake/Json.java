package dev.cloudrun.egress.gcp.fake;

import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Job;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.OperationMetadata;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;

/** Wire format: the real proto messages through protobuf's JSON mapping, as the REST clients use it. */
final class Json {
  /** Every type that travels inside a google.protobuf.Any (long-running operation results). */
  private static final JsonFormat.TypeRegistry ANY_TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(Connector.getDescriptor())
          .add(OperationMetadata.getDescriptor())
          .add(Empty.getDescriptor())
          .add(Job.getDescriptor())
          .add(Execution.getDescriptor())
          .build();
  private static final JsonFormat.Parser PARSER =
      JsonFormat.parser().ignoringUnknownFields().usingTypeRegistry(ANY_TYPES);
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().usingTypeRegistry(ANY_TYPES).omittingInsignificantWhitespace();

  private Json() {}

  static <B extends Message.Builder> B parse(String json, B builder) {
    try {
      PARSER.merge(json.isBlank() ? "{}" : json, builder);
      return builder;
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw ApiError.invalid("Invalid JSON payload received. " + e.getMessage());
    }
  }

  static String print(MessageOrBuilder message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** RFC 7386 JSON merge patch, as compute applies PATCH: objects merge, arrays are replaced whole. */
  @SuppressWarnings("unchecked")
  static <T extends Message> T mergePatch(T target, String patchJson) {
    Struct.Builder merged = parse(print(target), Struct.newBuilder());
    mergeInto(merged, parse(patchJson, Struct.newBuilder()).build());
    return (T) parse(print(merged), target.newBuilderForType()).build();
  }

  private static void mergeInto(Struct.Builder target, Struct patch) {
    patch.getFieldsMap().forEach((key, value) -> {
      if (value.hasNullValue()) {
        target.removeFields(key);
      } else if (value.hasStructValue()) {
        Value existing = target.getFieldsOrDefault(key, Value.getDefaultInstance());
        Struct.Builder inner = existing.hasStructValue() ? existing.getStructValue().toBuilder() : Struct.newBuilder();
        mergeInto(inner, value.getStructValue());
        target.putFields(key, Value.newBuilder().setStructValue(inner).build());
      } else {
        target.putFields(key, value);
      }
    });
  }

  /** {@code {"error":{"code","message","status"}}}; compute adds {@code errors[]} with a reason. */
  static String errorBody(ApiError error, boolean withReason) {
    String message = quote(error.getMessage());
    String errors = withReason
        ? ",\"errors\":[{\"message\":" + message + ",\"domain\":\"global\",\"reason\":\"" + error.reason + "\"}]"
        : "";
    return "{\"error\":{\"code\":" + error.httpStatus + ",\"message\":" + message
        + ",\"status\":\"" + error.code.name() + "\"" + errors + "}}";
  }

  private static String quote(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : String.valueOf(text).toCharArray()) {
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        default -> {
          if (c < 0x20) {
            quoted.append(String.format("\\u%04x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }
}
