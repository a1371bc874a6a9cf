package dev.cloudrun.egress.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.build.DocumentedCommandsTest;
import dev.cloudrun.egress.gcp.fake.FakeClock;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.SeedWorld;
import dev.cloudrun.egress.reconciler.CloudRunEgressJobReconciler;
import dev.cloudrun.egress.reconciler.ReconcileTriggers;
import dev.cloudrun.egress.reconciler.RunPart;
import dev.cloudrun.egress.reconciler.Targets;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.DocumentedCommands;
import dev.cloudrun.egress.testing.DocumentedCommands.Command;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.RealApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every kubectl command of README.md and docs/ ({@link DocumentedCommands}), run as a reader types
 * it: through {@code bash -c} with the command's text, so quotes and {@code $(date -Is)} behave as in
 * the reader's shell; the real kubectl of {@link RealApiServer} first on PATH; a kubeconfig of the
 * real API server whose context's namespace is platform-agents, where the examples live (the docs'
 * bare {@code kubectl get crej} shows the reader's own jobs); and a working directory that looks
 * like the project's top (crds/, charts/ and examples/ linked) with the files the docs ask the
 * reader to bring (my-policy.yaml, from examples/policies/). Commands that need what this server
 * lacks are skipped as {@link DocumentedCommandsTest#CANNOT_RUN_HERE} lists them, with the reason.
 *
 * <p>The world the commands assume comes first: the CRDs, installed by the documented
 * {@code kubectl apply} commands themselves; the namespace; the operator itself ({@link
 * OperatorProcess}, as the operator command runs it) against the GCP fake seeded with what the
 * examples expect; and the seed example, my-agent-4. Then the commands in an order a reader would
 * follow: apply, wait, read (get, describe, explain), ask for a run, read the run. Each is a test of
 * its own, named by where the docs write it, and prints what it ran and what kubectl answered.
 */
class DocumentedKubectlIT {
  private static final RealApiServer SERVER = RealApiServer.shared();
  private static final String NAMESPACE = "platform-agents";
  private static final String SEED_FILE = "examples/01-seed-github-static-ip.yaml";
  private static final String SEED = "my-agent-4";
  private static final String MY_POLICY = "examples/policies/01-shared-network.yaml";
  private static final String CREJ = "cloudrunegressjob.egress.cloudrun.dev";
  /** Longer than any command here should take: the fake's clock runs 300 times faster. */
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path top;
  private static Path home;
  private static KubernetesClient client;
  private static FakeGcp gcp;
  private static OperatorProcess operator;

  /** The reader's machine: a checkout's top directory, a home with a kubeconfig of the server. */
  @BeforeAll
  static void readersMachine() throws IOException {
    client = SERVER.client();
    top = Files.createTempDirectory("reader-top");
    home = Files.createTempDirectory("reader-home");
    Path root = Manifests.projectRoot();
    for (String dir : List.of("crds", "charts", "examples")) {
      Files.createSymbolicLink(top.resolve(dir), root.resolve(dir));
    }
    Files.copy(root.resolve(MY_POLICY), top.resolve("my-policy.yaml"));
    Files.createDirectories(home.resolve(".kube"));
    Files.copy(SERVER.kubeconfig(), home.resolve(".kube/config"));
  }

  @AfterAll
  static void leaveTheServerAsFound() throws IOException {
    try {
      // The next classes share the server and create the seed example and the policy themselves.
      if (client != null) {
        client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).withName(SEED).delete();
        if (operator != null) {
          // The operator deletes its GCP objects, then its finalizer.
          client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).withName(SEED).waitUntilCondition(cr -> cr == null, 2, TimeUnit.MINUTES);
        }
        client.genericKubernetesResources("egress.cloudrun.dev/v1alpha1", "EgressPolicy")
            .withName(Manifests.readOne(Manifests.projectRoot().resolve(MY_POLICY)).at("/metadata/name").asText()).delete();
      }
    } finally {
      if (operator != null) {
        operator.close();
      }
      if (gcp != null) {
        gcp.close();
      }
      if (client != null) {
        client.close();
      }
      for (Path dir : new Path[] {top, home}) {
        if (dir != null) {
          try (Stream<Path> files = Files.walk(dir)) {
            // Files.walk does not follow the links: the project's directories are left alone.
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
          }
        }
      }
    }
  }

  @TestFactory
  Stream<DynamicTest> everyDocumentedKubectlCommandRunsAsWritten() {
    List<Command> commands = DocumentedCommands.of("kubectl").stream()
        .filter(c -> !DocumentedCommandsTest.cannotRunHere(c))
        .map(Command::filled)
        .sorted(Comparator.comparing(DocumentedKubectlIT::step))
        .toList();
    assertThat(commands).as("kubectl commands in README.md and docs/").hasSizeGreaterThan(5);
    List<DynamicTest> tests = new ArrayList<>();
    boolean worldMade = false;
    for (Command command : commands) {
      if (!worldMade && step(command) != Step.INSTALL_CRDS) {
        tests.add(DynamicTest.dynamicTest("the world the commands assume: namespace, operator, GCP fake, " + SEED_FILE,
            DocumentedKubectlIT::makeTheWorld));
        worldMade = true;
      }
      tests.add(DynamicTest.dynamicTest(command.toString(), () -> check(command)));
    }
    return tests.stream();
  }

  /** In what order a reader runs them: what each needs comes before it. */
  enum Step { INSTALL_CRDS, APPLY, WAIT, READ, ASK_FOR_A_RUN, READ_THE_RUN }

  static Step step(Command command) {
    String verb = verb(command);
    return switch (verb) {
      case "apply" -> command.flag("-f") != null && command.flag("-f").replaceFirst("/$", "").endsWith("crds") ? Step.INSTALL_CRDS : Step.APPLY;
      case "wait" -> Step.WAIT;
      case "annotate" -> command.text().contains(ReconcileTriggers.RUN_REQUESTED) ? Step.ASK_FOR_A_RUN : Step.READ;
      default -> command.text().contains(".status.execution") ? Step.READ_THE_RUN : Step.READ;
    };
  }

  /** The first word after kubectl that is neither a flag nor a flag's value (-n NAMESPACE). */
  static String verb(Command command) {
    List<String> words = command.words();
    for (int i = 1; i < words.size(); i++) {
      String word = words.get(i);
      if (word.equals("-n") || word.equals("--namespace") || word.equals("--context") || word.equals("--kubeconfig")) {
        i++;
      } else if (!word.startsWith("-")) {
        return word;
      }
    }
    throw new AssertionError("no verb in " + command);
  }

  /**
   * The CRDs established (the documented commands installed them), the namespace the examples
   * name, the reader's context set to it, the operator running against the fake, and the seed
   * example applied.
   */
  private static void makeTheWorld() throws IOException {
    for (String file : List.of(Crds.CLOUD_RUN_EGRESS_JOB_FILE, Crds.EGRESS_POLICY_FILE)) {
      client.apiextensions().v1().customResourceDefinitions().withName(RealApiServer.crdName(file))
          .waitUntilCondition(crd -> crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
              .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")), 60, TimeUnit.SECONDS);
    }
    RealApiServer.ensureNamespaces(client, List.of(NAMESPACE));
    assertThat(shell("kubectl config set-context --current --namespace=" + NAMESPACE).exitCode()).isZero();
    // GCP's minutes of operation pass in a fraction of a second, as in local mode; the operator's timings are its own.
    gcp = FakeGcp.builder().clock(FakeClock.scaled(300)).start();
    SeedWorld.examples(gcp);
    var defaults = CloudRunEgressJobReconciler.Settings.defaults();
    var settings = new CloudRunEgressJobReconciler.Settings(defaults.resyncInterval(), Duration.ofMillis(50), defaults.errorCeiling(),
        defaults.gcpWritesPerSecond());
    // This namespace only: other classes share the server.
    operator = new OperatorProcess(client, gcp.endpoint(), new OperatorFactory.Options(Set.of(NAMESPACE), 2, null), settings, null);
    operator.start();
    RealApiServer.Result apply = shell("kubectl apply -f " + SEED_FILE);
    assertThat(apply.exitCode()).as(apply.err()).isZero();
  }

  private static void check(Command command) throws Exception {
    RealApiServer.Result result = shell(command.text());
    assertThat(result.exitCode()).as("exit code of %s; stderr: %s", command, result.err()).isZero();
    switch (step(command)) {
      case INSTALL_CRDS, APPLY -> appliedEveryObject(command, result);
      case WAIT -> conditionMet(command, result);
      case ASK_FOR_A_RUN -> runStarted(command, result);
      case READ_THE_RUN -> readsTheRun(command, result);
      case READ -> {
        switch (verb(command)) {
          case "get" -> showsTheColumns(command, result);
          case "describe" -> describesConditionsAndEvents(command, result);
          case "explain" -> explainsTheFields(command, result);
          default -> throw new AssertionError("no check for `" + command.text() + "`: say here what the docs promise of it");
        }
      }
    }
  }

  /** What client-side applies applied, by file and object. */
  private static final java.util.Set<String> APPLIED = new java.util.HashSet<>();

  /** Each object of the file or directory applied is named in kubectl's answer as created, configured, unchanged or applied. */
  private static void appliedEveryObject(Command command, RealApiServer.Result result) throws IOException {
    assertThat(command.flag("-f")).as("the file or directory %s applies", command).isNotNull();
    Path applied = top.resolve(command.flag("-f"));
    List<Path> files;
    try (Stream<Path> listed = Files.isDirectory(applied) ? Files.list(applied) : Stream.of(applied)) {
      files = listed.filter(f -> f.toString().matches(".*\\.ya?ml$")).sorted().toList();
    }
    assertThat(files).as("files applied by `%s`", command.text()).isNotEmpty();
    for (Path file : files) {
      for (JsonNode object : Manifests.readAll(file)) {
        String apiVersion = object.path("apiVersion").asText();
        String group = apiVersion.contains("/") ? "." + apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String name = object.path("kind").asText().toLowerCase() + group + "/" + object.at("/metadata/name").asText();
        // The same file applied again as it was is unchanged: what the server stores is what the file says.
        boolean again = !command.text().contains("--server-side") && !APPLIED.add(file + "#" + name);
        assertThat(result.out()).as("kubectl's answer to `%s`", command.text())
            .containsPattern("(?m)^" + Pattern.quote(name) + (again ? " unchanged$" : " (created|configured|unchanged|serverside-applied)$"));
      }
    }
  }

  /** `kubectl wait crej/NAME --for=condition=Ready` returns once the operator made it Ready. */
  private static void conditionMet(Command command, RealApiServer.Result result) {
    List<String> targets = command.words().stream().filter(w -> w.startsWith("crej/")).toList();
    assertThat(targets).as("what `%s` waits for", command.text()).isNotEmpty();
    for (String target : targets) {
      assertThat(result.out()).contains(CREJ + "/" + target.substring("crej/".length()) + " condition met");
    }
  }

  /**
   * `kubectl get crej`: the CRD's printer columns (README: region, egress mode, egress IP,
   * metadata reachability, readiness and its reason), and the seed Ready with its first egress IP.
   */
  private static void showsTheColumns(Command command, RealApiServer.Result result) throws IOException {
    List<String> words = command.words();
    assertThat(words.get(2)).as("`%s` reads CloudRunEgressJobs", command.text()).isIn("crej", "cloudrunegressjob", "cloudrunegressjobs");
    boolean allNamespaces = words.contains("-A") || words.contains("--all-namespaces");
    List<String> declared = new ArrayList<>();
    if (allNamespaces) {
      declared.add("NAMESPACE");
    }
    declared.add("NAME");
    JsonNode crd = Manifests.readOne(Manifests.projectRoot().resolve("crds").resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE));
    for (JsonNode column : crd.at("/spec/versions/0/additionalPrinterColumns")) {
      declared.add(column.path("name").asText().toUpperCase());
    }
    List<String> lines = result.out().lines().toList();
    assertThat(lines).as("`%s` prints a header and a row", command.text()).hasSizeGreaterThanOrEqualTo(2);
    assertThat(List.of(lines.get(0).trim().split("\\s+"))).containsExactlyElementsOf(declared)
        .contains("REGION", "EGRESS", "EGRESS-IP", "METADATA", "READY", "REASON");
    CloudRunEgressJob seed = client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).withName(SEED).get();
    List<String> row = lines.stream().skip(1).map(l -> List.of(l.trim().split("\\s+")))
        .filter(r -> r.get(allNamespaces ? 1 : 0).equals(SEED)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + SEED + " in the output of `" + command.text() + "`"));
    List<String> expected = new ArrayList<>();
    if (allNamespaces) {
      expected.add(NAMESPACE);
    }
    String reason = seed.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow().getReason();
    // Region, egress mode, the first egress IP, metadata reachable, Ready and its reason.
    expected.addAll(List.of(SEED, "europe-west2", "AllTraffic", seed.getStatus().getEgressIPs().get(0), "True", "True", reason));
    assertThat(row).as("the row of %s", SEED).startsWith(expected.toArray(String[]::new));
  }

  /** `kubectl describe crej NAME`: every condition (Ready, Reconciling, Stalled and the parts') and the operator's events. */
  private static void describesConditionsAndEvents(Command command, RealApiServer.Result result) {
    CloudRunEgressJob seed = client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).withName(SEED).get();
    assertThat(command.words()).contains(SEED);
    assertThat(result.out()).containsPattern("(?m)^Name:\\s+" + SEED + "$").containsPattern("(?m)^Namespace:\\s+" + NAMESPACE + "$");
    assertThat(seed.getStatus().getConditions()).extracting("type").contains("Ready", "Reconciling", "Stalled", "ConnectorReady", "NatReady",
        "FirewallReady", "JobReady", "MetadataReachable", "EgressReachable");
    for (var condition : seed.getStatus().getConditions()) {
      assertThat(result.out()).as("condition %s in the output of `%s`", condition.getType(), command.text())
          .containsPattern("Type:\\s+" + condition.getType() + "\\b");
    }
    String events = result.out().substring(result.out().indexOf("\nEvents:"));
    // The events troubleshooting.md lists: the seed's connector, NAT, firewall rules and job were created.
    assertThat(events).as("the events `%s` shows", command.text()).contains("CreateStarted").doesNotContain("<none>");
  }

  /** `kubectl explain cloudrunegressjob.spec --recursive`: every field of the CRD's spec, at its depth. */
  private static void explainsTheFields(Command command, RealApiServer.Result result) throws IOException {
    String path = command.words().get(2);
    assertThat(path).startsWith("cloudrunegressjob.");
    JsonNode schema = Manifests.readOne(Manifests.projectRoot().resolve("crds").resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE))
        .at("/spec/versions/0/schema/openAPIV3Schema");
    for (String field : path.substring("cloudrunegressjob.".length()).split("\\.")) {
      schema = schema.at("/properties/" + field);
    }
    assertThat(result.out()).contains("KIND:       CloudRunEgressJob").contains("FIELD: " + path.substring(path.lastIndexOf('.') + 1));
    List<String> fields = new ArrayList<>();
    fieldLines(schema, 1, fields, command.words().contains("--recursive"));
    assertThat(fields).as("fields of %s", path).contains("  egress", "  job", "  project", "  region");
    List<String> printed = result.out().lines().map(l -> l.replaceFirst("\\s+<.*$", "")).toList();
    assertThat(printed).as("the fields `%s` lists, as indented names", command.text()).containsAll(fields);
  }

  /** Each property's name, indented two spaces a level as kubectl explain prints it; nested ones too when recursive. */
  private static void fieldLines(JsonNode schema, int depth, List<String> lines, boolean recursive) {
    JsonNode properties = schema.has("properties") ? schema.get("properties") : schema.at("/items/properties");
    properties.fields().forEachRemaining(property -> {
      lines.add("  ".repeat(depth) + property.getKey());
      if (recursive) {
        fieldLines(property.getValue(), depth + 1, lines, true);
      }
    });
  }

  /** `kubectl annotate crej NAME egress.cloudrun.dev/run-requested-at=...`: one run of the job, recorded in status. */
  private static void runStarted(Command command, RealApiServer.Result result) {
    String name = command.words().get(command.words().indexOf("crej") + 1);
    assertThat(result.out()).contains(CREJ + "/" + name + " annotated");
    CloudRunEgressJob annotated = client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).withName(name).get();
    String value = annotated.getMetadata().getAnnotations().get(ReconcileTriggers.RUN_REQUESTED);
    assertThat(value).as("the value `$(date -Is)` gave").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d");
    CloudRunEgressJob ran = client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).withName(name).waitUntilCondition(
        cr -> cr.getStatus() != null && cr.getStatus().getExecution() != null && value.equals(cr.getStatus().getExecution().getRunRequest())
            && cr.getStatus().getExecution().getLast() != null && "Annotation".equals(cr.getStatus().getExecution().getLast().getTrigger()),
        2, TimeUnit.MINUTES);
    System.out.println("status.execution after the annotation: " + Serialization.asJson(ran.getStatus().getExecution()));
    // One run for the one annotation value: the executions the operator started for annotations.
    List<String> annotationRuns = gcp.executionsOf(Targets.of(ran).jobPath()).stream()
        .map(RunPart::marker).filter(id -> id != null && id.startsWith("a-")).toList();
    assertThat(annotationRuns).as("executions started for the annotation").hasSize(1);
  }

  /** `kubectl get crej NAME -o jsonpath='{.status.execution.last}'`: the run asked for above, as JSON, once recorded. */
  private static void readsTheRun(Command command, RealApiServer.Result first) throws Exception {
    RealApiServer.Result result = first;
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (result.out().isBlank() && System.nanoTime() < deadline) {
      RealApiServer.sleep(500);
      result = shell(command.text());
    }
    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).as("`%s`, within 2 minutes of asking for a run", command.text()).isNotBlank();
    if (command.text().contains("{.status.execution.last}")) {
      JsonNode last = JSON.readTree(result.out());
      assertThat(last.path("name").asText()).matches("projects/.+/jobs/" + SEED + "/executions/" + SEED + "-.+");
      assertThat(last.path("trigger").asText()).isEqualTo("Annotation");
      assertThat(last.path("phase").asText()).isIn("Pending", "Running", "Succeeded", "Failed", "Cancelled");
      assertThat(last.has("taskCount")).as("taskCount in %s", result.out()).isTrue();
    }
  }

  /** The command as the reader's shell runs it, printed with kubectl's answer. */
  private static RealApiServer.Result shell(String text) {
    RealApiServer.Result result = RealApiServer.run(List.of("bash", "-c", text), top, Map.of(
        "PATH", RealApiServer.CACHE.resolve("bin") + ":" + System.getenv("PATH"),
        "HOME", home.toString(),
        "KUBECONFIG", home.resolve(".kube/config").toString()), COMMAND_TIMEOUT);
    System.out.printf("$ %s%n%s%s(exit %d)%n%n", text, result.out(), result.err().isEmpty() ? "" : "[stderr]\n" + result.err(), result.exitCode());
    return result;
  }
}
