package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Status writes that lose the resourceVersion race (409) to a user's metadata change: the status is
 * written again on the newest version, so the resource converges and no pass fails. (The real API
 * server showed the pass failing with ReconcileFailed and never converging while someone annotated.)
 */
class StatusWriteRaceTest {

  @Test
  void aResourceAnnotatedWhileItConvergesBecomesReadyWithoutAFailedPass() throws Exception {
    try (OperatorHarness harness = OperatorHarness.withExampleNetwork()) {
      CloudRunEgressJob seed = harness.applyExample("01-seed-github-static-ip.yaml").get(0);
      AtomicBoolean ready = new AtomicBoolean();
      AtomicInteger annotations = new AtomicInteger();
      Thread user = new Thread(() -> {
        while (!ready.get()) {
          // as `kubectl annotate` sends it: a merge patch without a resourceVersion
          harness.client.resources(CloudRunEgressJob.class).inNamespace(seed.getMetadata().getNamespace()).withName(seed.getMetadata().getName())
              .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"example.com/touched\":\"" + annotations.incrementAndGet() + "\"}}}");
          OperatorHarness.sleep(5);
        }
      }, "user");
      user.start();
      try {
        harness.awaitCondition(seed, Conditions.READY, "True");
      } finally {
        ready.set(true);
        user.join();
      }

      assertThat(annotations.get()).as("annotations made while converging").isGreaterThan(10);
      assertThat(harness.client.v1().events().inNamespace(seed.getMetadata().getNamespace()).list().getItems())
          .as("events").noneMatch(e -> "ReconcileFailed".equals(e.getReason()));
    }
  }
}
