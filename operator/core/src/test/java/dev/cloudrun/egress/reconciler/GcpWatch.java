package dev.cloudrun.egress.reconciler;

import com.google.cloud.run.v2.Execution;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cloudrun.egress.gcp.fake.Calls;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * What GCP answered the operator, call by call (the fake's {@link Calls#listen listener}): the
 * writes GCP accepted (a request it refuses changes nothing), the creates of each object in its
 * current incarnation, and the probe jobs run.
 */
final class GcpWatch implements Consumer<Calls.Answered> {
  private final FakeGcp gcp;
  private final Clock clock;
  private final Stats stats;
  private final Consumer<String> trace;
  /** Accepted writes since {@link #startWindow}, as "api method path". */
  private final List<String> writes = new ArrayList<>();
  /** Per object, the operations of the creates GCP accepted since the object was last seen missing. */
  private final Map<String, Set<String>> creates = new TreeMap<>();
  /** Jobs run since {@link #startPass}. */
  private final Set<String> runs = new TreeSet<>();
  private Instant lastWrite;

  GcpWatch(FakeGcp gcp, Clock clock, Stats stats, Consumer<String> trace) {
    this.gcp = gcp;
    this.clock = clock;
    this.stats = stats;
    this.trace = trace;
    this.lastWrite = clock.instant();
  }

  @Override
  public synchronized void accept(Calls.Answered answered) {
    Calls.Call call = answered.call();
    if (call.status() >= 400 && answered.response().contains("njected")) {
      stats.injected++;
    }
    if (call.read() || call.status() >= 400) {
      return;
    }
    lastWrite = clock.instant();
    writes.add(call.api() + " " + call.method() + " " + answered.path());
    trace.accept("  GCP " + call.api() + " " + call.method() + " " + answered.path());
    String created = createdObject(call.api(), call.method(), answered);
    if (created != null) {
      // A retried insert with the same requestId is answered with its first operation: the same create.
      creates.computeIfAbsent(created, id -> new TreeSet<>()).add(operationName(answered.response()));
    }
    if (call.method().equals("jobs.run")) {
      runs.add(answered.path().replaceFirst("^/v2/", "").replaceFirst(":run$", ""));
    }
  }

  synchronized void startWindow() {
    writes.clear();
  }

  synchronized void startPass() {
    runs.clear();
  }

  synchronized List<String> writes() {
    return List.copyOf(writes);
  }

  /** The kinds of write accepted since the window began, e.g. "writing compute routers.update". */
  synchronized String writeKinds() {
    List<String> methods = writes.stream().map(w -> w.substring(0, w.lastIndexOf(' '))).distinct().sorted().toList();
    return methods.isEmpty() ? "writing status only" : "writing " + String.join(", ", methods);
  }

  /** A status write, or a step: something changed now. */
  synchronized void changedAt(Instant at) {
    lastWrite = at;
  }

  synchronized Instant lastWrite() {
    return lastWrite;
  }

  /** Creates per object since it was last seen missing, each with the operations GCP started for it. */
  synchronized Map<String, Set<String>> createsSinceLastMissing() {
    creates.keySet().removeIf(id -> !exists(id));
    return Map.copyOf(creates);
  }

  /** The jobs run since the pass began, each with its executions still running. */
  synchronized Map<String, List<String>> runningExecutionsOfJobsRun() {
    Map<String, List<String>> running = new TreeMap<>();
    for (String job : runs) {
      running.put(job, gcp.executionsOf(job).stream().filter(e -> !e.hasCompletionTime()).map(Execution::getName).toList());
    }
    return running;
  }

  /** The object a create call names, as {@link Implied} identifies it. */
  private static String createdObject(String api, String method, Calls.Answered answered) {
    String path = answered.path();
    if (api.equals("cloudscheduler")) {
      return method.equals("jobs.create") ? Implied.schedule(bodyName(answered.body())) : null;
    }
    return switch (method) {
      case "connectors.create" -> Implied.connector(path.replaceFirst("^/v1/", "") + "/" + query(answered.query(), "connectorId"));
      case "jobs.create" -> Implied.job(path.replaceFirst("^/v2/", "") + "/" + query(answered.query(), "jobId"));
      case "routers.insert" -> Implied.router(path.replaceFirst("^/compute/v1/", "") + "/" + bodyName(answered.body()));
      case "addresses.insert" -> Implied.address(path.replaceFirst("^/compute/v1/", "") + "/" + bodyName(answered.body()));
      case "firewalls.insert" -> "firewall " + path.replaceFirst("^/compute/v1/", "") + "/" + bodyName(answered.body());
      default -> null;
    };
  }

  private boolean exists(String id) {
    String kind = Implied.kind(id);
    String path = id.substring(kind.length() + 1);
    String[] p = path.split("/");
    return switch (kind) {
      case "connector" -> gcp.connector(path).isPresent();
      case "job" -> gcp.job(path).isPresent();
      case "schedule" -> gcp.schedulerJob(path).isPresent();
      case "router" -> gcp.router(p[1], p[3], p[5]).isPresent();
      case "address" -> gcp.address(p[1], p[3], p[5]).isPresent();
      case "firewall" -> gcp.firewall(p[1], p[4]).isPresent();
      default -> true;
    };
  }

  private static String query(String query, String name) {
    for (String pair : query == null ? new String[0] : query.split("&")) {
      if (pair.startsWith(name + "=")) {
        return URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
      }
    }
    return "";
  }

  private static String bodyName(String body) {
    return JsonParser.parseString(body).getAsJsonObject().get("name").getAsString();
  }

  /** A Compute operation by its selfLink, a long-running one by its name. */
  private static String operationName(String response) {
    JsonObject operation = JsonParser.parseString(response).getAsJsonObject();
    return operation.has("selfLink") ? operation.get("selfLink").getAsString() : operation.get("name").getAsString();
  }
}
