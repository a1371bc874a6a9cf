package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Allowed;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With a resync interval far longer than the test, drift is found only through the per-resource
 * triggers: the force-reconcile annotation (fresh lists at once) and the resync-interval override.
 */
class ResyncTriggersTest {
  private static final String RULE = "crej-my-agent-4-allow-github";
  private OperatorHarness harness;
  private CloudRunEgressJob seed;

  @BeforeEach
  void seedIsReady() {
    harness = new OperatorHarness(new CloudRunEgressJobReconciler.Settings(Duration.ofHours(1), Duration.ofMillis(50), Duration.ofSeconds(2), 0), 300);
    harness.gcp.seedNetwork("myproject", "default");
    harness.start();
    seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    harness.gcp.compute().editFirewall("myproject", RULE,
        f -> f.toBuilder().clearAllowed().addAllowed(Allowed.newBuilder().setIPProtocol("all")).build());
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void theForceReconcileAnnotationFindsDriftAtOnce() {
    OperatorHarness.sleep(1_000);
    assertThat(allowed()).as("not corrected before the request: the resync is an hour").isEqualTo("all");

    CloudRunEgressJob current = harness.get(seed);
    current.getMetadata().getAnnotations().put(ReconcileTriggers.FORCE_RECONCILE, "2026-11-21T10:00:00Z");
    harness.client.resource(current).update();
    CloudRunEgressJob forced = harness.await(seed, c -> "2026-11-21T10:00:00Z".equals(c.getStatus().getLastForcedReconcile()), Duration.ofSeconds(10));
    awaitAllowed("tcp", Duration.ofSeconds(10));
    assertThat(forced.getSpec()).isEqualTo(current.getSpec());
  }

  @Test
  void theResyncIntervalAnnotationShortensTheResyncOfOneResource() {
    CloudRunEgressJob current = harness.get(seed);
    current.getMetadata().getAnnotations().put(ReconcileTriggers.RESYNC_INTERVAL, "10s");
    harness.client.resource(current).update();
    // The annotation takes effect with the pass it triggers; the drift is found by the resync after it (10 s, jittered 10%).
    awaitAllowed("tcp", Duration.ofSeconds(15));
  }

  private String allowed() {
    return harness.gcp.firewall("myproject", RULE).orElseThrow().getAllowed(0).getIPProtocol();
  }

  private void awaitAllowed(String protocol, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!allowed().equals(protocol)) {
      assertThat(System.nanoTime()).as("firewall rule %s back to %s within %s", RULE, protocol, timeout).isLessThan(deadline);
      OperatorHarness.sleep(50);
    }
  }
}
