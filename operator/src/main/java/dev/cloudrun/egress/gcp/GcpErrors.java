package dev.cloudrun.egress.gcp;

import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
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

  /** 429, 5xx and Compute's "rate limit exceeded" 403: worth retrying with backoff. */
  public static boolean isTransient(Throwable error) {
    if (error instanceof ConnectorPatcher.ConnectorPatchException patch) {
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
    return code == StatusCode.Code.PERMISSION_DENIED && String.valueOf(api.getMessage()).matches("(?s).*(rateLimitExceeded|Quota exceeded|Rate Limit Exceeded).*");
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
    return api.getStatusCode().getCode() + ": " + api.getMessage();
  }

  public static ApiException apiException(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ApiException api) {
        return api;
      }
    }
    return null;
  }
}
