package dev.cloudrun.egress.local;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.RunsStatus;
import dev.cloudrun.egress.app.Expectation;
import dev.cloudrun.egress.app.GoDuration;
import dev.cloudrun.egress.gcp.ResourceNames;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Follows the applied resources and prints each change of their Ready condition, of their GCP
 * operations in flight and of their runs.
 */
final class Progress {
  private static final long POLL_MILLIS = 100;

  private final KubernetesClient client;
  private final List<CloudRunEgressJob> resources;
  private final PrintWriter out;
  private final Map<String, String> lastShown = new HashMap<>();
  private final long start = System.nanoTime();

  Progress(KubernetesClient client, List<CloudRunEgressJob> resources, PrintWriter out) {
    this.client = client;
    this.resources = resources;
    this.out = out;
  }

  /** Waits until every resource meets its {@link Expectation}, or {@code timeout}; returns them as last read. */
  List<CloudRunEgressJob> awaitExpectations(Duration timeout) throws InterruptedException {
    return await(cr -> Expectation.of(cr).metBy(cr), timeout);
  }

  /**
   * Waits until every resource is {@code done}, or until {@code timeout} has passed since this
   * progress began (one limit for every wait of a local run); returns them as last read.
   */
  List<CloudRunEgressJob> await(Predicate<CloudRunEgressJob> done, Duration timeout) throws InterruptedException {
    long deadline = start + timeout.toNanos();
    while (true) {
      List<CloudRunEgressJob> current = read();
      current.forEach(this::showChange);
      out.flush();
      boolean allMet = current.size() == resources.size() && current.stream().allMatch(done);
      if (allMet || System.nanoTime() > deadline) {
        if (!allMet) {
          out.printf("%6s  timed out after %s%n", elapsed(), GoDuration.format(timeout));
        }
        return current;
      }
      Thread.sleep(POLL_MILLIS);
    }
  }

  private List<CloudRunEgressJob> read() {
    List<CloudRunEgressJob> current = new ArrayList<>();
    for (CloudRunEgressJob cr : resources) {
      CloudRunEgressJob latest = client.resources(CloudRunEgressJob.class)
          .inNamespace(cr.getMetadata().getNamespace()).withName(cr.getMetadata().getName()).get();
      if (latest != null) {
        current.add(latest);
      }
    }
    return current;
  }

  private void showChange(CloudRunEgressJob cr) {
    String name = cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName();
    String ready = Expectation.ready(cr).map(c -> String.format("%-5s %-20s %s", c.getStatus(), c.getReason(), c.getMessage())).orElse("(no status yet)");
    List<OperationStatus> started = cr.getStatus() == null ? List.of()
        : cr.getStatus().getOperations().stream().filter(o -> !o.getName().isEmpty()).toList();
    String operations = started.isEmpty() ? "" : started.stream().map(o -> o.getAction() + " " + shortName(o.getTarget()))
        .collect(Collectors.joining(", ", "\n" + " ".repeat(8) + "GCP operations in flight: ", ""));
    String shown = ready + operations + runs(cr.getStatus() == null ? null : cr.getStatus().getExecution());
    if (!Objects.equals(lastShown.put(name, shown), shown)) {
      out.printf("%6s  %-32s %s%n", elapsed(), name, shown);
    }
  }

  /** The run asked for and not started, and the newest execution: what a user follows while a run goes. */
  private static String runs(RunsStatus runs) {
    if (runs == null) {
      return "";
    }
    StringBuilder text = new StringBuilder();
    if (runs.getRequest() != null) {
      text.append("\n").append(" ".repeat(8)).append("Run asked for (").append(runs.getRequest().getTrigger()).append(' ')
          .append(runs.getRequest().getValue()).append(")").append(runs.getRequest().getWaiting() == null ? "" : ": " + runs.getRequest().getWaiting());
    }
    if (runs.getLast() != null) {
      text.append("\n").append(" ".repeat(8)).append("Last run: ").append(ResourceNames.id(runs.getLast().getName())).append(" (")
          .append(runs.getLast().getTrigger()).append(") ").append(runs.getLast().getPhase()).append(", ").append(LocalReport.tasks(runs.getLast()));
    }
    return text.toString();
  }

  /** projects/p/regions/r/routers/x → routers/x: the kind and name are what a reader follows. */
  private static String shortName(String target) {
    String[] parts = target.split("/");
    return parts.length >= 2 ? parts[parts.length - 2] + "/" + parts[parts.length - 1] : target;
  }

  private String elapsed() {
    return String.format("%.1fs", (System.nanoTime() - start) / 1e9);
  }

  /** Deletes the resources and waits (up to a minute) until the operator's cleanup let them go. */
  static void deleteAndAwait(KubernetesClient client, List<CloudRunEgressJob> resources, PrintWriter out) throws InterruptedException {
    out.println();
    out.println("Deleting the applied resources: their GCP objects existed only in the fake.");
    resources.forEach(cr -> client.resource(cr).delete());
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (System.nanoTime() < deadline
        && resources.stream().anyMatch(cr -> client.resources(CloudRunEgressJob.class).inNamespace(cr.getMetadata().getNamespace())
            .withName(cr.getMetadata().getName()).get() != null)) {
      Thread.sleep(POLL_MILLIS);
    }
  }
}
