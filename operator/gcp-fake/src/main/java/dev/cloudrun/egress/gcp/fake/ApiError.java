package dev.cloudrun.egress.gcp.fake;

import com.google.rpc.Code;
import com.google.rpc.Status;

/**
 * An error as a Google API reports it: an HTTP status (which alone decides the Java client's
 * exception class), the google.rpc code (used inside long-running operations) and, for compute, a
 * reason such as {@code notFound} or {@code rateLimitExceeded}.
 */
final class ApiError extends RuntimeException {
  final int httpStatus;
  final Code code;
  final String reason;

  ApiError(int httpStatus, Code code, String reason, String message) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
    this.code = code;
    this.reason = reason;
  }

  static ApiError invalid(String message) {
    return new ApiError(400, Code.INVALID_ARGUMENT, "invalid", message);
  }

  /** Google maps FAILED_PRECONDITION to HTTP 400, so the REST client raises InvalidArgumentException. */
  static ApiError failedPrecondition(String message) {
    return new ApiError(400, Code.FAILED_PRECONDITION, "failedPrecondition", message);
  }

  static ApiError inUse(String message) {
    return new ApiError(400, Code.FAILED_PRECONDITION, "resourceInUseByAnotherResource", message);
  }

  static ApiError notFound(String message) {
    return new ApiError(404, Code.NOT_FOUND, "notFound", message);
  }

  static ApiError alreadyExists(String message) {
    return new ApiError(409, Code.ALREADY_EXISTS, "alreadyExists", message);
  }

  static ApiError aborted(String message) {
    return new ApiError(409, Code.ABORTED, "aborted", message);
  }

  /** The error a real API sends with this HTTP status; used for injected faults. */
  static ApiError ofHttp(int httpStatus, String message) {
    return switch (httpStatus) {
      case 400 -> invalid(message);
      case 401 -> new ApiError(401, Code.UNAUTHENTICATED, "authError", message);
      case 403 -> new ApiError(403, Code.PERMISSION_DENIED, "rateLimitExceeded", message);
      case 404 -> notFound(message);
      case 409 -> aborted(message);
      case 412 -> new ApiError(412, Code.FAILED_PRECONDITION, "conditionNotMet", message);
      case 429 -> new ApiError(429, Code.RESOURCE_EXHAUSTED, "rateLimitExceeded", message);
      case 500 -> new ApiError(500, Code.INTERNAL, "backendError", message);
      case 503 -> new ApiError(503, Code.UNAVAILABLE, "backendError", message);
      case 504 -> new ApiError(504, Code.DEADLINE_EXCEEDED, "timeout", message);
      default -> throw new IllegalArgumentException("no fault defined for HTTP " + httpStatus);
    };
  }

  /** Compute operations carry this in {@code httpErrorMessage}: the reason phrase in capitals. */
  String reasonPhrase() {
    return reasonPhrase(httpStatus).toUpperCase(java.util.Locale.ROOT);
  }

  /** The HTTP reason phrase of a status the fake answers with. */
  static String reasonPhrase(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 409 -> "Conflict";
      case 412 -> "Precondition Failed";
      case 429 -> "Too Many Requests";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Internal Server Error";
    };
  }

  Status toStatus() {
    return Status.newBuilder().setCode(code.getNumber()).setMessage(getMessage()).build();
  }
}
