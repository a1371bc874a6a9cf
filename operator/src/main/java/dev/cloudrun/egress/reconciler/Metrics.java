package dev.cloudrun.egress.reconciler;

import io.micrometer.core.instrument.MeterRegistry;

/** The operator's own metrics, beside java-operator-sdk's. */
final class Metrics {
  private final MeterRegistry registry;

  Metrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One drift correction on a part (connector, router, firewall, address, job). */
  void driftCorrected(String part) {
    registry.counter("crej.drift.corrections", "part", part).increment();
  }

  double driftCorrections(String part) {
    var counter = registry.find("crej.drift.corrections").tag("part", part).counter();
    return counter == null ? 0 : counter.count();
  }
}
