package dev.cloudrun.egress.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
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
    var commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "local";
    System.arraycopy(args, 0, all, 1, args.length);
    int exitCode = commandLine.execute(all);
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
        "OK    platform-agents/my-agent-3 is not Ready, as its annotation examples.cloudrun.dev/expect-reason expects: Ready=False NotOwned");
    assertThat(examples.out()).doesNotContain("FAIL");
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
    assertThat(examples.out()).containsPattern("NAMESPACE +NAME +REGION +EGRESS +EGRESS-IP +METADATA +READY +REASON +AGE");
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
        "vpcAccess connector projects/myproject/locations/europe-west2/connectors/vpc-conn-europe, egress ALL_TRAFFIC");
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

  private static KubernetesMockServer crudServer() {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init();
    return server;
  }

  private static Path kubeconfig(Path dir, KubernetesClient client) throws IOException {
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
