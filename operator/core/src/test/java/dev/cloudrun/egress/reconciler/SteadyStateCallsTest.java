package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * In steady state the operator reads GCP by listing each kind once per project and region per
 * resync, whatever the number of resources: the calls in a window of resyncs are bounded by the
 * number of kinds, and there are no writes.
 */
class SteadyStateCallsTest {
  private static final int RESYNCS = 3;
  private final OperatorHarness harness = OperatorHarness.withExampleNetwork();

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void callsPerResyncDoNotGrowWithTheNumberOfResources() {
    List<CloudRunEgressJob> agents = IntStream.range(0, 20).mapToObj(SteadyStateCallsTest::agent).toList();
    awaitAllReady(agents.subList(0, 1));
    Map<String, Long> withOne = callsOverResyncs();
    awaitAllReady(agents.subList(1, agents.size()));
    Map<String, Long> withTwenty = callsOverResyncs();

    // Drift is still being looked for: every kind the resources use is listed, with one resource as with twenty.
    assertThat(withOne.keySet()).containsExactlyInAnyOrder("vpcaccess connectors.list 200", "compute routers.list 200",
        "compute addresses.list 200", "compute firewalls.list 200", "run jobs.list 200");
    assertThat(withTwenty.keySet()).isEqualTo(withOne.keySet());
    for (Map<String, Long> calls : List.of(withOne, withTwenty)) {
      assertThat(calls.keySet()).as("only list calls, all answered 200: %s", calls).allMatch(k -> k.matches("\\w+ \\w+\\.list 200"));
      // Each kind is listed at most once per resync interval, plus once for the window's start.
      assertThat(calls.values()).as("lists of one kind in %d resyncs: %s", RESYNCS, calls).allMatch(n -> n <= RESYNCS + 1);
    }
    System.out.printf("GCP calls over %d resyncs: 1 resource %s, 20 resources %s%n", RESYNCS, withOne, withTwenty);
    // The bound does not involve the number of resources: kinds x (resyncs + 1) = 20 calls, where a
    // per-object poller would make at least 20 resources x 3 resyncs x 4 objects = 240. (Comparing
    // with the single resource's own count is not stable: a lone resource whose pass comes just
    // before its lists age out is served from them, so it lists every other pass.)
    long twenty = withTwenty.values().stream().mapToLong(Long::longValue).sum();
    assertThat(twenty).as("calls with 20 resources: %s", withTwenty).isLessThanOrEqualTo((long) withOne.size() * (RESYNCS + 1));
  }

  private void awaitAllReady(List<CloudRunEgressJob> crs) {
    crs.forEach(cr -> harness.client.resource(cr).create());
    crs.forEach(cr -> harness.awaitCondition(cr, Conditions.READY, "True"));
  }

  /** The GCP calls made over {@link #RESYNCS} resync intervals (2 s each in the harness), once settled. */
  private Map<String, Long> callsOverResyncs() {
    OperatorHarness.sleep(2_500); // let the last creations' follow-up passes finish
    harness.gcp.calls().reset();
    OperatorHarness.sleep(RESYNCS * 2_000L);
    return harness.gcp.calls().snapshot();
  }

  /** A job like example 04's, sharing its connector and NAT. */
  private static CloudRunEgressJob agent(int i) {
    CloudRunEgressJob cr = OperatorHarness.readExample("04-shared-connector.yaml").get(0);
    cr.setMetadata(new ObjectMeta());
    cr.getMetadata().setName("agent-" + i);
    cr.getMetadata().setNamespace("platform-agents");
    return cr;
  }
}
