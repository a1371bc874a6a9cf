package dev.cloudrun.egress.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line the container and docs/operating.md use: flags, their defaults, and refusals that say what to write. */
class MainTest {

  private static OperatorCommand operator(String... args) {
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args);
    return (OperatorCommand) parsed.subcommand().commandSpec().userObject();
  }

  @Test
  void operatorDefaultsAreTheDocumentedOnes() {
    OperatorCommand command = operator("operator");
    assertThat(command.watchedNamespaces()).as("all").isEmpty();
    assertThat(command.reconcile.resyncInterval).isEqualTo(Duration.ofMinutes(5));
    assertThat(command.reconcile.concurrency).isEqualTo(10);
    assertThat(command.reconcile.gcpWritesPerSecond).isEqualTo(10);
    assertThat(command.reconcile.logFormat).isEqualTo(Logging.Format.text);
    assertThat(command.metricsPort).isEqualTo(8080);
    assertThat(command.leaderElection).isTrue();
  }

  @Test
  void operatorFlags() {
    OperatorCommand command = operator("operator", "--namespaces=team-a,team-b", "--resync-interval=1h30m", "--concurrency=4",
        "--gcp-writes-per-second=0", "--metrics-port=9090", "--leader-election=false", "--lease-namespace=ops", "--log-format=json");
    assertThat(command.watchedNamespaces()).containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(command.reconcile.resyncInterval).isEqualTo(Duration.ofMinutes(90));
    assertThat(command.reconcile.concurrency).isEqualTo(4);
    assertThat(command.reconcile.gcpWritesPerSecond).isZero();
    assertThat(command.metricsPort).isEqualTo(9090);
    assertThat(command.leaderElection).isFalse();
    assertThat(command.leaseNamespace).isEqualTo("ops");
    assertThat(command.reconcile.logFormat).isEqualTo(Logging.Format.json);
    assertThat(command.reconcile.settings(Duration.ofSeconds(5)).resyncInterval()).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void aDurationInAnotherNotationIsRefusedWithAnExample() {
    StringWriter err = new StringWriter();
    int exitCode = Main.commandLine().setErr(new PrintWriter(err)).execute("operator", "--resync-interval=5 minutes");
    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("'5 minutes' is not a duration: write it like 30s, 5m or 1h30m");
  }

  @Test
  void durationsReadAndWriteAsKubernetesToolsDo() {
    GoDuration duration = new GoDuration();
    assertThat(duration.convert("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(duration.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(GoDuration.format(duration.convert("1h30m"))).isEqualTo("1h30m");
    assertThat(GoDuration.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThatThrownBy(() -> duration.convert("")).hasMessageContaining("not a duration");
    assertThatThrownBy(() -> duration.convert("PT5M")).hasMessageContaining("not a duration");
  }

  @Test
  void withoutACommandSaysWhichExist() {
    StringWriter err = new StringWriter();
    assertThat(Main.commandLine().setErr(new PrintWriter(err)).execute()).isEqualTo(2);
    assertThat(err.toString()).contains("Name a command: operator.");
  }
}
