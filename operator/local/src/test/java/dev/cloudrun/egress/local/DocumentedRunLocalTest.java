package dev.cloudrun.egress.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.egress.build.DocumentedCommandsTest;
import dev.cloudrun.egress.testing.DocumentedCommands;
import dev.cloudrun.egress.testing.DocumentedCommands.Command;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.RealApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * embedded API server with the CRD installed). Those that cannot run here are listed, with why, in
 * DocumentedCommandsTest.
 */
class DocumentedRunLocalTest {
  @TempDir
  static Path home;

  private static Path workingDir;
  /** Where the reader's my-job.yaml is the one the docs show refused. */
  private static Path refusedDir;
  private static KubernetesMockServer cluster;
  private static KubernetesClient client;

  @BeforeAll
  static void aReadersMachine() throws IOException {
    workingDir = Files.createDirectories(home.resolve("project"));
    Files.createSymbolicLink(workingDir.resolve("examples"), Manifests.projectRoot().resolve("examples"));
    // my-job.yaml: the reader's own job; here the private-ranges example, so that it differs from 01.
    Files.copy(Manifests.projectRoot().resolve("examples/02-private-ranges-only.yaml"), workingDir.resolve("my-job.yaml"));
    // The my-job.yaml the docs show refused: the seed example with two mistakes, as a reader's first try.
    refusedDir = Files.createDirectories(home.resolve("refused"));
    ObjectNode mistaken = (ObjectNode) Manifests.example("01-seed-github-static-ip");
    mistaken.with("metadata").put("name", "my-job").put("namespace", "default");
    mistaken.with("spec").with("egress").with("connector").put("minInstances", 1);
    mistaken.with("spec").with("job").put("cpu", "3");
    Manifests.YAML.writeValue(refusedDir.resolve("my-job.yaml").toFile(), mistaken);
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
        .filter(c -> !DocumentedCommandsTest.cannotRunHere(c))
        .toList();
    assertThat(commands).as("./run-local commands in the docs").hasSizeGreaterThanOrEqualTo(6);
    return commands.stream().map(command -> DynamicTest.dynamicTest(command.toString(), () -> run(command)));
  }

  private static void run(Command command) throws Exception {
    List<String> args = new ArrayList<>(command.words().subList(1, command.words().size()));
    args.replaceAll(arg -> arg.startsWith("~/") ? home.resolve(arg.substring(2)).toString() : arg); // the shell expands ~
    if (!args.isEmpty() && args.get(0).equals("emulator")) {
      // The documented port may be taken on a shared machine: the same command on a free one.
      String port = String.valueOf(RealApiServer.freePort());
      assertThat(args).as("the documented emulator command names its port").contains("--port");
      args.set(args.indexOf("--port") + 1, port);
      Jvm emulator = localMode(args, workingDir);
      // It serves until stopped: it must say where, as the docs show.
      String first = emulator.firstLine("");
      emulator.process().destroy();
      assertThat(first).isEqualTo("GCP emulator listening on http://127.0.0.1:" + port);
      return;
    }
    boolean refusal = !command.shown().isEmpty();
    Jvm run = localMode(args, refusal ? refusedDir : workingDir);
    CompletableFuture<String> output = run.output();
    assertThat(run.process().waitFor(3, TimeUnit.MINUTES)).as("%s ends", command).isTrue();
    if (refusal) {
      // A block that shows the output shows local mode's refusal: exit 2, and every line shown ("..." elides).
      assertThat(run.process().exitValue()).as("%s exits 2; it printed:%n%s", command, output.get()).isEqualTo(2);
      assertThat(output.get()).contains(command.shown().stream().filter(l -> !l.strip().equals("...")).toList());
      return;
    }
    assertThat(run.process().exitValue()).as("%s exits 0; it printed:%n%s", command, output.get()).isZero();
  }

  /** LocalCommand ARGS in a JVM of its own, from {@code directory}, as ./run-local execs it. */
  private static Jvm localMode(List<String> args, Path directory) {
    return Jvm.start(LocalCommand.class, args, directory, Map.of("HOME", home.toString()), true);
  }
}
