package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The operator's own metrics, beside java-operator-sdk's and the GCP call timer (gcp.GcpCallMetrics). */
final class Metrics {
  private static final String PASSES = "crej.reconcile.passes";
  private final MeterRegistry registry;
  /** Started, unfinished GCP operations per resource (namespace/name), as its last pass left them. */
  private final Map<String, Integer> operationsInFlight = new ConcurrentHashMap<>();

  Metrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("crej.operations.in.flight", operationsInFlight, m -> m.values().stream().mapToInt(Integer::intValue).sum())
        .description("GCP long-running operations the operator started and has not seen finish")
        .strongReference(true)
        .register(registry);
  }

  /**
   * One reconcile or cleanup pass of the resource. Labelled by resource so that one resource
   * requeued in a loop stands out: one series per CloudRunEgressJob (removed when it is deleted),
   * which is as many series as resources and no more.
   */
  void passed(CloudRunEgressJob cr) {
    passCounter(cr).increment();
  }

  double passes(CloudRunEgressJob cr) {
    return passCounter(cr).count();
  }

  private Counter passCounter(CloudRunEgressJob cr) {
    return registry.counter(PASSES, "namespace", cr.getMetadata().getNamespace(), "name", cr.getMetadata().getName());
  }

  /** One drift correction on a part (connector, router, firewall, address, job). */
  void driftCorrected(String part) {
    registry.counter("crej.drift.corrections", "part", part).increment();
  }

  double driftCorrections(String part) {
    var counter = registry.find("crej.drift.corrections").tag("part", part).counter();
    return counter == null ? 0 : counter.count();
  }

  /** An execution of a resource's job was seen ending: Succeeded, Failed or Cancelled. */
  void runEnded(String outcome) {
    registry.counter("crej.runs", "outcome", outcome).increment();
  }

  /** What a pass leaves in status.operations; only started operations count (intents start on the next pass). */
  void operationsInFlight(CloudRunEgressJob cr, List<OperationStatus> operations) {
    operationsInFlight.put(Ownership.owner(cr), (int) operations.stream().filter(o -> !o.getName().isEmpty()).count());
  }

  /** The resource is gone. */
  void forget(CloudRunEgressJob cr) {
    operationsInFlight.remove(Ownership.owner(cr));
    registry.remove(passCounter(cr));
  }
}
