package dev.cloudrun.egress.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.testing.DocumentedCommands;
import dev.cloudrun.egress.testing.DocumentedCommands.Command;
import dev.cloudrun.egress.testing.HelmChart;
import dev.cloudrun.egress.testing.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every command the docs give a reader is run by a test, or is checked here and says why it cannot
 * run on a machine without GCP, a cluster or Docker:
 * <ul>
 *   <li>{@code ./run-local}: run as written by local mode's DocumentedRunLocalTest;
 *   <li>{@code helm}: rendered here by real Helm with the values the command sets;
 *   <li>{@code mvn}: CI runs {@code mvn -B verify -Papiserver} (.ci/run); every other one is checked
 *       here to name modules, profiles and tests that exist (running Maven inside Maven is not done);
 *   <li>{@code kubectl}: run against the real API server by DocumentedKubectlIT;
 *   <li>{@code gcloud} against the emulator: run by local mode's DocumentedGcloudTest (docs/operating.md) and the
 *       fake's GcloudCliTest (the ledger's rows) where gcloud is installed; the rest need a real project and are
 *       listed below with the reason.
 * </ul>
 */
public class DocumentedCommandsTest {
  /** Commands no test here can run, by how they start, and why (DocumentedKubectlIT skips the kubectl ones listed). */
  public static final Map<String, String> CANNOT_RUN_HERE = new LinkedHashMap<>();

  static {
    CANNOT_RUN_HERE.put("gcloud iam ", "IAM is not emulated: service accounts and their bindings need a real project");
    CANNOT_RUN_HERE.put("gcloud projects add-iam-policy-binding ", "IAM is not emulated");
    CANNOT_RUN_HERE.put("gcloud run jobs deploy ", "the manual setup the operator replaces, shown with ... for its flags");
    CANNOT_RUN_HERE.put("gcloud run jobs execute ", "the by-hand run the docs compare with; the emulator runs jobs for the operator's tests");
    CANNOT_RUN_HERE.put("gcloud scheduler jobs create http", "named as what the operator does for the reader, without its flags");
    CANNOT_RUN_HERE.put("gcloud scheduler jobs resume", "named as a fix, without a job");
    CANNOT_RUN_HERE.put("gcloud compute firewall-rules create vpc-connector-to-serverless ", "Google's documented rule, quoted as the source of a ledger row");
    CANNOT_RUN_HERE.put("docker ", "no Docker engine on CI machines");
    CANNOT_RUN_HERE.put("kubectl -n cloudrun-egress-operator rollout status ", "needs the operator's pods running: the test API server has no kubelet");
    CANNOT_RUN_HERE.put("./run-local --gcp real ", "needs a real GCP project and Application Default Credentials");
  }

  /** Whether {@link #CANNOT_RUN_HERE} lists the command. */
  public static boolean cannotRunHere(Command command) {
    return CANNOT_RUN_HERE.keySet().stream().anyMatch(command.text()::startsWith);
  }

  private static boolean runByAnotherTest(Command command) {
    return switch (command.program()) {
      case "./run-local", "kubectl" -> true;
      case "gcloud" -> isForTheEmulator(command);
      default -> false;
    };
  }

  /**
   * gcloud against the emulator: the commands of docs/operating.md, which local mode's
   * DocumentedGcloudTest runs as written, and the ledger's rows naming what gcloud asks of it, when
   * the fake's GcloudCliTest runs that command (its words, as its arguments). Both where gcloud is installed.
   */
  static boolean isForTheEmulator(Command command) {
    if (cannotRunHere(command)) {
      return false;
    }
    return command.page().equals("docs/operating.md") || command.page().equals("docs/gcp-fidelity.md") && ranByGcloudCliTest(command);
  }

  private static boolean ranByGcloudCliTest(Command command) {
    try {
      String source = Files.readString(Manifests.projectRoot()
          .resolve("operator/gcp-fake/src/test/java/dev/cloudrun/egress/gcp/fake/GcloudCliTest.java"));
      String words = command.words().stream().skip(1).filter(w -> !w.startsWith("-")).map(w -> "\"" + w + "\"")
          .collect(java.util.stream.Collectors.joining(", "));
      return source.contains("gcloud(" + words);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void everyCommandIsRunOrSaysWhyItCannotBe() {
    List<Command> commands = DocumentedCommands.all();
    assertThat(commands).as("commands found in README.md and docs/").hasSizeGreaterThan(20);
    List<Command> unaccounted = commands.stream()
        .filter(c -> !runByAnotherTest(c) && !List.of("helm", "mvn").contains(c.program()))
        .filter(c -> !cannotRunHere(c))
        .toList();
    assertThat(unaccounted).as("commands in the docs no test runs: run them in a test, or list why they cannot run here").isEmpty();
  }

  @Test
  void helmCommandsRenderTheChartWithTheValuesTheySet() {
    List<Command> helm = DocumentedCommands.of("helm");
    assertThat(helm).isNotEmpty();
    for (Command written : helm) {
      Command command = written.filled();
      List<String> words = command.words();
      assertThat(words.get(1)).as(command.toString()).isIn("install", "upgrade", "template");
      Map<String, Object> values = new LinkedHashMap<>();
      for (int i = 0; i < words.size() - 1; i++) {
        if (words.get(i).equals("--set")) {
          String[] setting = words.get(i + 1).split("=", 2);
          put(values, setting[0], setting[1]);
        }
      }
      String chart = words.stream().filter(w -> w.startsWith("charts/")).findFirst().orElse("charts/cloudrun-egress-operator");
      assertThat(Manifests.projectRoot().resolve(chart).resolve("Chart.yaml")).as(command.toString()).exists();
      assertThat(HelmChart.render(values)).as(command.toString()).isNotEmpty();
    }
  }

  @Test
  void mavenCommandsNameModulesProfilesAndTestsThatExist() throws IOException {
    List<Command> maven = DocumentedCommands.of("mvn");
    assertThat(maven).isNotEmpty();
    Path root = Manifests.projectRoot();
    String poms = readPoms(root);
    List<String> wrong = new ArrayList<>();
    for (Command command : maven) {
      String modules = command.flag("-pl");
      if (modules != null) {
        for (String module : modules.split(",")) {
          if (!Files.exists(root.resolve(module).resolve("pom.xml"))) {
            wrong.add(command + ": no module " + module);
          }
        }
      }
      for (String word : command.words()) {
        if (word.startsWith("-P") && !poms.contains("<id>" + word.substring(2) + "</id>")) {
          wrong.add(command + ": no profile " + word.substring(2));
        }
        if (word.startsWith("-Dtest=") && !testClassExists(root, word.substring("-Dtest=".length()))) {
          wrong.add(command + ": no test class " + word.substring("-Dtest=".length()));
        }
        if (word.startsWith("-D") && word.contains("=") && !word.startsWith("-Dtest=")) {
          String property = word.substring(2, word.indexOf('='));
          if (!poms.contains(property) && !testSourcesMention(root, property)) {
            wrong.add(command + ": nothing reads -D" + property);
          }
        }
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(Files.readString(root.resolve(".ci/run"))).as("CI runs the documented test command").contains("mvn -B verify -Papiserver");
  }

  @SuppressWarnings("unchecked")
  private static void put(Map<String, Object> values, String dotted, String value) {
    String[] keys = dotted.split("\\.");
    Map<String, Object> map = values;
    for (int i = 0; i < keys.length - 1; i++) {
      map = (Map<String, Object>) map.computeIfAbsent(keys[i], k -> new LinkedHashMap<>());
    }
    map.put(keys[keys.length - 1], value.equals("true") || value.equals("false") ? Boolean.valueOf(value) : value);
  }

  private static String readPoms(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root, 3)) {
      StringBuilder all = new StringBuilder();
      for (Path pom : files.filter(p -> p.getFileName().toString().equals("pom.xml")).toList()) {
        all.append(Files.readString(pom));
      }
      return all.toString();
    }
  }

  private static boolean testClassExists(Path root, String name) throws IOException {
    try (Stream<Path> files = Files.walk(root.resolve("operator"))) {
      return files.anyMatch(p -> p.toString().contains("/src/test/java/") && p.getFileName().toString().equals(name + ".java"));
    }
  }

  private static boolean testSourcesMention(Path root, String property) throws IOException {
    try (Stream<Path> files = Files.walk(root.resolve("operator"))) {
      for (Path file : files.filter(p -> p.toString().contains("/src/test/java/") && p.toString().endsWith(".java")).toList()) {
        if (Files.readString(file).contains("\"" + property + "\"")) {
          return true;
        }
      }
    }
    return false;
  }
}
