package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The emulator's refusals say what to write instead. (It serving the operator: local mode's EmulatorCommandTest.) */
class EmulatorOptionsTest {

  private static String refusal(String... args) {
    StringWriter err = new StringWriter();
    int exitCode = new CommandLine(new EmulatorCommand()).setErr(new PrintWriter(err)).execute(args);
    assertThat(exitCode).isEqualTo(2);
    return err.toString();
  }

  @Test
  void aTakenPortIsNamedWithTheWayOut() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertThat(refusal("--port", String.valueOf(taken.getLocalPort()), "--seed", "none"))
          .contains("Port " + taken.getLocalPort() + " on 127.0.0.1 is taken, or the address is not this machine's: choose another with --port (0 for any free one) or --address.");
    }
  }

  @Test
  void aSeedFileThatIsMissingOrWrongIsRefusedWithWhereAndWhy(@TempDir Path dir) throws Exception {
    assertThat(refusal("--port", "0", "--seed", dir.resolve("missing.yaml").toString()))
        .contains(dir.resolve("missing.yaml") + ": no such file.");
    Path wrong = Files.writeString(dir.resolve("world.yaml"), "networks:\n  - project: p\n    name: vpc\n    mtu: 1460\n");
    assertThat(refusal("--port", "0", "--seed", wrong.toString())).contains("world.yaml line 2").contains("mtu");
  }

  @Test
  void aSeedFileIsTheWorldTheEmulatorServes(@TempDir Path dir) throws Exception {
    Path world = Files.writeString(dir.resolve("world.yaml"), """
        networks: [{project: p, name: vpc}]
        firewalls: [{project: p, name: allow-https, network: vpc, allowed: [{IPProtocol: tcp, ports: ["443"]}]}]
        """);
    Process emulator = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), EmulatorCommand.class.getName(), "--port", "0", "--seed", world.toString(),
        "--address", "0.0.0.0")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(emulator.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      assertThat(first).startsWith("GCP emulator listening on http://127.0.0.1:");
      out.readLine();
      assertThat(out.readLine()).contains("listening on every address");
      String endpoint = first.substring("GCP emulator listening on ".length());
      assertThat(firewalls(endpoint)).contains("\"allow-https\"", "\"443\"");
      // Also at an address of this machine other than loopback, as a pod would reach it; said, not hidden, where there is none.
      Optional<String> host = NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
          .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).map(InetAddress::getHostAddress).findFirst();
      assumeTrue(host.isPresent(), "this machine has no IPv4 address but loopback: reaching the emulator from elsewhere is not checked");
      assertThat(firewalls(endpoint.replace("127.0.0.1", host.get()))).contains("\"allow-https\"");
    } finally {
      emulator.destroy();
    }
  }

  private static String firewalls(String endpoint) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint + "/compute/v1/projects/p/global/firewalls")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void anAddressNotOfThisMachineIsRefused() {
    assertThat(refusal("--port", "0", "--seed", "none", "--address", "no-such-host.invalid"))
        .contains("--address no-such-host.invalid is not an address of this machine: use 127.0.0.1 or 0.0.0.0.");
  }

  @Test
  void aSpeedOfZeroAndAMalformedErrorRateAreRefused() {
    assertThat(refusal("--speed", "0")).contains("--speed must be more than 0");
    assertThat(refusal("--port", "0", "--seed", "none", "--error-rate", "compute:0.2")).contains("--error-rate must be API:METHOD:PROBABILITY:STATUS");
  }
}
