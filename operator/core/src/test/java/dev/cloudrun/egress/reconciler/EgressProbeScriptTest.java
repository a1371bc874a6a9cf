package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The probe script the operator gives the probe job, run here with sh and curl against local HTTP
 * servers standing in for the metadata server, a Squid proxy and an egress IP echo service: each
 * documented exit code the machine can produce (all but 21 connect timeout and 23 TLS, which need
 * a black-holed route and port 443).
 */
class EgressProbeScriptTest {
  private static final List<HttpServer> SERVERS = new ArrayList<>();
  private static String metadata;
  private static String refusingMetadata;
  private static String squid;
  private static String echo;
  private static String closed;

  @BeforeAll
  static void servers() throws IOException {
    Assumptions.assumeTrue(onPath("sh") && onPath("curl"), "the probe script needs sh and curl on the PATH (.ci/run installs curl)");
    metadata = serve(exchange -> {
      boolean flavoured = "Google".equals(exchange.getRequestHeaders().getFirst("Metadata-Flavor"));
      exchange.getResponseHeaders().add("Metadata-Flavor", "Google");
      respond(exchange, flavoured ? 200 : 403, flavoured ? "{\"access_token\":\"t\",\"expires_in\":3599}" : "Missing Metadata-Flavor:Google header.");
    });
    refusingMetadata = serve(exchange -> {
      exchange.getResponseHeaders().add("Metadata-Flavor", "Google");
      respond(exchange, 404, "No service account.");
    });
    squid = serve(exchange -> {
      exchange.getResponseHeaders().add("Server", "squid/5.7");
      exchange.getResponseHeaders().add("X-Squid-Error", "ERR_ACCESS_DENIED 0");
      respond(exchange, 403, "<html><body>Access Denied.</body></html>");
    });
    echo = serve(exchange -> respond(exchange, 200, "203.0.113.5\n"));
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = "127.0.0.1:" + socket.getLocalPort();
    }
  }

  @AfterAll
  static void stop() {
    SERVERS.forEach(s -> s.stop(0));
  }

  @Test
  void metadataServerAnsweringIsZero() throws Exception {
    assertThat(probe(Map.of("METADATA_HOSTS", metadata), "metadata")).isZero();
  }

  @Test
  void squidAnsweringForTheMetadataServerIsTen() throws Exception {
    // HTTP_PROXY in upper case, as users set it: client libraries honour it, so the script does too.
    assertThat(probe(Map.of("METADATA_HOSTS", metadata, "HTTP_PROXY", "http://" + squid, "HTTPS_PROXY", "http://" + squid), "metadata"))
        .isEqualTo(10);
  }

  @Test
  void noProxyCoveringTheMetadataHostIsZero() throws Exception {
    assertThat(probe(Map.of("METADATA_HOSTS", metadata, "HTTP_PROXY", "http://" + squid, "NO_PROXY", "localhost,127.0.0.1"), "metadata"))
        .isZero();
  }

  @Test
  void everyMetadataHostMustAnswer() throws Exception {
    assertThat(probe(Map.of("METADATA_HOSTS", metadata + " " + refusingMetadata), "metadata")).isEqualTo(12);
    assertThat(probe(Map.of("METADATA_HOSTS", metadata + " " + closed), "metadata")).isEqualTo(11);
  }

  @Test
  void destinationsByConnectionOutcome() throws Exception {
    assertThat(probe(Map.of(), "dest:" + echo)).isZero();
    assertThat(probe(Map.of(), "dest:" + closed)).isEqualTo(22);
    assertThat(probe(Map.of(), "dest:no-such-host.invalid:443")).isEqualTo(20);
  }

  @Test
  void destinationsBypassTheProxy() throws Exception {
    assertThat(probe(Map.of("HTTP_PROXY", "http://" + squid, "http_proxy", "http://" + squid), "dest:" + echo)).isZero();
  }

  @Test
  void egressIpMustBeOneOfTheStaticOnes() throws Exception {
    assertThat(probe(Map.of(), "egress-ip:203.0.113.9,203.0.113.5:http://" + echo + "/")).isZero();
    assertThat(probe(Map.of(), "egress-ip:203.0.113.9:http://" + echo + "/")).isEqualTo(30);
  }

  @Test
  void theTaskIndexPicksTheCheck() throws Exception {
    assertThat(probe(Map.of("CLOUD_RUN_TASK_INDEX", "1"), "dest:" + echo, "dest:" + closed)).isEqualTo(22);
    assertThat(probe(Map.of("CLOUD_RUN_TASK_INDEX", "2"), "dest:" + echo, "dest:" + closed)).isEqualTo(2);
    assertThat(probe(Map.of(), "ping:" + echo)).isEqualTo(2);
  }

  /** Runs the script as the probe job does: sh -c SCRIPT egress-probe CHECK... */
  private static int probe(Map<String, String> env, String... checks) throws Exception {
    List<String> command = new ArrayList<>(List.of("sh", "-c", ProbeJobPart.SCRIPT, "egress-probe"));
    command.addAll(List.of(checks));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.toLowerCase().endsWith("_proxy"));
    builder.environment().put("PROBE_TIMEOUT", "3");
    builder.environment().putAll(env);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("probe finished: %s", output).isTrue();
    return process.exitValue();
  }

  private static String serve(Consumer<HttpExchange> handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      try (exchange) {
        handler.accept(exchange);
      }
    });
    server.start();
    SERVERS.add(server);
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String body) {
    try {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    return path != null && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
        .anyMatch(dir -> java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program)));
  }
}
