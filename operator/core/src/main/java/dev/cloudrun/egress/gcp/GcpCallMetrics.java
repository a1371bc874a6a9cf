package dev.cloudrun.egress.gcp;

import com.google.api.gax.httpjson.ApiMethodDescriptor;
import com.google.api.gax.httpjson.ForwardingHttpJsonClientCall.SimpleForwardingHttpJsonClientCall;
import com.google.api.gax.httpjson.ForwardingHttpJsonClientCallListener.SimpleForwardingHttpJsonClientCallListener;
import com.google.api.gax.httpjson.HttpJsonCallOptions;
import com.google.api.gax.httpjson.HttpJsonChannel;
import com.google.api.gax.httpjson.HttpJsonClientCall;
import com.google.api.gax.httpjson.HttpJsonClientInterceptor;
import com.google.api.gax.httpjson.HttpJsonInterceptorProvider;
import com.google.api.gax.httpjson.HttpJsonMetadata;
import com.google.api.gax.httpjson.HttpJsonStatusCode;
import com.google.api.gax.rpc.StatusCode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Times every call to a GCP API, as the transport sees it, by {@code api} (vpcaccess, compute, run),
 * {@code method} (the RPC, e.g. {@code Routers/List}, {@code Operations/GetOperation}) and
 * {@code outcome} (the canonical code the status maps to: OK, NOT_FOUND, ABORTED, UNAVAILABLE...).
 * Prometheus: {@code crej_gcp_calls_seconds_count} and {@code _sum}.
 */
public final class GcpCallMetrics {
  public static final String NAME = "crej.gcp.calls";

  private final MeterRegistry registry;

  public GcpCallMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One finished call, started at {@code startNanos} ({@link System#nanoTime()}). */
  void record(String api, String method, StatusCode.Code outcome, long startNanos) {
    Timer.builder(NAME)
        .description("GCP API calls by API, method and outcome")
        .tags("api", api, "method", method, "outcome", outcome.name())
        .register(registry)
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  /** The canonical code an HTTP status maps to, as the clients map it to exceptions. */
  static StatusCode.Code outcome(int httpStatus) {
    return HttpJsonStatusCode.of(httpStatus).getCode();
  }

  /** For an official client's transport: records each of its calls under {@code api}. */
  HttpJsonInterceptorProvider interceptorsFor(String api) {
    HttpJsonClientInterceptor timing = new HttpJsonClientInterceptor() {
      @Override
      public <Q, R> HttpJsonClientCall<Q, R> interceptCall(ApiMethodDescriptor<Q, R> method, HttpJsonCallOptions options, HttpJsonChannel next) {
        String rpc = shortName(method.getFullMethodName());
        return new SimpleForwardingHttpJsonClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, HttpJsonMetadata headers) {
            long start = System.nanoTime();
            super.start(new SimpleForwardingHttpJsonClientCallListener<>(listener) {
              @Override
              public void onClose(int statusCode, HttpJsonMetadata trailers) {
                record(api, rpc, outcome(statusCode), start);
                super.onClose(statusCode, trailers);
              }
            }, headers);
          }
        };
      }
    };
    return () -> List.of(timing);
  }

  /** "google.cloud.compute.v1.Routers/List" → "Routers/List". */
  private static String shortName(String fullMethodName) {
    int slash = fullMethodName.indexOf('/');
    int service = fullMethodName.lastIndexOf('.', slash < 0 ? fullMethodName.length() : slash);
    return fullMethodName.substring(service + 1);
  }
}
