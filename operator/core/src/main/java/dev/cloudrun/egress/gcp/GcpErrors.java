package dev.cloudrun.egress.gcp;

import com.google.api.client.http.HttpResponseException;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Set;

/** How the operator reads errors from the Google clients: transient (retry with backoff) or permanent. */
public final class GcpErrors {
  private static final Set<StatusCode.Code> TRANSIENT = Set.of(
      StatusCode.Code.UNAVAILABLE,
      StatusCode.Code.RESOURCE_EXHAUSTED,
      StatusCode.Code.INTERNAL,
      StatusCode.Code.DEADLINE_EXCEEDED,
      StatusCode.Code.UNKNOWN);

  private GcpErrors() {}

  /**
   * A 409 on a call that creates nothing (an update, a delete): another change of the same object
   * raced this one. Worth retrying with backoff, unlike a 409 on an insert ("already exists"), which
   * over REST arrives with the same code and is read by the caller.
   */
  public static final class ConcurrentChange extends RuntimeException {
    private ConcurrentChange(RuntimeException conflict) {
      super(describe(conflict), conflict);
    }
  }

  public static ConcurrentChange concurrentChange(RuntimeException conflict) {
    return new ConcurrentChange(conflict);
  }

  /** Whether GCP answered the call with an error (as opposed to a failure of the operator itself). */
  public static boolean isGcpError(Throwable error) {
    return cause(error, ConnectorPatcher.ConnectorPatchException.class) != null || apiException(error) != null;
  }

  /** 429, 5xx, Compute's "rate limit exceeded" 403 and a {@link ConcurrentChange}: worth retrying with backoff. */
  public static boolean isTransient(Throwable error) {
    if (cause(error, ConcurrentChange.class) != null) {
      return true;
    }
    ConnectorPatcher.ConnectorPatchException patch = cause(error, ConnectorPatcher.ConnectorPatchException.class);
    if (patch != null) {
      return patch.status == 429 || patch.status >= 500;
    }
    ApiException api = apiException(error);
    if (api == null) {
      return false;
    }
    StatusCode.Code code = api.getStatusCode().getCode();
    if (TRANSIENT.contains(code)) {
      return true;
    }
    // Compute signals quota and rate limits as 403 (PERMISSION_DENIED) with this reason.
    return code == StatusCode.Code.PERMISSION_DENIED && detail(api).matches("(?s).*(rateLimitExceeded|Quota exceeded|Rate Limit Exceeded).*");
  }

  public static boolean isNotFound(Throwable error) {
    ApiException api = apiException(error);
    return api != null && api.getStatusCode().getCode() == StatusCode.Code.NOT_FOUND;
  }

  /** Over REST every 409 arrives as ABORTED; over gRPC or in an LRO it is ALREADY_EXISTS. */
  public static boolean isConflict(Throwable error) {
    ApiException api = apiException(error);
    if (api == null) {
      return false;
    }
    StatusCode.Code code = api.getStatusCode().getCode();
    return code == StatusCode.Code.ABORTED || code == StatusCode.Code.ALREADY_EXISTS;
  }

  /** "CODE: message" for conditions and events; the clients' messages carry no secrets. */
  public static String describe(Throwable error) {
    ApiException api = apiException(error);
    if (api == null) {
      return error.getClass().getSimpleName() + ": " + error.getMessage();
    }
    String detail = detail(api);
    return api.getStatusCode().getCode() + ": " + (detail.isEmpty() ? api.getMessage() : detail);
  }

  /**
   * The API's own error text. Over REST the exception's message is only the HTTP reason phrase;
   * the body GCP sent ({"error": {"message", "errors": [{"reason"}]}}) is on the cause.
   */
  static String detail(ApiException api) {
    for (Throwable t = api; t != null; t = t.getCause()) {
      if (t instanceof HttpResponseException http && http.getContent() != null) {
        try {
          JsonObject error = JsonParser.parseString(http.getContent()).getAsJsonObject().getAsJsonObject("error");
          StringBuilder text = new StringBuilder(error.has("message") ? error.get("message").getAsString() : "");
          if (error.has("errors")) {
            error.getAsJsonArray("errors").forEach(e -> {
              if (e.getAsJsonObject().has("reason")) {
                text.append(" [").append(e.getAsJsonObject().get("reason").getAsString()).append("]");
              }
            });
          }
          return text.toString();
        } catch (RuntimeException notJson) {
          return http.getContent();
        }
      }
    }
    return "";
  }

  public static ApiException apiException(Throwable error) {
    return cause(error, ApiException.class);
  }

  /** The first {@code type} in the cause chain: java-operator-sdk hands a failed pass's exception over wrapped. */
  public static <T extends Throwable> T cause(Throwable error, Class<T> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
