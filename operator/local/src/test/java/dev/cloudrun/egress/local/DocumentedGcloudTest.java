package dev.cloudrun.egress.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloudrun.egress.gcp.fake.FakeClock;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.SeedWorld;
import dev.cloudrun.egress.testing.DocumentedCommands;
import dev.cloudrun.egress.testing.DocumentedCommands.Command;
import dev.cloudrun.egress.testing.RealApiServer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gcloud commands of docs/operating.md ("The GCP emulator") as a reader types them, in order,
 * each in its own shell: the configuration commands, then the commands against the examples'
 * world. The emulator is the fake with that world, as `./run-local emulator` starts it, on a free
 * port written in place of the docs' 8085; $HOME is a fresh one, and CLOUDSDK_CONFIG what the
 * docs' export line sets. Skipped where gcloud is not on the PATH (CI machines have none; the
 * fake's GcloudRequestsTest replays gcloud's requests without it).
 */
class DocumentedGcloudTest {
  private static final String DOCUMENTED_PORT = "8085";

  @TempDir
  static Path home;

  private static FakeGcp emulator;
  private static String port;

  @BeforeAll
  static void theEmulatorWithTheExamplesWorld() throws IOException {
    assumeTrue(Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, "gcloud"))),
        "gcloud is not on the PATH");
    port = String.valueOf(RealApiServer.freePort());
    // The wall clock: gcloud polls operations with real sleeps.
    emulator = FakeGcp.builder().clock(FakeClock.scaled(60)).port(Integer.parseInt(port)).start();
    SeedWorld.examples(emulator);
  }

  @AfterAll
  static void stop() {
    if (emulator != null) {
      emulator.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> theEmulatorSectionsCommandsRunAsWritten() {
    List<Command> commands = DocumentedCommands.of("gcloud").stream().filter(c -> c.page().equals("docs/operating.md")).toList();
    assertThat(commands).as("gcloud commands in docs/operating.md").hasSizeGreaterThanOrEqualTo(10);
    return commands.stream().map(command -> DynamicTest.dynamicTest(command.toString(), () -> run(command)));
  }

  private static void run(Command command) throws Exception {
    String text = command.text().replace(":" + DOCUMENTED_PORT, ":" + port).replace("proxy/port " + DOCUMENTED_PORT, "proxy/port " + port);
    ProcessBuilder shell = new ProcessBuilder("bash", "-c", text).redirectErrorStream(true);
    shell.environment().keySet().removeIf(k -> k.startsWith("CLOUDSDK_"));
    shell.environment().put("HOME", home.toString());
    shell.environment().put("CLOUDSDK_CONFIG", home.resolve(".config/gcloud-emulator").toString());
    shell.environment().put("CLOUDSDK_CORE_DISABLE_PROMPTS", "1");
    Process process = shell.start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "unreadable: " + e;
      }
    });
    assertThat(process.waitFor(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS)).as("%s ends", text).isTrue();
    String printed = output.get();
    assertThat(process.exitValue()).as("%s exits 0; it printed:%n%s", text, printed).isZero();
    assertThat(printed).as(text).doesNotContain("ERROR:");
  }
}
