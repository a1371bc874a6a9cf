package dev.cloudrun.egress.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.validation.CrdCatalog;
import dev.cloudrun.egress.validation.CrdValidator;
import dev.cloudrun.egress.validation.Review;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's run command, as a user runs it: `local` over examples/, and against a cluster given by kubeconfig. */
class LocalCommandTest {
  private static Run examples;

  record Run(int exitCode, String out, String err) {}

  static Run local(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var commandLine = LocalCommand.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exitCode = commandLine.execute(args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  @BeforeAll
  static void runTheExamples() {
    // -v: the operator's info log (events included) is part of what must not leak env values
    examples = local("-v", Manifests.projectRoot().resolve("examples").toString());
  }

  @Test
  void everyExampleComesToWhatItShould() {
    assertThat(examples.exitCode()).as(examples.out()).isZero();
    assertThat(examples.out()).contains(
        "OK    platform-agents/my-agent-4 is Ready.",
        "OK    platform-agents/artifact-sync is Ready.",
        "OK    reporting/nightly-report is Ready.",
        "OK    platform-agents/infra-plan is Ready.",
        "OK    platform-agents/infra-apply is Ready.",
        "OK    support-bots/ticket-triage is Ready.",
        "OK    platform-agents/my-agent-3 is not Ready, as its annotation examples.cloudrun.dev/expect-reason expects: Ready=False NotOwned",
        "OK    platform-agents/my-agent-9 is Ready.",
        "OK    platform-agents/my-agent-9 ran for runToken 1.4.2: execution my-agent-9-");
    assertThat(examples.out()).containsPattern("OK    platform-agents/my-agent-9's schedule fired at .*: execution my-agent-9-\\w{5} Succeeded");
    assertThat(examples.out()).doesNotContain("FAIL");
  }

  /** The schedule's 02:00 in London, whichever offset London has on the day the test runs. */
  private static final String TWO_IN_LONDON = "\\d{4}-\\d\\d-\\d\\dT0[12]:00:00Z \\(02:00 Europe/London\\)";

  @Test
  void runsExample09sTokenAndBringsItsNightlyFiringForwardShowingBothOutcomes() {
    Run run = local(Manifests.projectRoot().resolve("examples/09-seed-nightly-and-after-each-release.yaml").toString());

    assertThat(run.exitCode()).as(run.out()).isZero();
    // The token's run, started by the operator, and the 02:00 firing, started by Cloud Scheduler as the invoker, each to its end.
    assertThat(run.out())
        .containsPattern("The fake's clock moved \\S+ forward to " + TWO_IN_LONDON + ", when projects/myproject/locations/europe-west2/jobs/"
            + "my-agent-9-schedule fires \\(\"0 2 \\* \\* \\*\" Europe/London\\)\\.")
        .contains("Cloud Scheduler called https://run.googleapis.com/v2/projects/myproject/locations/europe-west2/jobs/my-agent-9:run"
            + " as scheduler-invoker@myproject.iam.gserviceaccount.com: OK")
        .contains("$ kubectl annotate crej -n platform-agents my-agent-9 egress.cloudrun.dev/reconcile-requested-at=")
        .contains("Runs (status.execution, newest first):\n  platform-agents/my-agent-9\n"
            + "    EXECUTION          TRIGGER    PHASE       TASKS                 STARTED                COMPLETED\n")
        // started on the fake's clock a moment after the firing, as the firing's :run call creates it
        .containsPattern("\n    my-agent-9-\\w{5}   Schedule   Succeeded   1 task: 1 succeeded   \\S+T0[12]:0\\d:\\d\\dZ   \\S+Z\n"
            + "    my-agent-9-\\w{5}   RunToken   Succeeded   1 task: 1 succeeded   \\S+Z   \\S+Z\n")
        .containsPattern("    schedule my-agent-9-schedule: ENABLED, next run \\S+ \\(02:00 Europe/London\\), last attempt " + TWO_IN_LONDON + ": OK")
        .containsPattern("RunSucceeded +True +Succeeded +Execution projects/myproject/locations/europe-west2/jobs/my-agent-9/executions/my-agent-9-\\w{5} succeeded\\.")
        .containsPattern("Cloud Scheduler job projects/myproject/locations/europe-west2/jobs/my-agent-9-schedule\n +ENABLED, \"0 2 \\* \\* \\*\" Europe/London\n"
            + " +POST https://run.googleapis.com/v2/projects/myproject/locations/europe-west2/jobs/my-agent-9:run as scheduler-invoker@myproject.iam.gserviceaccount.com\n"
            + " +next \\S+\n +last attempt \\S+: OK")
        .containsPattern("executions 2, latest my-agent-9-\\w{5}")
        .containsPattern("OK    platform-agents/my-agent-9 ran for runToken 1\\.4\\.2: execution my-agent-9-\\w{5} Succeeded, 1 task: 1 succeeded\\.")
        .containsPattern("OK    platform-agents/my-agent-9's schedule fired at " + TWO_IN_LONDON + ": execution my-agent-9-\\w{5} Succeeded, 1 task: 1 succeeded\\.");
    // The next firing is a day after the one brought forward: the fake's clock stands where the firing left it.
    String last = run.out().replaceAll("(?s).*last attempt (\\S+) \\(02:00.*", "$1");
    String next = run.out().replaceAll("(?s).*next run (\\S+) \\(02:00.*", "$1");
    assertThat(java.time.Duration.between(java.time.Instant.parse(last), java.time.Instant.parse(next))).isBetween(
        java.time.Duration.ofHours(23), java.time.Duration.ofHours(25));
  }

  @Test
  void withoutFiringSchedulesShowsTheScheduleThatHasNotFiredYet() {
    Run run = local("--no-fire-schedules", Manifests.projectRoot().resolve("examples/09-seed-nightly-and-after-each-release.yaml").toString());

    assertThat(run.exitCode()).as(run.out()).isZero();
    assertThat(run.out()).doesNotContain("Firing the schedules", "clock moved", "Schedule   ", "schedule fired")
        .containsPattern("    schedule my-agent-9-schedule: ENABLED, next run " + TWO_IN_LONDON + ", never fired")
        .containsPattern("\n    my-agent-9-\\w{5}   RunToken   Succeeded   1 task: 1 succeeded   ")
        .contains("OK    platform-agents/my-agent-9 ran for runToken 1.4.2: execution my-agent-9-");
  }

  @Test
  void showsProgressWhileOperationsRun() {
    // a connector takes 90 s of the fake's time, 1.5 s at the default speed: always seen. Examples
    // 01, 06 and 07 share it; whichever claimed it first (to the second, then by uid) creates it.
    assertThat(examples.out()).containsPattern("platform-agents/my-agent-[456] +False Creating +Waiting for GCP to create")
        .containsPattern("GCP operations in flight: .*create connectors/vpc-conn-europe");
  }

  @Test
  void printsTheTableKubectlWouldWithTheCrdsColumns() {
    assertThat(examples.out()).contains("$ kubectl get cloudrunegressjobs -A");
    assertThat(examples.out()).containsPattern("NAMESPACE +NAME +REGION +EGRESS +EGRESS-IP +METADATA +READY +REASON +LAST-RUN +NEXT-RUN +AGE");
    assertThat(examples.out()).containsPattern("platform-agents +my-agent-4 +europe-west2 +AllTraffic +203\\.0\\.113\\.\\d+ +True +True +Ready");
    assertThat(examples.out()).containsPattern("platform-agents +my-agent-6 +europe-west2 +AllTraffic +203\\.0\\.113\\.\\d+ +False +False +ProxyIntercepts");
    assertThat(examples.out()).containsPattern("platform-agents +my-agent-3 +europe-west2 +PrivateRangesOnly +True +False +NotOwned");
    // The same columns as the CRD's printer columns, in the same order.
    var crd = Manifests.readOne(Manifests.projectRoot().resolve("crds/cloudrunegressjobs.egress.cloudrun.dev-v1.yml"));
    var columns = new java.util.ArrayList<String>(java.util.List.of("NAMESPACE", "NAME"));
    crd.at("/spec/versions/0/additionalPrinterColumns").forEach(c -> columns.add(c.get("name").asText().toUpperCase()));
    assertThat(LocalReport.COLUMNS).isEqualTo(columns);
  }

  @Test
  void explainsTheFailingExample() {
    assertThat(examples.out()).containsPattern("JobReady +False NotOwned +Cloud Run job projects/myproject/locations/europe-west2/jobs/my-agent-3"
        + " exists but was not created by this operator for this resource; it is left untouched\\. Delete or rename it,"
        + " set spec\\.job\\.name to another name, or spec\\.adoptExisting: true to manage it\\.");
    assertThat(examples.out()).containsPattern("MetadataReachable +False ProxyIntercepts +metadata: Metadata requests go to the proxy in HTTP_PROXY");
  }

  @Test
  void showsTheGcpObjects() {
    assertThat(examples.out()).contains(
        "Connector projects/myproject/locations/europe-west2/connectors/vpc-conn-europe\n      READY, 10.8.0.0/28 on default, e2-micro x 2-3 instances",
        "NAT egress-nat: MANUAL_ONLY [github-egress-ip], translates ALL_SUBNETWORKS_ALL_IP_RANGES",
        "Firewall rule crej-my-agent-4-deny-all\n      EGRESS deny all to [0.0.0.0/0], priority 950, targets [vpc-connector-europe-west2-vpc-conn-europe]",
        "vpcAccess connector vpc-conn-europe, egress ALL_TRAFFIC"); // as Cloud Run answers it (docs/gcp-fidelity.md J2)
    assertThat(examples.out()).containsPattern("Static address github-egress-ip\n +203\\.0\\.113\\.\\d+ \\(IN_USE\\)");
  }

  @Test
  void neverShowsEnvironmentValuesOnlyNamesAndSecretReferences() {
    assertThat(examples.out()).contains("env [env, name, region, version, cloud_run_secret=secret:cloud_run_test:latest]");
    // values of 01's --set-env-vars and 03's REPORT_BUCKET
    assertThat(examples.out() + examples.err()).doesNotContain("testvalue", "release_17.0.0", "gs://myproject-reports");
  }

  @Test
  void exitsNonZeroWhenAResourceDoesNotBecomeReady(@TempDir Path dir) throws IOException {
    String missingConnector = Files.readString(Manifests.projectRoot().resolve("examples/05-existing-connector.yaml"))
        .replace("connectors/shared-euw2", "connectors/not-there");
    Files.writeString(dir.resolve("job.yaml"), missingConnector);

    Run run = local("--timeout=3s", dir.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).contains("FAIL  support-bots/ticket-triage should be Ready, but is Ready=False NotFound: Connector "
        + "projects/net-host-prod/locations/europe-west2/connectors/not-there does not exist");
  }

  @Test
  void withAKubeconfigRefusesAClusterWithoutTheCrd(@TempDir Path dir) throws IOException {
    KubernetesMockServer cluster = crudServer();
    try (KubernetesClient client = cluster.createClient()) {
      Run run = local("--kubeconfig", kubeconfig(dir, client).toString(), Manifests.projectRoot().resolve("examples/01-seed-github-static-ip.yaml").toString());

      assertThat(run.exitCode()).isEqualTo(2);
      assertThat(run.err()).contains("The CloudRunEgressJob CRD is not installed in the cluster", "kubectl apply -f crds/");
      assertThat(client.resources(CloudRunEgressJob.class).inAnyNamespace().list().getItems()).isEmpty();
    } finally {
      cluster.destroy();
    }
  }

  @Test
  void withAKubeconfigUsesThatClusterAndLeavesItAsFoundWhenGcpIsFake(@TempDir Path dir) throws IOException {
    KubernetesMockServer cluster = crudServer();
    try (KubernetesClient client = cluster.createClient(); InputStream crd = LocalCommand.class.getResourceAsStream(LocalCommand.CRD_RESOURCE)) {
      client.apiextensions().v1().customResourceDefinitions().load(crd).create();

      Run run = local("--kubeconfig", kubeconfig(dir, client).toString(), Manifests.projectRoot().resolve("examples/01-seed-github-static-ip.yaml").toString());

      assertThat(run.exitCode()).as(run.out()).isZero();
      assertThat(run.out()).doesNotContain("embedded API server").contains("OK    platform-agents/my-agent-4 is Ready.",
          "Deleting the applied resources: their GCP objects existed only in the fake.");
      assertThat(client.resources(CloudRunEgressJob.class).inAnyNamespace().list().getItems()).isEmpty();
    } finally {
      cluster.destroy();
    }
  }

  @Test
  void withAKubeconfigLeavesAResourceThatAlreadyExistsAlone(@TempDir Path dir) throws IOException {
    KubernetesMockServer cluster = crudServer();
    try (KubernetesClient client = cluster.createClient(); InputStream crd = LocalCommand.class.getResourceAsStream(LocalCommand.CRD_RESOURCE)) {
      client.apiextensions().v1().customResourceDefinitions().load(crd).create();
      Path seed = Manifests.projectRoot().resolve("examples/01-seed-github-static-ip.yaml");
      CloudRunEgressJob theirs = Serialization.unmarshal(java.nio.file.Files.readString(seed), CloudRunEgressJob.class);
      theirs.getSpec().getJob().setImage("europe-west2-docker.pkg.dev/myproject/containers/my-agent:in-production");
      client.resource(theirs).create();

      Run run = local("--kubeconfig", kubeconfig(dir, client).toString(), seed.toString());

      assertThat(run.exitCode()).as("nothing to check").isEqualTo(1);
      assertThat(run.out()).contains("skipped platform-agents/my-agent-4", "already exists there, and local mode leaves it alone");
      CloudRunEgressJob after = client.resources(CloudRunEgressJob.class).inNamespace("platform-agents").withName("my-agent-4").get();
      assertThat(after).as("neither overwritten nor deleted").isNotNull();
      assertThat(after.getSpec().getJob().getImage()).endsWith(":in-production");
    } finally {
      cluster.destroy();
    }
  }

  /** The issue's first try, as a new user writes it: every value of the connector and the job's resources wrong. */
  private static final String NEW_USERS_JOB = """
      apiVersion: egress.cloudrun.dev/v1alpha1
      kind: CloudRunEgressJob
      metadata:
        name: my-job
        namespace: default
      spec:
        project: myproject
        region: europe-west2
        job:
          image: europe-west2-docker.pkg.dev/myproject/containers/my-job:latest
          cpu: "3"
          memory: 512MB
        egress:
          vpcEgress: AllTraffic
          network: default
          connector:
            name: VPC_conn
            ipCidrRange: 10.8.0.1/28
            minInstances: 1
            maxInstances: 11
      """;

  /** The same job as the CRD admits it. */
  private static final String VALID_JOB = NEW_USERS_JOB.replace("\"3\"", "\"1\"").replace("512MB", "512Mi").replace("VPC_conn", "vpc-conn")
      .replace("10.8.0.1/28", "10.8.0.0/28").replace("minInstances: 1", "minInstances: 2").replace("maxInstances: 11", "maxInstances: 3");

  @Test
  void refusesTheNewUsersJobWithEveryMessageTheApiServerGivesBeforeStartingAnything(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("my-job.yaml"), NEW_USERS_JOB);

    Run run = local(file.toString());

    assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(2);
    assertThat(run.err()).contains(file + " (document 1, CloudRunEgressJob default/my-job): The CloudRunEgressJob \"my-job\" is invalid: \n* ")
        .contains(
            "* spec.egress.connector.name: Invalid value: \"VPC_conn\": spec.egress.connector.name must be a connector name of at most 25",
            "* spec.egress.connector.ipCidrRange: Invalid value: \"10.8.0.1/28\": spec.egress.connector.ipCidrRange must be an IPv4 /28"
                + " starting on its block boundary",
            "* spec.egress.connector.minInstances: Invalid value: 1: spec.egress.connector.minInstances in body should be greater than or equal to 2",
            "* spec.egress.connector.maxInstances: Invalid value: 11: spec.egress.connector.maxInstances in body should be less than or equal to 10",
            "* spec.job.cpu: Invalid value: \"3\": spec.job.cpu must be one of \"1\", \"2\", \"4\", \"6\", \"8\"",
            "* spec.job.memory: Invalid value: \"512MB\": spec.job.memory must be a whole number of Mi or Gi",
            "Nothing was applied: an API server with the CRDs of crds/ would refuse 1 of the 1 documents read");
    assertNothingStarted(run);
  }

  @Test
  void refusesAnEnumTypoAsTheApiServerDoesWithoutJacksonOrUsage(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("job.yaml"), VALID_JOB.replace("vpcEgress: AllTraffic", "vpcEgress: all-traffic"));

    Run run = local(file.toString());

    assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(2);
    assertThat(run.err()).contains(file + " (document 1, CloudRunEgressJob default/my-job): The CloudRunEgressJob \"my-job\" is invalid: \n"
        + "* spec.egress.vpcEgress: Unsupported value: \"all-traffic\": supported values: \"AllTraffic\", \"PrivateRangesOnly\"\n"
        + "* <nil>: Invalid value: null: some validation rules were not checked because the object was invalid;"
        + " correct the existing errors to complete validation\n");
    assertThat(run.out() + run.err()).doesNotContain("Cannot deserialize", "com.fasterxml", "Exception");
    assertNothingStarted(run);
  }

  @Test
  void refusesUnknownFieldsAsStrictFieldValidationDoesAndStillShowsTheOtherErrors(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("job.yaml"), VALID_JOB
        .replace("  job:\n", "  foo: bar\n  job:\n")
        .replace("    ipCidrRange: 10.8.0.0/28", "    ipCidrRnage: 10.8.0.0/28"));

    Run run = local(file.toString());

    assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(2);
    assertThat(run.err()).contains(file + " (document 1, CloudRunEgressJob default/my-job): Error from server (BadRequest): error when creating \""
        + file + "\": CloudRunEgressJob in version \"v1alpha1\" cannot be handled as a CloudRunEgressJob: strict decoding error:"
        + " unknown field \"spec.egress.connector.ipCidrRnage\", unknown field \"spec.foo\"\n"
        + file + " (document 1, CloudRunEgressJob default/my-job, once that is fixed): The CloudRunEgressJob \"my-job\" is invalid:"
        + " spec.egress.connector: Invalid value: spec.egress.connector must set exactly one of ipCidrRange");
    assertNothingStarted(run);
  }

  @Test
  void refusesEveryInvalidDocumentOfEveryFileAndAppliesNoneOfTheValidOnes(@TempDir Path dir) throws IOException {
    Path first = Files.writeString(dir.resolve("a.yaml"), "# a comment-only document first\n---\n" + VALID_JOB
        + "---\n" + VALID_JOB.replace("my-job", "other-job").replace("    cpu: \"1\"", "    cpu: 1"));
    String twice = VALID_JOB.replace("name: my-job", "name: My_Job")
        + "---\n" + VALID_JOB.replace("kind: CloudRunEgressJob", "kind: CloudRunEgressJobs")
        + "---\n" + VALID_JOB.replace("    memory: 512Mi\n", "    memory: 512Mi\n    memory: 1Gi\n")
        + "---\n" + VALID_JOB.replace("apiVersion: egress.cloudrun.dev/v1alpha1\n", "")
        + "---\nmetadata: {name: my-job\n";
    long secondMemoryLine = twice.substring(0, twice.indexOf("    memory: 1Gi")).lines().count() + 1;
    Path second = Files.writeString(dir.resolve("b.yaml"), twice);
    Path third = Files.writeString(dir.resolve("c.yml"), VALID_JOB.replace("  namespace: default\n", "  namespace: default\n  labels: {version: 1.0}\n"));

    Run run = local(dir.toString());

    assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(2);
    assertThat(run.err()).contains(
        first + " (document 2, CloudRunEgressJob default/other-job): The CloudRunEgressJob \"other-job\" is invalid: \n"
            + "* spec.job.cpu: Invalid value: \"integer\": spec.job.cpu in body must be of type string: \"integer\"\n",
        second + " (document 1, CloudRunEgressJob default/My_Job): The CloudRunEgressJob \"My_Job\" is invalid: metadata.name: Invalid value:"
            + " \"My_Job\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and"
            + " end with an alphanumeric character (e.g. 'example.com', regex used for validation is"
            + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n",
        second + " (document 2, CloudRunEgressJobs default/my-job): error: resource mapping not found for name: \"my-job\" namespace:"
            + " \"default\" from \"" + second + "\": no matches for kind \"CloudRunEgressJobs\" in version \"egress.cloudrun.dev/v1alpha1\"",
        second + " (document 3): error converting YAML to JSON: yaml: unmarshal errors:\n  line " + secondMemoryLine
            + ": key \"memory\" already set in map",
        second + " (document 4, CloudRunEgressJob default/my-job): error: error validating \"" + second
            + "\": error validating data: [apiVersion not set]",
        second + " (document 5): error converting YAML to JSON: yaml: line " + twice.lines().count() + ": while parsing a flow mapping:"
            + " expected ',' or '}', but got <stream end>",
        third + " (document 1, CloudRunEgressJob default/my-job): error: unable to decode \"" + third + "\": json: cannot unmarshal number"
            + " into Go struct field ObjectMeta.metadata.labels of type string",
        "Nothing was applied: an API server with the CRDs of crds/ would refuse 7 of the 8 documents read");
    assertThat(run.err()).doesNotContain(first + " (document 1");
    assertNothingStarted(run);
  }

  @Test
  void aValidFileStillRunsAndOtherKindsAreSkipped(@TempDir Path dir) throws IOException {
    String policy = Files.readString(Manifests.projectRoot().resolve("examples/policies/01-shared-network.yaml"));
    Path file = Files.writeString(dir.resolve("my-job.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n"
        + VALID_JOB + "---\n" + policy);

    Run run = local(file.toString());

    assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).contains(
        "skipped Namespace default in " + file + " (local mode applies CloudRunEgressJobs only)",
        "skipped EgressPolicy default in " + file + " (valid, but local mode applies CloudRunEgressJobs only)",
        "applied default/my-job",
        "OK    default/my-job is Ready.");
    assertThat(run.err()).doesNotContain("invalid", "refuse");
  }

  @Test
  void localModeJudgesTheValidationCorpusAsTheCrdsDo() throws IOException {
    // What local mode runs (the committed CRDs, as the API server would) refuses every case the
    // corpus rejects, with the message the corpus expects, and admits every case it accepts.
    CrdCatalog crds = CrdCatalog.committed();
    List<String> disagreements = new ArrayList<>();
    for (String corpus : List.of("rejected.yaml", "egress-policies-rejected.yaml", "accepted.yaml")) {
      try (InputStream in = LocalCommandTest.class.getResourceAsStream("/crd-corpus/" + corpus)) {
        for (JsonNode c : Manifests.readAll(in).get(0)) {
          JsonNode base = Manifests.example(c.path("base").asText());
          JsonNode old = c.has("old") ? Manifests.mergePatch(base, c.get("old")) : null;
          JsonNode object = Manifests.mergePatch(base, c.path("patch"));
          CrdValidator validator = crds.forResource(object.path("apiVersion").asText(), object.path("kind").asText()).orElseThrow();
          Review review = old == null ? validator.reviewCreate(object) : validator.reviewUpdate(old, object);
          String expected = c.path("error").asText(null);
          String printed = String.join("\n", review.kubectlErrors("f.yaml"));
          if (expected == null ? !review.admitted() : review.admitted() || !printed.contains(expected)) {
            disagreements.add(corpus + ": " + c.path("name").asText() + " -> " + (review.admitted() ? "admitted" : printed));
          }
        }
      }
    }
    assertThat(disagreements).isEmpty();
  }

  /** Neither the embedded API server, nor the fake GCP, nor the operator started; nothing applied. */
  private static void assertNothingStarted(Run run) {
    assertThat(run.out()).doesNotContain("Kubernetes:", "GCP:", "applied", "Reconciling");
    assertThat(run.out() + run.err()).doesNotContain("Usage:", "--timeout");
  }

  /** An embedded API server that stores what it is sent, as a cluster does. */
  static KubernetesMockServer crudServer() {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init();
    return server;
  }

  /** A kubeconfig in {@code dir} for the server {@code client} talks to. */
  static Path kubeconfig(Path dir, KubernetesClient client) throws IOException {
    Path file = dir.resolve("kubeconfig");
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters: [{name: test, cluster: {server: "%s"}}]
        users: [{name: test, user: {token: test}}]
        contexts: [{name: test, context: {cluster: test, user: test, namespace: default}}]
        current-context: test
        """.formatted(client.getMasterUrl()));
    return file;
  }
}
