package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.Inventory;
import dev.cloudrun.egress.gcp.Operations;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/** What the reconciler works with, built once per operator process. */
record Services(GcpClients gcp, Inventory inventory, Operations operations, WriteBudget writeBudget, Attempts attempts, Events events, Metrics metrics,
    Clock clock) {

  static Services create(GcpClients gcp, KubernetesClient kubernetes, MeterRegistry registry, CloudRunEgressJobReconciler.Settings settings) {
    Clock clock = Clock.systemUTC();
    return new Services(gcp, new Inventory(gcp, clock, settings.resyncInterval()), new Operations(gcp),
        WriteBudget.perSecond(settings.gcpWritesPerSecond()), new Attempts(), new Events(kubernetes, clock), new Metrics(registry), clock);
  }
}
