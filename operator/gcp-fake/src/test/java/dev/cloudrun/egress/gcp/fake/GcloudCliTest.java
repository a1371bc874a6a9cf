package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real gcloud against the fake over HTTP, configured as docs/operating.md ("The GCP emulator")
 * says, through the same properties as environment variables (CLOUDSDK_SECTION_PROPERTY). Skipped
 * where gcloud is not on the PATH (CI has none); {@link GcloudRequestsTest} holds the same requests
 * without it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GcloudCliTest {
  private static final String HOST = "net-host-prod";
  private static final String P = "myproject";
  private static final String R = "europe-west2";

  @TempDir
  Path config;
  private FakeGcp gcp;
  private String gcloud;

  @BeforeAll
  void start() throws Exception {
    gcloud = onPath("gcloud");
    assumeTrue(gcloud != null, "gcloud is not on the PATH");
    // The wall clock, and every operation done in the answer that starts it: gcloud polls with real sleeps.
    gcp = FakeGcp.builder().clock(FakeClock.scaled(1)).start();
    gcp.latencies().setAll(Duration.ZERO);
    gcp.seedNetwork(P, "default");
    gcp.seedSubnetwork(P, "us-central1", "jobs-usc1", "default", "10.30.0.0/24");
    gcp.seedNetwork(HOST, "shared-vpc");
    post("/v1/projects/net-host-prod/locations/europe-west2/connectors?connectorId=shared-euw2",
        "{\"network\":\"shared-vpc\",\"ipCidrRange\":\"10.200.0.0/28\",\"minInstances\":2,\"maxInstances\":10}");
    post("/compute/v1/projects/net-host-prod/regions/europe-west2/routers", "{\"name\":\"shared-vpc-router-euw2\",\"network\":"
        + "\"global/networks/shared-vpc\",\"nats\":[{\"name\":\"shared-vpc-nat\",\"natIpAllocateOption\":\"AUTO_ONLY\","
        + "\"sourceSubnetworkIpRangesToNat\":\"ALL_SUBNETWORKS_ALL_IP_RANGES\"}]}");
    for (String name : List.of("fw-a", "fw-b")) {
      post("/compute/v1/projects/myproject/global/firewalls", "{\"name\":\"" + name + "\",\"network\":\"global/networks/default\","
          + "\"allowed\":[{\"IPProtocol\":\"tcp\",\"ports\":[\"443\"]}]}");
    }
    for (String name : List.of("addr-a", "addr-b")) {
      post("/compute/v1/projects/myproject/regions/europe-west2/addresses", "{\"name\":\"" + name + "\"}");
    }
    post("/v2/projects/myproject/locations/europe-west2/jobs?jobId=my-agent-3",
        "{\"template\":{\"template\":{\"containers\":[{\"image\":\"europe-west2-docker.pkg.dev/myproject/containers/my-agent:3.9.1\"}]}}}");
    post("/v2/projects/myproject/locations/europe-west2/jobs/my-agent-3:run", "{}");
    post("/v1/projects/myproject/locations/europe-west2/jobs", "{\"name\":\"projects/myproject/locations/europe-west2/jobs/nightly\","
        + "\"schedule\":\"0 3 * * *\",\"timeZone\":\"Etc/UTC\",\"httpTarget\":{\"uri\":"
        + "\"https://run.googleapis.com/v2/projects/myproject/locations/europe-west2/jobs/my-agent-3:run\",\"httpMethod\":\"POST\"}}");
  }

  @AfterAll
  void stop() {
    if (gcp != null) {
      gcp.close();
    }
  }

  @Test
  @Order(1)
  void routersAndTheirNatsAreListedAndDescribed() throws Exception {
    assertThat(gcloud("compute", "routers", "list", "--project", HOST))
        .contains("shared-vpc-router-euw2").contains("europe-west2").contains("shared-vpc");
    assertThat(gcloud("compute", "routers", "describe", "shared-vpc-router-euw2", "--region", R, "--project", HOST))
        .contains("name: shared-vpc-router-euw2").contains("natIpAllocateOption: AUTO_ONLY");
    assertThat(gcloud("compute", "routers", "nats", "list", "--router", "shared-vpc-router-euw2", "--region", R, "--project", HOST))
        .contains("shared-vpc-nat").contains("ALL_SUBNETWORKS_ALL_IP_RANGES");
    assertThat(gcloud("compute", "routers", "nats", "describe", "shared-vpc-nat", "--router", "shared-vpc-router-euw2", "--region", R,
        "--project", HOST)).contains("name: shared-vpc-nat").contains("udpIdleTimeoutSec: 30");
  }

  @Test
  @Order(2)
  void firewallRulesAreListedFilteredAndDeletedInOneBatch() throws Exception {
    assertThat(gcloud("compute", "firewall-rules", "list", "--format=value(name)")).isEqualTo("fw-a\nfw-b\n");
    assertThat(gcloud("compute", "firewall-rules", "list", "--filter=name=fw-b", "--format=value(name)")).isEqualTo("fw-b\n");
    assertThat(gcloud("compute", "firewall-rules", "list", "--project", HOST, "--format=value(name)"))
        .contains("aet-europewest2-shared--euw2-hcfw");

    String deleted = gcloudStderr("compute", "firewall-rules", "delete", "fw-a", "fw-b", "--quiet");

    assertThat(deleted).contains("Deleted [https://www.googleapis.com/compute/v1/projects/myproject/global/firewalls/fw-a]")
        .contains("Deleted [https://www.googleapis.com/compute/v1/projects/myproject/global/firewalls/fw-b]");
    assertThat(gcp.firewalls(P)).isEmpty();
  }

  @Test
  @Order(3)
  void addressesAreListedAcrossRegionsAndDeletedTogether() throws Exception {
    assertThat(gcloud("compute", "addresses", "list", "--format=value(name,region.basename(),status)"))
        .isEqualTo("addr-a\teurope-west2\tRESERVED\naddr-b\teurope-west2\tRESERVED\n");

    assertThat(gcloudStderr("compute", "addresses", "delete", "addr-a", "addr-b", "--region", R, "--quiet"))
        .contains("Deleted [https://www.googleapis.com/compute/v1/projects/myproject/regions/europe-west2/addresses/addr-a]")
        .contains("Deleted [https://www.googleapis.com/compute/v1/projects/myproject/regions/europe-west2/addresses/addr-b]");

    assertThat(gcloud("compute", "addresses", "list")).isEmpty();
  }

  @Test
  @Order(4)
  void operationsAreListedAggregatedGlobalAndRegional() throws Exception {
    String all = gcloud("compute", "operations", "list", "--format=value(operationType,targetLink.basename(),status)");
    assertThat(all).contains("delete\tfw-a\tDONE").contains("delete\taddr-b\tDONE").contains("insert\taddr-a\tDONE");
    assertThat(gcloud("compute", "operations", "list", "--global", "--format=value(targetLink.basename())")).doesNotContain("addr-a");
    assertThat(gcloud("compute", "operations", "list", "--regions", R, "--format=value(targetLink.basename())")).doesNotContain("fw-a");
  }

  @Test
  @Order(5)
  void connectorsAreListedDescribedAndDeleted() throws Exception {
    String args = "--region=" + R;
    assertThat(gcloud("compute", "networks", "vpc-access", "connectors", "list", args, "--project", HOST))
        .contains("shared-euw2").contains("READY");
    assertThat(gcloud("compute", "networks", "vpc-access", "connectors", "describe", "shared-euw2", args, "--project", HOST))
        .contains("ipCidrRange: 10.200.0.0/28").contains("state: READY");

    assertThat(gcloudStderr("compute", "networks", "vpc-access", "connectors", "delete", "shared-euw2", args, "--project", HOST, "--quiet"))
        .contains("Deleted connector [shared-euw2]");

    assertThat(gcp.allConnectors()).isEmpty();
  }

  @Test
  @Order(6)
  void cloudRunJobsAndExecutionsAreListedDescribedAndDeleted() throws Exception {
    assertThat(gcloud("run", "jobs", "list", "--region", R)).contains("my-agent-3").contains("europe-west2");
    assertThat(gcloud("run", "jobs", "list", "--region", "us-central1")).isEmpty();
    assertThat(gcloud("run", "jobs", "describe", "my-agent-3", "--region", R))
        .contains("europe-west2-docker.pkg.dev/myproject/containers/my-agent:3.9.1").containsPattern("Max Retries:\\s+3");
    String executions = gcloud("run", "jobs", "executions", "list", "--job", "my-agent-3", "--region", R, "--format=value(name)");
    assertThat(executions).startsWith("my-agent-3-");

    assertThat(gcloudStderr("run", "jobs", "delete", "my-agent-3", "--region", R, "--quiet")).contains("Deleted job [my-agent-3]");

    assertThat(gcp.allJobs()).isEmpty();
  }

  @Test
  @Order(7)
  void schedulerJobsAreListed() throws Exception {
    assertThat(gcloud("scheduler", "jobs", "list", "--location", R)).contains("nightly").contains("0 3 * * * (Etc/UTC)").contains("ENABLED");
  }

  @Test
  @Order(8)
  void cloudRunJobsAreCreatedDeployedReplacedUpdatedExecutedAndTheirExecutionsCancelledAndDeleted() throws Exception {
    String region = "--region=" + R;
    assertThat(all("run", "jobs", "create", "cli-job", "--image=busybox", region)).contains("Job [cli-job] has successfully been created");
    assertThat(fails("run", "jobs", "create", "cli-job", "--image=busybox", region)).contains("Job [cli-job] already exists.");
    all("run", "jobs", "update", "cli-job", "--set-env-vars=A=1", "--tasks=2", "--max-retries=1", region);
    assertThat(gcloud("run", "jobs", "describe", "cli-job", region)).containsPattern("Last updated on 20\\d\\d-").containsPattern("Tasks:\\s+2").containsPattern("A\\s+1")
        .containsPattern("Max Retries:\\s+1");
    assertThat(gcp.job("projects/myproject/locations/europe-west2/jobs/cli-job").orElseThrow().getTemplate().getTemplate()
        .getContainers(0).getEnv(0).getValue()).as("the v2 job is the one gcloud changed").isEqualTo("1");

    // deploy: create when missing, replace when there
    all("run", "jobs", "deploy", "cli-job-2", "--image=busybox", region);
    all("run", "jobs", "deploy", "cli-job-2", "--image=busybox:1.36", region);
    assertThat(gcloud("run", "jobs", "describe", "cli-job-2", region, "--format=value(spec.template.spec.template.spec.containers[0].image,"
        + "metadata.generation)")).isEqualTo("busybox:1.36\t2\n");

    // execute --wait: tasks end at once (latencies are zero)
    assertThat(all("run", "jobs", "execute", "cli-job", region, "--wait")).contains("has successfully completed");
    String done = gcloud("run", "jobs", "executions", "list", "--job", "cli-job", region, "--format=value(name)").trim();
    assertThat(gcloud("run", "jobs", "executions", "describe", done, region)).contains("2 tasks completed successfully");
    String tasks = gcloud("run", "jobs", "executions", "tasks", "list", "--execution", done, region, "--format=value(index,running_state,name)");
    assertThat(tasks).isEqualTo("0\tSucceeded\t" + done + "-task0\n1\tSucceeded\t" + done + "-task1\n");
    assertThat(gcloud("run", "jobs", "executions", "tasks", "describe", done + "-task1", region)).contains("Running state: Succeeded");

    // execute without --wait returns once the execution has started; it runs until cancelled
    gcp.latencies().set(Latencies.Kind.TASK, Duration.ofHours(1));
    assertThat(all("run", "jobs", "execute", "cli-job", region)).contains("has successfully started running");
    String running = gcloud("run", "jobs", "executions", "list", "--job", "cli-job", region, "--format=value(name)").lines()
        .filter(name -> !name.equals(done)).findFirst().orElseThrow();
    assertThat(gcloud("run", "jobs", "executions", "tasks", "list", "--execution", running, region, "--running", "--format=value(name)"))
        .hasLineCount(2);
    assertThat(all("run", "jobs", "executions", "cancel", running, region)).contains("Cancelled execution [" + running + "]");
    assertThat(gcloud("run", "jobs", "executions", "tasks", "list", "--execution", running, region, "--cancelled", "--format=value(name)"))
        .hasLineCount(2);
    assertThat(all("run", "jobs", "executions", "delete", running, region)).contains("Deleted execution [" + running + "]");
    assertThat(gcloud("run", "jobs", "executions", "list", "--job", "cli-job", region, "--format=value(name)")).isEqualTo(done + "\n");
    gcp.latencies().set(Latencies.Kind.TASK, Duration.ZERO);

    // replace: a YAML file, created when missing, replaced when there
    Path yaml = config.resolve("cli-job-3.yaml");
    String job = "apiVersion: run.googleapis.com/v1\nkind: Job\nmetadata:\n  name: cli-job-3\nspec:\n  template:\n    spec:\n"
        + "      template:\n        spec:\n          containers:\n          - image: busybox\n            env:\n            - name: A\n"
        + "              value: 'VALUE'\n          maxRetries: 0\n";
    Files.writeString(yaml, job.replace("VALUE", "1"));
    all("run", "jobs", "replace", yaml.toString(), region);
    Files.writeString(yaml, job.replace("VALUE", "2"));
    all("run", "jobs", "replace", yaml.toString(), region);
    assertThat(gcloud("run", "jobs", "describe", "cli-job-3", region, "--format=value(metadata.generation,"
        + "spec.template.spec.template.spec.containers[0].env[0].value,spec.template.spec.template.spec.maxRetries)")).isEqualTo("2\t2\t0\n");

    all("run", "jobs", "delete", "cli-job", region, "--quiet");
    all("run", "jobs", "delete", "cli-job-2", region, "--quiet");
    all("run", "jobs", "delete", "cli-job-3", region, "--quiet");
    assertThat(gcp.allJobs()).isEmpty();
  }

  // ---- running gcloud ----

  /** Runs gcloud with the emulator's configuration; its stdout, after checking that it exited 0 and reported no error. */
  private String gcloud(String... args) throws IOException, InterruptedException {
    return run(args)[0];
  }

  /** As {@link #gcloud}, but what it wrote to stderr, where it reports what it deleted. */
  private String gcloudStderr(String... args) throws IOException, InterruptedException {
    return run(args)[1];
  }

  /** As {@link #gcloud}, but stdout and stderr together (gcloud reports progress and results on stderr). */
  private String all(String... args) throws IOException, InterruptedException {
    String[] out = run(args);
    return plain(out[0] + out[1]);
  }

  /** Runs gcloud expecting it to fail; what it wrote to stderr. */
  private String fails(String... args) throws IOException, InterruptedException {
    String[] out = run(false, args);
    return plain(out[1]);
  }

  /** Without the terminal's bold and colour escapes, which gcloud writes around names. */
  private static String plain(String text) {
    return text.replaceAll("\u001B\\[[0-9;]*m", "");
  }

  private String[] run(String... args) throws IOException, InterruptedException {
    return run(true, args);
  }

  private String[] run(boolean succeeds, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(gcloud));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    int port = URI.create(gcp.endpoint()).getPort();
    env.put("CLOUDSDK_CONFIG", config.toString());
    env.put("CLOUDSDK_CORE_PROJECT", P);
    env.put("CLOUDSDK_CORE_DISABLE_PROMPTS", "1");
    env.put("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true");
    env.put("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true");
    env.put("CLOUDSDK_SURVEY_DISABLE_PROMPTS", "true");
    env.put("CLOUDSDK_AUTH_DISABLE_CREDENTIALS", "true");
    // gcloud run jobs deploy first asks Service Usage whether Cloud Run is enabled, which the emulator does not serve.
    env.put("CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API", "false");
    env.put("CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE", gcp.endpoint() + "/compute/v1/");
    env.put("CLOUDSDK_API_ENDPOINT_OVERRIDES_VPCACCESS", gcp.endpoint() + "/");
    env.put("CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN", gcp.endpoint() + "/");
    env.put("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDSCHEDULER", gcp.endpoint() + "/");
    env.put("CLOUDSDK_PROXY_TYPE", "http");
    env.put("CLOUDSDK_PROXY_ADDRESS", "127.0.0.1");
    env.put("CLOUDSDK_PROXY_PORT", Integer.toString(port));
    Path out = Files.createTempFile(config, "out", ".txt");
    Path err = Files.createTempFile(config, "err", ".txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("gcloud " + String.join(" ", args) + " did not end in 120 s");
    }
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    if (!succeeds) {
      assertThat(process.exitValue()).as("gcloud %s\nstdout: %s\nstderr: %s", String.join(" ", args), stdout, stderr).isNotZero();
      return new String[] {stdout, stderr};
    }
    assertThat(process.exitValue()).as("gcloud %s\nstdout: %s\nstderr: %s", String.join(" ", args), stdout, stderr).isZero();
    assertThat(stderr).as("gcloud %s", String.join(" ", args)).doesNotContain("did not succeed").doesNotContain("ERROR");
    return new String[] {stdout, stderr};
  }

  private void post(String path, String body) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gcp.endpoint() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  private static String onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File file = new File(dir, program);
      if (file.isFile() && file.canExecute()) {
        return file.getAbsolutePath();
      }
    }
    return null;
  }
}
