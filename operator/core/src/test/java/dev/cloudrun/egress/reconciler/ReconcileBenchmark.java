package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.gcp.fake.Latencies;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The operator's scaling figures, printed as ratios against bounds measured in the same run. Not a
 * test: run it with {@code mvn -B -q -pl operator/core -am -Pbenchmark -DskipTests verify}.
 *
 * <p>The real operator (java-operator-sdk, the reconciler, the official Google clients) runs
 * against the Kubernetes mock API and the GCP fake, whose clock runs faster than the wall clock
 * with GCP-like latencies (connector create 90 s, compute operations 5 s, job mutations 3 s). The
 * operator's timings and write budget are the production ones scaled by the same factor, so every
 * figure below is in GCP time. The bulk phase runs the clock slower: at 10x, the in-process
 * Kubernetes mock API (one event loop scanning every stored object per request) would be the
 * bottleneck instead of the GCP write budget.
 *
 * <p>The population: jobs in 2 regions sharing 10 connectors (5 per region) and one router + NAT
 * per region (GCP allows one all-subnetworks NAT per network and region), each job with a
 * least-privilege firewall (one allow rule and the deny).
 */
public final class ReconcileBenchmark {
  private static final double SPEED = 10;
  private static final double BULK_SPEED = 2;
  private static final String[] REGIONS = {"europe-west2", "us-central1"};
  private static final int CONNECTORS = 10;
  /** The GCP write budget of the bulk phase, in writes per second of GCP time. */
  private static final double WRITES_PER_SECOND = 10;
  private static final Duration RESYNC = Duration.ofMinutes(1);

  public static void main(String[] args) {
    System.out.printf("cloudrun-egress-operator benchmark (GCP clock %.0fx wall clock, %.0fx in the bulk phase; figures in GCP time)%n%n", SPEED, BULK_SPEED);
    List<String> phases = args.length == 0 || args[0].equals("all") ? List.of("ready", "resync", "bulk") : List.of(args[0].split(","));
    if (phases.contains("ready")) {
      timeToReady();
    }
    if (phases.contains("resync")) {
      callsPerResync();
    }
    if (phases.contains("bulk")) {
      bulkUnderWriteBudget();
    }
    System.exit(0);
  }

  /** One new resource: time to Ready against the longest chain of operations it needs. */
  private static void timeToReady() {
    try (OperatorHarness harness = started(0, SPEED)) {
      Map<Latencies.Kind, Duration> l = latencies(harness);
      // Connector, then the job on it; addresses, then the router + NAT on them; the firewall rules.
      Duration criticalPath = max(l.get(Latencies.Kind.CONNECTOR_CREATE).plus(l.get(Latencies.Kind.JOB_MUTATION)),
          l.get(Latencies.Kind.COMPUTE_OPERATION).multipliedBy(2));
      // The first resource of a fresh process pays for class loading, JIT and connection set-up.
      CloudRunEgressJob warmUp = harness.client.resource(job(9, 9)).create();
      harness.await(warmUp, c -> OperatorHarness.hasCondition(c, Conditions.READY, "True"), Duration.ofMinutes(2));
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        CloudRunEgressJob cr = harness.client.resource(job(i, i)).create();
        long start = System.nanoTime();
        harness.await(cr, c -> OperatorHarness.hasCondition(c, Conditions.READY, "True"), Duration.ofMinutes(2));
        Duration ready = Duration.ofNanos((long) ((System.nanoTime() - start) * SPEED));
        ratios.add(ready.toMillis() / (double) criticalPath.toMillis());
        System.out.printf("  new resource %d: Ready after %.1f s; critical path %.1f s%n", i, ready.toMillis() / 1000.0, criticalPath.toMillis() / 1000.0);
      }
      System.out.printf("time to Ready / critical path: worst %.3f of 3, after one warm-up resource (target <= 1.1)%n%n", ratios.stream().mapToDouble(d -> d).max().orElseThrow());
    }
  }

  /** Steady state: GCP calls per resync interval at 10, 100 and 1,000 resources. */
  private static void callsPerResync() {
    try (OperatorHarness harness = started(0, SPEED)) {
      int created = 0;
      for (int target : new int[] {10, 100, 1000}) {
        List<CloudRunEgressJob> batch = IntStream.range(created, target).mapToObj(i -> job(i, i % CONNECTORS)).toList();
        batch.forEach(cr -> harness.client.resource(cr).create());
        awaitAllReady(harness, target, SPEED, false);
        created = target;
        Duration settle = scaled(RESYNC.multipliedBy(6).dividedBy(5), SPEED);
        OperatorHarness.sleep(settle.toMillis()); // every follow-up pass of the creations is over
        harness.gcp.calls().reset();
        int resyncs = 3;
        OperatorHarness.sleep((long) (RESYNC.toMillis() * resyncs / SPEED));
        Map<String, Long> calls = harness.gcp.calls().snapshot();
        long total = calls.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("  %4d resources: %.1f GCP calls per resync, %d writes; over %d resyncs: %s%n",
            target, total / (double) resyncs, harness.gcp.calls().writes(), resyncs, calls);
      }
      System.out.printf("steady state at 1000 resources: target <= 30 calls per resync and no writes (a per-object poller: ~5000)%n");
      System.out.printf("heap in use after convergence at 1000 resources: %s%n%n", heap(harness));
    }
  }

  /** 1,000 new resources at once under a GCP write budget, against the time the budget alone needs. */
  private static void bulkUnderWriteBudget() {
    try (OperatorHarness harness = started(WRITES_PER_SECOND * BULK_SPEED, BULK_SPEED)) {
      int count = 1000;
      // The connectors, a router per region (its NAT is written with it), and per job the job and
      // its three firewall rules (the allow rule, the deny, the connector's return path to Google).
      long writesNeeded = CONNECTORS + REGIONS.length + 4L * count;
      Duration bound = Duration.ofMillis((long) (writesNeeded / WRITES_PER_SECOND * 1000));
      long start = System.nanoTime();
      Map<String, Long> createdAt = new java.util.HashMap<>();
      IntStream.range(0, count).mapToObj(i -> job(i, i % CONNECTORS)).forEach(cr -> {
        harness.client.resource(cr).create();
        createdAt.put(cr.getMetadata().getName(), System.nanoTime());
      });
      Map<String, Long> readyAt = awaitAllReady(harness, count, BULK_SPEED, true);
      // Each resource's time to Ready counts from its own create; the whole from the first create.
      List<Duration> ready = readyAt.entrySet().stream()
          .map(e -> Duration.ofNanos((long) ((e.getValue() - createdAt.get(e.getKey())) * BULK_SPEED))).sorted().toList();
      Duration took = Duration.ofNanos((long) ((readyAt.values().stream().mapToLong(Long::longValue).max().orElseThrow() - start) * BULK_SPEED));
      double meanSeconds = ready.stream().mapToLong(Duration::toMillis).average().orElseThrow() / 1000.0;
      System.out.printf("  %d resources; %d writes needed at %.0f/s = %.0f s; writes made: %d%n",
          count, writesNeeded, WRITES_PER_SECOND, bound.toMillis() / 1000.0, harness.gcp.calls().writes());
      System.out.printf("  time to Ready from each resource's create: the first %.0f s, the median %.0f s, the last %.0f s, mean %.0f s;"
          + " all Ready %.0f s after the first create%n", ready.get(0).toMillis() / 1000.0, ready.get(ready.size() / 2).toMillis() / 1000.0,
          ready.get(ready.size() - 1).toMillis() / 1000.0, meanSeconds, took.toMillis() / 1000.0);
      System.out.printf("1000 new resources under a %.0f writes/s budget: time to all Ready / budget bound = %.3f (target <= 1.2)%n",
          WRITES_PER_SECOND, took.toMillis() / (double) bound.toMillis());
      System.out.printf("1000 new resources under a %.0f writes/s budget: mean time to Ready / budget bound = %.3f (target <= 0.6)%n",
          WRITES_PER_SECOND, meanSeconds * 1000 / bound.toMillis());
    }
  }

  private static OperatorHarness started(double writesPerSecond, double speed) {
    var settings = new CloudRunEgressJobReconciler.Settings(scaled(RESYNC, speed), scaled(Duration.ofSeconds(5), speed),
        scaled(Duration.ofMinutes(5), speed), writesPerSecond);
    OperatorHarness harness = new OperatorHarness(settings, speed);
    harness.gcp.seedNetwork("bench", "default");
    return harness.start();
  }

  /**
   * Waits for {@code count} resources to be Ready, watching them through an informer as a client
   * would; with {@code progress}, prints how far it got every 30 s of GCP time. Returns when each
   * was first seen Ready ({@link System#nanoTime}), by name.
   */
  private static Map<String, Long> awaitAllReady(OperatorHarness harness, int count, double speed, boolean progress) {
    long start = System.nanoTime();
    long deadline = start + Duration.ofMinutes(20).toNanos();
    long nextReport = start + scaled(Duration.ofSeconds(30), speed).toNanos();
    Map<String, Long> readyAt = new java.util.HashMap<>();
    var informer = harness.client.resources(CloudRunEgressJob.class).inNamespace("bench").inform();
    try {
      long ready = 0;
      while (System.nanoTime() < deadline) {
        long now = System.nanoTime();
        informer.getStore().list().stream().filter(c -> OperatorHarness.hasCondition(c, Conditions.READY, "True"))
            .forEach(c -> readyAt.putIfAbsent(c.getMetadata().getName(), now));
        ready = readyAt.size();
        if (ready == count) {
          return readyAt;
        }
        if (progress && System.nanoTime() >= nextReport) {
          System.out.printf("    at %3.0f s: %4d Ready, %4d GCP writes%n", (System.nanoTime() - start) * speed / 1e9, ready, harness.gcp.calls().writes());
          nextReport += scaled(Duration.ofSeconds(30), speed).toNanos();
        }
        OperatorHarness.sleep(100);
      }
      throw new AssertionError(ready + " of " + count + " resources Ready after 20 minutes");
    } finally {
      informer.close();
    }
  }

  /** Job {@code i} on connector {@code c}: connectors 0-4 in the first region, 5-9 in the second. */
  private static CloudRunEgressJob job(int i, int c) {
    String region = REGIONS[c * REGIONS.length / CONNECTORS];
    return Serialization.unmarshal("""
        apiVersion: egress.cloudrun.dev/v1alpha1
        kind: CloudRunEgressJob
        metadata: {name: agent-%1$d, namespace: bench}
        spec:
          project: bench
          region: %2$s
          job:
            image: europe-west2-docker.pkg.dev/bench/containers/agent:1.0
            serviceAccount: agent@bench.iam.gserviceaccount.com
          egress:
            vpcEgress: AllTraffic
            network: default
            connector: {name: conn-%3$d, ipCidrRange: 10.8.%3$d.0/28, minInstances: 2, maxInstances: 3}
            nat: {router: router-%2$s, name: nat-%2$s}
            firewall:
              leastPrivilege: true
              allow:
                - {name: github, destinationRanges: [140.82.112.0/20], protocol: tcp, ports: ["443"]}
        """.formatted(i, region, c), CloudRunEgressJob.class);
  }

  private static Map<Latencies.Kind, Duration> latencies(OperatorHarness harness) {
    Map<Latencies.Kind, Duration> all = new java.util.EnumMap<>(Latencies.Kind.class);
    for (Latencies.Kind kind : Latencies.Kind.values()) {
      all.put(kind, harness.gcp.latencies().get(kind));
    }
    return all;
  }

  /** Heap in use after a full collection: the whole process, then without the operator's caches. */
  private static String heap(OperatorHarness harness) {
    long all = usedAfterGc();
    harness.stop();
    long withoutOperator = usedAfterGc();
    return "%d MiB for the whole process (operator, Kubernetes mock API with 1000 resources and their events, GCP fake);"
        .formatted(all >> 20) + " %d MiB of it the operator's (target <= 256 MiB)".formatted((all - withoutOperator) >> 20);
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      OperatorHarness.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** The wall-clock time that {@code gcpTime} takes on a clock running {@code speed} times faster. */
  private static Duration scaled(Duration gcpTime, double speed) {
    return Duration.ofNanos((long) (gcpTime.toNanos() / speed));
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private ReconcileBenchmark() {}
}
