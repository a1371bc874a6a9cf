package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

/**
 * The table both NO_PROXY implementations are held to, held in turn to the real curl on this
 * machine (.ci/run installs it): curl is given a proxy that only records whether it was used, and
 * NO_PROXY from the table. A host name resolves to a closed local port, an address goes nowhere
 * within a second: either way the proxy is reached only when curl chose it. -q: no ~/.curlrc. The CIDR
 * rows need curl 7.86.0 or later.
 */
class NoProxyCasesAgainstCurlTest {

  @ParameterizedTest(name = "NO_PROXY \"{0}\" for {1}: bypasses {2}")
  @CsvFileSource(resources = "/no-proxy-cases.csv", delimiter = '|', numLinesToSkip = 1, ignoreLeadingAndTrailingWhitespace = false)
  void curlAgrees(String noProxy, String host, boolean bypasses) throws Exception {
    try (ServerSocket proxy = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      proxy.setSoTimeout(5000);
      CompletableFuture<Boolean> reached = CompletableFuture.supplyAsync(() -> answerOnce(proxy));
      ProcessBuilder curl = new ProcessBuilder(List.of("curl", "-q", "-s", "-o", "/dev/null", "--connect-timeout", "1",
          "--resolve", host + ":80:127.0.0.2", "http://" + host + ":80/"))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      curl.environment().keySet().removeIf(k -> k.equalsIgnoreCase("http_proxy") || k.equalsIgnoreCase("no_proxy") || k.equalsIgnoreCase("all_proxy"));
      curl.environment().put("http_proxy", "http://127.0.0.1:" + proxy.getLocalPort());
      curl.environment().put("no_proxy", noProxy);
      Process process;
      try {
        process = curl.start();
      } catch (IOException e) {
        throw new AssertionError("curl is needed to check the table (apt-get install curl; .ci/run installs it)", e);
      }
      assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
      proxy.close(); // ends the wait of a proxy nobody called
      assertThat(!reached.get(10, TimeUnit.SECONDS)).as("curl bypasses the proxy").isEqualTo(bypasses);
    }
  }

  /** Whether a client connected; if one did, it gets an empty 200 so that curl ends at once. */
  private static boolean answerOnce(ServerSocket proxy) {
    try (Socket client = proxy.accept(); InputStream in = client.getInputStream(); OutputStream out = client.getOutputStream()) {
      in.read(new byte[4096]);
      out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return false; // closed by the test: nobody came
    }
  }
}
