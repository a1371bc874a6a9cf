package dev.cloudrun.egress.app;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/** Follows the applied resources and prints each change of their Ready condition and of their GCP operations in flight. */
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
    long deadline = start + timeout.toNanos();
    while (true) {
      List<CloudRunEgressJob> current = read();
      current.forEach(this::showChange);
      out.flush();
      boolean allMet = current.size() == resources.size() && current.stream().allMatch(cr -> Expectation.of(cr).metBy(cr));
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
    String shown = ready + operations;
    if (!Objects.equals(lastShown.put(name, shown), shown)) {
      out.printf("%6s  %-32s %s%n", elapsed(), name, shown);
    }
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
