package dev.cloudrun.egress.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Kubernetes API server for the test tier: etcd and the project's kube-test-apiserver (the
 * upstream apiextensions-apiserver, plus Namespaces, Events, Leases and access reviews), built by
 * {@code src/test/kube-apiserver/setup.sh} into a cache directory before the tier runs (Maven
 * profile {@code apiserver}). One server per test JVM, started on free loopback ports the first time
 * a test asks for it and stopped by PID when the JVM exits. Tests keep apart by namespace.
 */
public final class RealApiServer {
  /** Where setup.sh built the server; the Maven profile passes the same directory to both. */
  public static final Path CACHE = Path.of(System.getProperty("kubeApiServer.cache",
      System.getProperty("user.home") + "/.cache/cloudrun-egress-operator/kube-apiserver"));

  private static RealApiServer shared;
  private static RealApiServer withAdmissionPolicies;
  /** A server that failed to start fails every later test at once, instead of each trying again for a minute. */
  private static RuntimeException startFailure;

  private Path work;
  private int apiPort;
  private Process etcd;
  private Process apiServer;
  private Path kubeconfig;

  /** The server most tests share, without admission policies. */
  public static synchronized RealApiServer shared() {
    if (shared == null) {
      shared = start(false);
    }
    return shared;
  }

  /**
   * A second server whose ValidatingAdmissionPolicy plugin judges the policies and bindings written
   * to {@link #admissionPolicyDir()}: apart from the shared one, since a policy applies cluster-wide.
   */
  public static synchronized RealApiServer withAdmissionPolicies() {
    if (withAdmissionPolicies == null) {
      withAdmissionPolicies = start(true);
    }
    return withAdmissionPolicies;
  }

  private static RealApiServer start(boolean admissionPolicies) {
    if (startFailure != null) {
      throw new IllegalStateException("the API server failed to start earlier in this run", startFailure);
    }
    try {
      return new RealApiServer(admissionPolicies);
    } catch (RuntimeException e) {
      startFailure = e;
      throw e;
    }
  }

  private RealApiServer(boolean admissionPolicies) {
    Path binary = CACHE.resolve("bin/kube-test-apiserver");
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("No API server at " + binary + ": build it with `bash operator/core/src/test/kube-apiserver/setup.sh "
          + CACHE + "` (root on Debian), or run the tier through `mvn -B verify -Papiserver`, which does.");
    }
    // Child processes outlive the JVM unless stopped: the hook is in place before the first one starts.
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "stop-kube-apiserver"));
    try {
      work = Files.createTempDirectory("kube-apiserver");
      int etcdPort = freePort();
      int peerPort = freePort();
      int etcdMetricsPort = freePort();
      apiPort = freePort();
      etcd = start("etcd", List.of(CACHE.resolve("bin/etcd").toString(), "--name", "test", "--data-dir", work.resolve("etcd").toString(),
          "--listen-client-urls", "http://127.0.0.1:" + etcdPort, "--advertise-client-urls", "http://127.0.0.1:" + etcdPort,
          "--listen-peer-urls", "http://127.0.0.1:" + peerPort, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
          "--initial-cluster", "test=http://127.0.0.1:" + peerPort, "--listen-metrics-urls", "http://127.0.0.1:" + etcdMetricsPort,
          // the tests' data is disposable: no fsync per write
          "--unsafe-no-fsync"));
      Path pki = CACHE.resolve("pki");
      List<String> command = new ArrayList<>(List.of(binary.toString(), "--etcd-servers", "http://127.0.0.1:" + etcdPort,
          "--bind-address", "127.0.0.1", "--secure-port", String.valueOf(apiPort),
          "--tls-cert-file", pki.resolve("server.crt").toString(), "--tls-private-key-file", pki.resolve("server.key").toString(),
          "--client-ca-file", pki.resolve("ca.crt").toString()));
      if (admissionPolicies) {
        Files.createDirectories(admissionPolicyDir());
        command.addAll(List.of("--vap-dir", admissionPolicyDir().toString(), "--vap-report", work.resolve("vap-report.json").toString()));
      }
      apiServer = start("apiserver", command);
      kubeconfig = writeKubeconfig(pki);
      awaitReady();
    } catch (IOException e) {
      stop();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
  }

  /** A new client of the server as its admin (system:masters), the way kubectl would connect. */
  public KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  /** Installs both CRDs from crds/ with kubectl, as a user would, and waits until they are served. */
  public synchronized void installCrds(KubernetesClient client) {
    Result apply = kubectl("apply", "-f", Manifests.projectRoot().resolve("crds").toString());
    if (apply.exitCode() != 0) {
      throw new AssertionError("kubectl apply -f crds/ was refused: " + apply.err());
    }
    for (String file : List.of(Crds.CLOUD_RUN_EGRESS_JOB_FILE, Crds.EGRESS_POLICY_FILE)) {
      client.apiextensions().v1().customResourceDefinitions().withName(crdName(file))
          .waitUntilCondition(crd -> crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
              .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")), 60, TimeUnit.SECONDS);
    }
    // kubectl cached the discovery from before the group existed; api-resources refreshes it (explain would not).
    kubectl("api-resources", "--api-group=egress.cloudrun.dev");
  }

  /** Creates these namespaces if missing: the server admits objects only in namespaces that exist (NamespaceLifecycle). */
  public static void ensureNamespaces(KubernetesClient client, java.util.Collection<String> names) {
    for (String name : names) {
      client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
          .serverSideApply();
    }
  }

  /** A generated CRD file's object name, e.g. cloudrunegressjobs.egress.cloudrun.dev. */
  public static String crdName(String file) {
    return file.replaceFirst("-v1\\.yml$", "");
  }

  public Config config() {
    try {
      return Config.fromKubeconfig(Files.readString(kubeconfig));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  public String url() {
    return "https://127.0.0.1:" + apiPort;
  }

  public record Result(int exitCode, String out, String err) {}

  /** Runs the real kubectl (from the same Debian Kubernetes release as the server) against it. */
  public Result kubectl(String... args) {
    List<String> command = new ArrayList<>(List.of(CACHE.resolve("bin/kubectl").toString(), "--kubeconfig", kubeconfig.toString(),
        "--cache-dir", work.resolve("kubectl-cache").toString()));
    command.addAll(List.of(args));
    return run(command);
  }

  /** The server's own estimate of each CEL rule's cost in these CRD files, as JSON (see setup.sh). */
  public static Result crdCost(Path... crdFiles) {
    List<String> command = new ArrayList<>(List.of(CACHE.resolve("bin/kube-test-apiserver").toString(), "crd-cost"));
    for (Path f : crdFiles) {
      command.add(f.toString());
    }
    return run(command);
  }

  private static Result run(List<String> command) {
    return run(command, null, Map.of(), Duration.ofMinutes(2));
  }

  /** Runs a command from {@code directory} (null: this one) with {@code env} added, stdin closed, within {@code timeout}. */
  public static Result run(List<String> command, Path directory, Map<String, String> env, Duration timeout) {
    try {
      // Files, not pipes: a child that fills one pipe while we read the other would never finish.
      Path out = Files.createTempFile("command", ".out");
      Path err = Files.createTempFile("command", ".err");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory == null ? null : directory.toFile())
            .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        p.getOutputStream().close();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
          throw new IllegalStateException("did not finish in " + timeout + ": " + command + "\n" + Files.readString(out) + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The server's count of requests ({@code apiserver_request_total}) whose labels match, summed over
   * the rest: e.g. status writes of one resource kind. Counted by the server, not by the client.
   */
  public long requests(Predicate<Map<String, String>> labels) {
    Result metrics = kubectl("get", "--raw", "/metrics");
    if (metrics.exitCode() != 0) {
      throw new IllegalStateException("GET /metrics failed: " + metrics.err());
    }
    long total = 0;
    Matcher line = Pattern.compile("(?m)^apiserver_request_total\\{([^}]*)} (\\S+)$").matcher(metrics.out());
    while (line.find()) {
      Map<String, String> parsed = new HashMap<>();
      Matcher label = Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(line.group(1));
      while (label.find()) {
        parsed.put(label.group(1), label.group(2));
      }
      if (labels.test(parsed)) {
        total += (long) Double.parseDouble(line.group(2));
      }
    }
    return total;
  }

  /**
   * Successful writes (2xx) to a resource kind and subresource ("" for the object itself) as the
   * server counted them; writes it refused, such as a 409 on a stale resourceVersion, change nothing.
   */
  public long writes(String resource, String subresource) {
    return requests(l -> isWrite(l) && l.getOrDefault("code", "").startsWith("2")
        && resource.equals(l.get("resource")) && subresource.equals(l.getOrDefault("subresource", "")));
  }

  /** Writes to a resource kind and subresource that the server refused with 409 Conflict. */
  public long conflicts(String resource, String subresource) {
    return requests(l -> isWrite(l) && "409".equals(l.get("code"))
        && resource.equals(l.get("resource")) && subresource.equals(l.getOrDefault("subresource", "")));
  }

  public static boolean isWrite(Map<String, String> labels) {
    return List.of("POST", "PUT", "PATCH", "DELETE", "APPLY").contains(labels.get("verb"));
  }

  /** Where the policies and bindings this server's admission plugin judges are read from (every second). */
  public Path admissionPolicyDir() {
    return work.resolve("vap.d");
  }

  /**
   * What the plugin loaded from {@link #admissionPolicyDir()} and what it refused, as JSON:
   * {"digest", "loaded": ["Kind/name"...], "refused": {"Kind/name": [errors]}, "problems": [...]}.
   * Null before the first read.
   */
  public String admissionPolicyReport() {
    try {
      Path report = work.resolve("vap-report.json");
      return Files.exists(report) ? Files.readString(report) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path log() {
    return work.resolve("apiserver.log");
  }

  private Process start(String name, List<String> command) throws IOException {
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile()).start();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      if (!apiServer.isAlive() || !etcd.isAlive()) {
        throw new IllegalStateException("the API server or etcd exited; logs in " + work + ":\n" + tail(work.resolve("apiserver.log")) + tail(work.resolve("etcd.log")));
      }
      Result ready = kubectl("get", "--raw", "/readyz");
      if (ready.exitCode() == 0 && ready.out().trim().equals("ok")) {
        return;
      }
      last = ready.err();
      sleep(200);
    }
    throw new IllegalStateException("the API server was not ready in 60 s: " + last + "\n" + tail(work.resolve("apiserver.log")));
  }

  private Path writeKubeconfig(Path pki) throws IOException {
    String kubeconfigText = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: test
          cluster: {server: "%s", certificate-authority-data: %s}
        users:
        - name: admin
          user: {client-certificate-data: %s, client-key-data: %s}
        contexts:
        - name: test
          context: {cluster: test, user: admin, namespace: default}
        current-context: test
        """.formatted(url(), base64(pki.resolve("ca.crt")), base64(pki.resolve("admin.crt")), base64(pki.resolve("admin.key")));
    Path file = work.resolve("kubeconfig");
    Files.writeString(file, kubeconfigText);
    return file;
  }

  /** Stops the server then etcd, by their process handles, and deletes their data. Idempotent. */
  private void stop() {
    for (Process p : new Process[] {apiServer, etcd}) {
      if (p != null && p.isAlive()) {
        p.destroy();
        try {
          if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        } catch (InterruptedException e) {
          p.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
    }
    if (work == null || !Files.exists(work)) {
      return;
    }
    try (var files = Files.walk(work)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is not worth failing the run for
    }
  }

  private static String base64(Path file) throws IOException {
    return Base64.getEncoder().encodeToString(Files.readAllBytes(file));
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())) + "\n";
    } catch (IOException e) {
      return "(no " + file + ")\n";
    }
  }

  /** A port free on loopback now (another process may take it before it is bound: rare enough here). */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
