package dev.cloudrun.egress.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.testing.DocumentedCommands;
import dev.cloudrun.egress.testing.DocumentedCommands.Command;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * Every {@code ./run-local} command of README.md and docs/ runs as written, the way the script runs
 * it: LocalCommand in a JVM of its own, from a directory that looks like the project's top (its
 * examples/), with the files the docs ask the reader to bring (my-job.yaml, ~/.kube/config for an
 * embedded API server with the CRD installed). The one that needs real GCP is listed, with why, in
 * DocumentedCommandsTest.
 */
class DocumentedRunLocalTest {
  @TempDir
  static Path home;

  private static Path workingDir;
  private static KubernetesMockServer cluster;
  private static KubernetesClient client;

  @BeforeAll
  static void aReadersMachine() throws IOException {
    workingDir = Files.createDirectories(home.resolve("project"));
    Files.createSymbolicLink(workingDir.resolve("examples"), Manifests.projectRoot().resolve("examples"));
    // my-job.yaml: the reader's own job; here the private-ranges example, so that it differs from 01.
    Files.copy(Manifests.projectRoot().resolve("examples/02-private-ranges-only.yaml"), workingDir.resolve("my-job.yaml"));
    cluster = LocalCommandTest.crudServer();
    client = cluster.createClient();
    client.apiextensions().v1().customResourceDefinitions().load(LocalCommand.class.getResourceAsStream(LocalCommand.CRD_RESOURCE)).create();
    Path kube = Files.createDirectories(home.resolve(".kube"));
    Files.move(LocalCommandTest.kubeconfig(kube, client), kube.resolve("config"));
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.destroy();
  }

  @TestFactory
  Stream<DynamicTest> everyDocumentedCommandRunsAsWritten() {
    List<Command> commands = DocumentedCommands.of("./run-local").stream()
        .filter(c -> !c.text().startsWith("./run-local --gcp real "))
        .toList();
    assertThat(commands).as("./run-local commands in the docs").hasSizeGreaterThanOrEqualTo(6);
    return commands.stream().map(command -> DynamicTest.dynamicTest(command.toString(), () -> run(command)));
  }

  private static void run(Command command) throws Exception {
    List<String> args = new ArrayList<>(command.words().subList(1, command.words().size()));
    args.replaceAll(arg -> arg.startsWith("~/") ? home.resolve(arg.substring(2)).toString() : arg); // the shell expands ~
    if (!args.isEmpty() && args.get(0).equals("emulator")) {
      // The documented port may be taken on a shared machine: the same command on a free one.
      String port = String.valueOf(freePort());
      args.set(args.indexOf("--port") + 1, port);
      Process process = java(args);
      // It serves until stopped: it must say where, as the docs show.
      String first = CompletableFuture.supplyAsync(() -> firstLine(process)).get(60, TimeUnit.SECONDS);
      process.destroy();
      assertThat(first).isEqualTo("GCP emulator listening on http://127.0.0.1:" + port);
      return;
    }
    Process process = java(args);
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> all(process));
    assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("%s ends", command).isTrue();
    assertThat(process.exitValue()).as("%s exits 0; it printed:%n%s", command, output.get()).isZero();
  }

  /** java -cp (this test's classpath, which holds local mode's) LocalCommand ARGS, as ./run-local execs it. */
  private static Process java(List<String> args) throws IOException {
    List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LocalCommand.class.getName()));
    line.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(line).directory(workingDir.toFile()).redirectErrorStream(true);
    builder.environment().put("HOME", home.toString());
    return builder.start();
  }

  private static int freePort() throws IOException {
    try (var socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String firstLine(Process process) {
    try {
      return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }

  private static String all(Process process) {
    try {
      return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }
}
