package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
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
      assertThat(refusal("--port", String.valueOf(taken.getLocalPort()), "--seed-examples", "false"))
          .contains("Port " + taken.getLocalPort() + " is taken: choose another with --port, or 0 for any free one.");
    }
  }

  @Test
  void aSpeedOfZeroAndAMalformedErrorRateAreRefused() {
    assertThat(refusal("--speed", "0")).contains("--speed must be more than 0");
    assertThat(refusal("--port", "0", "--seed-examples", "false", "--error-rate", "compute:0.2")).contains("--error-rate must be API:METHOD:PROBABILITY:STATUS");
  }
}
