package dev.cloudrun.egress.gcp.fake;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP side: decodes a call the way the REST clients send it, counts it, injects faults, answers. */
final class HttpFront implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpFront.class);

  private final Routes routes;
  private final Simulation simulation;
  private final Faults faults;
  private final Calls calls;
  private final HttpServer server;
  private final ExecutorService executor;

  HttpFront(Routes routes, Simulation simulation, Faults faults, Calls calls, InetAddress address, int port) {
    this.routes = routes;
    this.simulation = simulation;
    this.faults = faults;
    this.calls = calls;
    // The JDK server writes headers and body separately; with Nagle's algorithm on, each answer then
    // waits ~40 ms for a delayed ACK. Read once, when the first server is created.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 128);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Threads only wait on I/O and injected delays; state changes are serialised by the Simulation lock.
    executor = Executors.newCachedThreadPool(task -> {
      Thread thread = new Thread(task, "fake-gcp-http");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String httpMethod = Optional.ofNullable(exchange.getRequestHeaders().getFirst("X-HTTP-Method-Override"))
          .orElse(exchange.getRequestMethod());
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      // A request through an HTTP proxy (gcloud's proxy/* properties) names an absolute URI: its
      // path is what counts, whatever host it names (gcloud's REGION-host for Cloud Run, ledger C5).
      Answer answer = answer(httpMethod, exchange.getRequestURI().getPath(), exchange.getRequestURI().getRawQuery(), body,
          exchange.getRequestHeaders().getFirst("Content-Type"), host(exchange.getRequestHeaders().getFirst("Host")));
      send(exchange, answer);
    }
  }

  /** What the fake answers to one call: its HTTP status, body and content type (JSON unless said). */
  record Answer(int status, String body, String contentType) {
    static final String JSON = "application/json; charset=UTF-8";

    Answer(int status, String json) {
      this(status, json, JSON);
    }
  }

  /**
   * As {@link #answer(String, String, String, String)}, and a Compute batch request (ledger C3),
   * which needs its Content-Type. {@code host} is the request's Host header without its port, or null.
   */
  Answer answer(String requestMethod, String path, String rawQuery, String body, String contentType, String host) {
    if (requestMethod.equalsIgnoreCase("POST") && path.equals(ComputeBatch.PATH)) {
      return ComputeBatch.answer(contentType, body, this::answer);
    }
    return answer(requestMethod, path, rawQuery, body, host);
  }

  /** Decodes, counts, injects faults and answers one call, whether it came over HTTP or in process ({@link InProcessTransport}). */
  Answer answer(String requestMethod, String path, String rawQuery, String body) {
    return answer(requestMethod, path, rawQuery, body, (String) null);
  }

  private Answer answer(String requestMethod, String path, String rawQuery, String body, String host) {
    String httpMethod = requestMethod.toUpperCase();
    Optional<Routes.Match> match = routes.match(httpMethod, path);
    if (match.isEmpty()) {
      calls.record(new Calls.Call("unrouted", httpMethod + " " + path, httpMethod.equals("GET"), 404));
      return new Answer(404, Json.errorBody(ApiError.notFound("No fake route for " + httpMethod + " " + path), false));
    }
    Routes.Route route = match.get().route();
    Routes.Request request = new Routes.Request(route.api(), route.method(), match.get().variables(), query(rawQuery), body, host);
    int status = 200;
    String response;
    try {
      faults.beforeCall(route.api(), route.method());
      Object result = simulation.locked(() -> route.handler().handle(request));
      response = result instanceof com.google.protobuf.MessageOrBuilder message ? Json.print(message) : result.toString();
      if (faults.answerLost(route.api(), route.method())) {
        throw ApiError.ofHttp(503, "Injected: the call was carried out and its answer lost.");
      }
    } catch (ApiError error) {
      status = error.httpStatus;
      response = Json.errorBody(error, route.api().equals("compute"));
    } catch (RuntimeException e) {
      LOG.warn("fake GCP failed on {} {}", httpMethod, path, e);
      ApiError error = ApiError.ofHttp(500, "Internal error in the fake: " + e);
      status = error.httpStatus;
      response = Json.errorBody(error, route.api().equals("compute"));
    }
    calls.record(new Calls.Call(route.api(), route.method(), route.isRead(), status), path, rawQuery, body, response);
    return new Answer(status, response);
  }

  /** "host:port" to "host" ("[::1]:8085" to "[::1]"); null stays null. */
  private static String host(String header) {
    if (header == null) {
      return null;
    }
    int colon = header.lastIndexOf(':');
    return colon > header.lastIndexOf(']') ? header.substring(0, colon) : header;
  }

  private static Map<String, String> query(String rawQuery) {
    Map<String, String> values = new HashMap<>();
    if (rawQuery != null) {
      for (String pair : rawQuery.split("&")) {
        int eq = pair.indexOf('=');
        String key = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : pair.substring(eq + 1);
        values.put(URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
      }
    }
    return values;
  }

  private static void send(HttpExchange exchange, Answer answer) throws IOException {
    byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", answer.contentType());
    exchange.sendResponseHeaders(answer.status(), bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
