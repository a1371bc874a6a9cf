package dev.cloudrun.egress.reconciler;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.compute.v1.RouterBgpPeer;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.GcpErrors;
import dev.cloudrun.egress.gcp.Inventory;
import dev.cloudrun.egress.gcp.Operations;
import dev.cloudrun.egress.gcp.fake.FakeClock;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.Latencies;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.validation.CrdValidator;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One history's world: the GCP fake with someone else's objects in it, the CloudRunEgressJobs in
 * memory ({@link InMemoryCluster}), and the operator process, driven pass by pass in virtual time
 * by a {@link PassScheduler} (no java-operator-sdk, no thread of its own). {@link #run} applies a
 * step, settles and checks every {@link Invariants invariant}; the cheap ones (a pass that throws
 * something other than a GCP error, a duplicate create) are checked after every pass.
 *
 * <p>Settling: passes run until every resource waits a full resync interval (faults armed for the
 * step apply meanwhile); then faults are lifted and resync intervals run until two in a row
 * write nothing, neither to GCP nor to status (two because the inventory's lists are shared, so
 * drift made by hand may be seen one interval late). The state is checked there; the two quiet
 * intervals and one more are the three of silence at rest.
 */
final class World implements AutoCloseable {
  /** The operator's settings, in virtual time: resync and error ceiling 5 min, poll 5 s, no write budget. */
  static final CloudRunEgressJobReconciler.Settings SETTINGS =
      new CloudRunEgressJobReconciler.Settings(Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofMinutes(5), 0);
  static final Duration RESYNC = SETTINGS.resyncInterval();
  /** Passes still coming sooner than the resync after this long (virtual) or this many: the world did not settle. */
  private static final Duration BUSY_TIME_CAP = Duration.ofHours(2);
  private static final int BUSY_PASS_CAP = 3_000;
  /** Nothing written for this long, no operation in flight, and a resource still back sooner than the resync: it spins. */
  private static final Duration SPINNING = Duration.ofMinutes(15);
  /**
   * Faults armed for a step last at most this long (virtual): under an outage that fails half the
   * writes, a resource with a write to retry (a refused create, every error ceiling) never rests.
   * The invariants are checked once GCP is healthy again.
   */
  private static final Duration TROUBLE_LASTS = Duration.ofMinutes(30);
  /** Settling rounds that still write before the world counts as not settling. */
  private static final int WRITING_ROUNDS_CAP = 6;
  /** A pass java-operator-sdk would not reschedule comes back at its maximal reconciliation interval. */
  private static final Duration NO_RESCHEDULE = Duration.ofHours(10);
  /** -Dhistories.trace=true prints every step, pass and GCP write, to follow a short history. */
  private static final boolean TRACE = Boolean.getBoolean("histories.trace");
  private static final Map<String, List<CloudRunEgressJob>> EXAMPLES = new ConcurrentHashMap<>();

  private final FakeGcp gcp;
  private final FakeClock fakeClock;
  private final Clock clock;
  private final Instant started;
  private final GcpClients clients;
  private final GcpWatch watch;
  private final InMemoryCluster cluster;
  private final PassScheduler scheduler = new PassScheduler(RESYNC);
  private final RecordingEvents events;
  private final Stats stats;
  private final CrdValidator validator = Crds.cloudRunEgressJobValidator();
  /** Someone else's objects, as they were before the operator started: id to proto. */
  private final Map<String, Object> seeded;
  /** BGP peers someone else added to the operator's routers, by router: the router is theirs too now. */
  private final Map<String, RouterBgpPeer> someoneElsesPeers = new TreeMap<>();
  /** Objects of resources deleted with deletionPolicy: Abandon. */
  private final Set<String> abandoned = new TreeSet<>();
  /** Between armTrouble and liftTrouble: GCP may fail or stall whatever the operator does. */
  private boolean troubled;
  /**
   * When a pass last failed on a GCP error (only injected faults give one): java-operator-sdk's
   * retry brings the resource back sooner than the resync, which is GCP failing, not the operator spinning.
   */
  private Instant lastFailedPass = Instant.EPOCH;
  private Runnable whileDown;
  /** The spec each resource was created with, which toggling edits restore. */
  private final Map<String, CloudRunEgressJobSpec> origins = new HashMap<>();
  private final Map<String, Integer> runsAsked = new TreeMap<>();
  private int runRequests;
  /** Run ids seen on executions, by "JOB_PATH TRIGGER", since the world began ({@link Invariants#runsAtMostAsked}). */
  private final Map<String, Set<String>> runsStarted = new TreeMap<>();
  private boolean schedulesFire;
  /** Faults armed, with the steps they still last. */
  private final Map<Step.FaultKind, Integer> faults = new LinkedHashMap<>();
  private InMemoryCluster.Interference interference;
  private int interferenceNth;
  private boolean changed;
  private Services services;
  private CloudRunEgressJobReconciler reconciler;

  private World(long seed, Stats stats) {
    this.stats = stats;
    fakeClock = FakeClock.manual();
    clock = fakeClock.asClock();
    gcp = FakeGcp.builder().clock(fakeClock).seed(seed).start();
    // Schedules are created, corrected and deleted in histories; their firings, hours apart, are
    // SchedulePartTest's (a firing is activity at rest, which the silence checks would take for noise).
    gcp.scheduler().holdFirings(true);
    defaultLatencies(gcp);
    clients = GcpClients.forTransport(gcp.endpoint(), gcp.transport(), new SimpleMeterRegistry());
    SomeoneElses.seed(gcp, clients);
    seeded = new LinkedHashMap<>(Implied.inGcp(gcp));
    started = clock.instant();
    gcp.calls().reset();
    watch = new GcpWatch(gcp, clock, stats, this::trace);
    gcp.calls().listen(watch);
    cluster = new InMemoryCluster(clock, seed);
    events = new RecordingEvents(clock);
    startProcess();
  }

  static World start(long seed, Stats stats) {
    return new World(seed, stats);
  }

  // ---- what steps do ----

  /**
   * Applies the step; when it changed something (a resource, GCP, the process), settles and checks
   * every invariant. A step that changed nothing (its resource is gone, the edit did not fit or
   * was refused, it only arms trouble for the next step) leaves the world as the last check found it.
   */
  void run(Step step) {
    stats.steps++;
    trace("step " + step);
    changed = false;
    step.apply(this);
    if (!changed) {
      return;
    }
    watch.changedAt(clock.instant());
    armTrouble();
    settle();
    liftTrouble();
    List<Window> quiet = settleUntilQuiet();
    Invariants.check(this);
    if (!schedulesFire) { // a firing is activity: the silence of a world whose schedules fire is not checked
      Invariants.silentAtRest(this, List.of(quiet.get(0), quiet.get(1), window()));
    }
  }

  /** A user applies {@code cr}: admitted as the API server would, then reconciled at once. */
  void create(CloudRunEgressJob cr) {
    String key = InMemoryCluster.key(cr);
    if (cluster.get(key).isPresent()) {
      return;
    }
    if (!validator.validateCreate(json(cr)).isEmpty()) {
      stats.refused++;
      return;
    }
    CloudRunEgressJob created = cluster.create(stored(cr));
    countRunAsked(null, created);
    origins.put(key, InMemoryCluster.JSON.clone(created.getSpec()));
    scheduler.now(key, clock.instant());
    changed = true;
  }

  /** A user edits the spec ({@code change} false: the edit does not fit it), admitted as the API server would; reconciled at once. */
  void edit(String key, Predicate<CloudRunEgressJobSpec> change) {
    Optional<CloudRunEgressJob> current = cluster.get(key);
    if (current.isEmpty()) {
      return;
    }
    CloudRunEgressJob edited = InMemoryCluster.JSON.clone(current.get());
    if (!change.test(edited.getSpec())) {
      stats.editsNotApplicable++;
      return;
    }
    stats.edits++;
    if (!validator.validateUpdate(json(current.get()), json(edited)).isEmpty()) {
      stats.refused++;
      return;
    }
    if (cluster.updateSpec(key, stored(edited))) {
      countRunAsked(current.get(), edited);
      scheduler.now(key, clock.instant());
      changed = true;
    }
  }

  /** Cloud Scheduler jobs fire from now on (they are held by default). */
  void letSchedulesFire() {
    schedulesFire = true;
    gcp.scheduler().holdFirings(false);
  }

  /** {@code kubectl annotate}: a new run-requested-at value, reconciled at once. */
  void requestRun(String key) {
    Optional<CloudRunEgressJob> current = cluster.get(key);
    if (current.isEmpty() || current.get().getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    String value = "r" + (++runRequests);
    cluster.annotate(key, ReconcileTriggers.RUN_REQUESTED, value);
    runsAsked.merge(Targets.of(current.get()).jobPath() + " " + RunPart.ANNOTATION, 1, Integer::sum);
    scheduler.now(key, clock.instant());
    changed = true;
  }

  /**
   * Runs asked of each job, by "JOB_PATH TRIGGER" (RunToken: a resource created with a token, or an
   * admitted edit that changed it; Annotation: a new annotation value): the operator may start at
   * most this many.
   */
  Map<String, Integer> runsAsked() {
    return runsAsked;
  }

  Map<String, Set<String>> runsStarted() {
    return runsStarted;
  }

  private void countRunAsked(CloudRunEgressJob before, CloudRunEgressJob after) {
    String token = after.getSpec().getExecution() != null ? after.getSpec().getExecution().getRunToken() : null;
    String old = before == null || before.getSpec().getExecution() == null ? null : before.getSpec().getExecution().getRunToken();
    if (token != null && !token.equals(old)) {
      runsAsked.merge(Targets.of(after).jobPath() + " " + RunPart.RUN_TOKEN, 1, Integer::sum);
    }
  }

  /** {@code kubectl delete}: the deletion is reconciled at once. */
  void delete(String key) {
    Optional<CloudRunEgressJob> current = cluster.get(key);
    if (current.isEmpty() || current.get().getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    cluster.requestDeletion(key);
    scheduler.now(key, clock.instant());
    changed = true;
  }

  /** The operator process restarts: new caches (inventory, operations, metrics), every resource reconciled at once. */
  void restart() {
    stats.restarts++;
    startProcess();
    scheduler.restart(cluster.keys(), clock.instant());
    changed = true;
  }

  /** Someone changed GCP by hand. */
  void changedByHand() {
    stats.outOfBand++;
    changed = true;
  }

  /** Someone else added {@code peer} to the operator's router {@code routerId}: the peer must stay, and so must the router. */
  void someoneElsesPart(String routerId, RouterBgpPeer peer) {
    someoneElsesPeers.put(routerId, peer);
  }

  /** GCP misbehaves while the next {@code steps} steps that change something settle. */
  void armFault(Step.FaultKind kind, int steps) {
    stats.faults++;
    faults.merge(kind, steps, Math::max);
  }

  /** What happens while the process is down after a crash {@link #interfere} armed (a user's edit). */
  void whileDown(Runnable happening) {
    whileDown = happening;
  }

  /** The nth status write from now, while the next step that changes something settles, meets {@code what}. */
  void interfere(InMemoryCluster.Interference what, int nth) {
    interference = what;
    interferenceNth = nth;
  }

  // ---- what steps and invariants read ----

  Optional<CloudRunEgressJob> resource(String key) {
    return cluster.get(key);
  }

  List<CloudRunEgressJob> resources() {
    return cluster.keys().stream().map(k -> cluster.get(k).orElseThrow()).toList();
  }

  CloudRunEgressJobSpec origin(String key) {
    return InMemoryCluster.JSON.clone(origins.get(key));
  }

  FakeGcp gcp() {
    return gcp;
  }

  GcpWatch watch() {
    return watch;
  }

  Stats stats() {
    return stats;
  }

  /** Someone else made {@code object} by hand: it must stay as it is, like what was there from the start. */
  void someoneElses(String id, Object object) {
    seeded.put(id, object);
  }

  Map<String, Object> seeded() {
    return seeded;
  }

  boolean isSeeded(String id) {
    return seeded.containsKey(id);
  }

  Set<String> abandoned() {
    return abandoned;
  }

  Map<String, RouterBgpPeer> someoneElsesPeers() {
    return someoneElsesPeers;
  }

  List<String> eventsOf(String key) {
    return events.of(key);
  }

  long gcpCalls() {
    return gcp.calls().total();
  }

  /** GCP's API as the operator's own clients reach it: how a person's out-of-band change arrives too. */
  GcpClients gcpClients() {
    return clients;
  }

  /** How many events of {@code reason} the resource has had. */
  long eventCount(String key, String reason) {
    return events.count(key, reason);
  }

  long lostWrites() {
    return cluster.lostWrites();
  }

  /** Virtual time since the operator started. */
  Duration elapsed() {
    return Duration.between(started, clock.instant());
  }

  /** A resource's operations, short, for the trace. */
  private static String operations(CloudRunEgressJob cr) {
    return cr.getStatus() == null ? "[]" : cr.getStatus().getOperations().stream()
        .map(o -> o.getAction() + " " + o.getTarget().substring(o.getTarget().lastIndexOf('/') + 1)
            + (o.getName().isEmpty() ? " (intended)" : "") + (o.getRefusal() != null ? " (refused)" : ""))
        .toList().toString();
  }

  /** Each resource's Ready condition, for reports. */
  String conditions() {
    return resources().stream().map(cr -> InMemoryCluster.key(cr) + " " + Invariants.describe(Invariants.condition(cr, Conditions.READY)))
        .collect(Collectors.joining("; "));
  }

  /** The reasons of the resources' Ready conditions, for a violation's signature. */
  String readyReasons(Collection<String> keys) {
    return keys.stream().sorted().map(k -> cluster.get(k).map(cr -> Invariants.condition(cr, Conditions.READY))
        .map(c -> c == null ? "no Ready" : c.getReason()).orElse("gone")).distinct().collect(Collectors.joining(", "));
  }

  // ---- settling ----

  /** Runs passes until every resource waits a full resync interval (or longer) and GCP moves nothing. */
  private void settle() {
    Instant start = clock.instant();
    int passes = 0;
    Instant lastMotion = start; // the last moment an operation was in flight: the quiet time counts from it too
    while (!scheduler.settled() || !troubled && !noOperationInFlight()) { // under faults operations may not end before they lift
      PassScheduler.Due due = scheduler.next().orElseThrow();
      if (troubled && due.at().isAfter(start.plus(TROUBLE_LASTS))) {
        return;
      }
      if (!noOperationInFlight()) {
        lastMotion = due.at();
      }
      Instant quietSince = Stream.of(watch.lastWrite(), lastMotion, lastFailedPass).max(Instant::compareTo).orElseThrow();
      if (due.at().isAfter(quietSince.plus(SPINNING))) {
        throw new Violation("at rest, silence", "passes while " + readyReasons(scheduler.unsettled().keySet()),
            "nothing was written for " + Duration.between(quietSince, due.at())
            + " (virtual) and no operation is in flight, yet resources come back sooner than the resync interval: "
            + scheduler.unsettled() + "; " + conditions());
      }
      if (passes++ > BUSY_PASS_CAP || due.at().isAfter(start.plus(BUSY_TIME_CAP))) {
        throw new Violation("settles", "keeps coming back, " + watch.writeKinds(), "after " + passes + " passes in "
            + Duration.between(start, due.at()) + " (virtual), resources still come back sooner than the resync interval: "
            + scheduler.unsettled() + "; " + conditions());
      }
      pass(scheduler.take());
    }
  }

  /**
   * No resource polls an operation, and GCP moves no connector: a resource waiting for a connector
   * that is CREATING (another resource's create, or its own whose operation name a lost status
   * write took) polls the connector, as it would the operation.
   */
  private boolean noOperationInFlight() {
    return resources().stream().allMatch(cr -> cr.getStatus() == null
        || cr.getStatus().getOperations().stream().allMatch(o -> o.getName().isEmpty()))
        && gcp.allConnectors().stream().allMatch(c -> c.getState() == Connector.State.READY || c.getState() == Connector.State.ERROR);
  }

  /** Settles, then runs resync intervals until two in a row write nothing; returns those two. */
  private List<Window> settleUntilQuiet() {
    for (int round = 1; ; round++) {
      settle();
      Window first = window();
      Window second = first.quiet() ? window() : first;
      if (second.quiet()) {
        return List.of(first, second);
      }
      if (round == WRITING_ROUNDS_CAP) {
        throw new Violation("settles", "keeps writing, " + watch.writeKinds(), "each of " + round
            + " settling rounds wrote to GCP or status in its resync intervals; the last: " + second + "; " + conditions());
      }
    }
  }

  /**
   * What one resync interval of passes did: the writes GCP accepted (a refused request changes
   * nothing: a part blocked on a refusal retries it at the error ceiling, as documented), the
   * status writes, and the passes of each resource.
   */
  record Window(long gcpWrites, long statusWrites, Map<String, Integer> passes, List<String> writes) {
    boolean quiet() {
      return gcpWrites == 0 && statusWrites == 0;
    }

    @Override
    public String toString() {
      return gcpWrites + " GCP writes " + writes + ", " + statusWrites + " status writes, passes " + passes;
    }
  }

  /** Runs every pass due within the next resync interval. */
  private Window window() {
    Instant end = clock.instant().plus(RESYNC);
    long statusWrites = cluster.statusWrites();
    watch.startWindow();
    Map<String, Integer> passes = new TreeMap<>();
    while (scheduler.next().filter(d -> !d.at().isAfter(end)).isPresent()) {
      PassScheduler.Due due = scheduler.take();
      passes.merge(due.resource(), 1, Integer::sum);
      pass(due);
    }
    advanceTo(end);
    List<String> written = watch.writes();
    return new Window(written.size(), cluster.statusWrites() - statusWrites, passes, written);
  }

  /** One pass as java-operator-sdk makes it: cleanup for a resource being deleted, reconcile otherwise; retried on failure. */
  private void pass(PassScheduler.Due due) {
    advanceTo(due.at());
    String key = due.resource();
    Optional<CloudRunEgressJob> current = cluster.get(key);
    if (current.isEmpty()) {
      return;
    }
    CloudRunEgressJob cr = current.get();
    stats.passes++;
    watch.startPass();
    long statusWrites = cluster.statusWrites();
    try {
      if (cr.getMetadata().getDeletionTimestamp() != null) {
        DeleteControl control = reconciler.cleanup(cr, cluster);
        if (control.isRemoveFinalizer()) {
          if (cr.getSpec().getDeletionPolicy() == CloudRunEgressJobSpec.DeletionPolicy.Abandon) {
            abandoned.addAll(Implied.by(cr));
            // and what its ledger still holds that the spec no longer names (a stale object waiting to be released)
            cr.getStatus().getOwned().forEach(o -> abandoned.add((o.getKind().equals("probe") ? "job" : o.getKind()) + " " + o.getName()));
          }
          cluster.removeFinalizer(key);
          scheduler.forget(key);
        } else {
          scheduler.after(key, clock.instant(), control.getScheduleDelay().map(Duration::ofMillis).orElse(NO_RESCHEDULE));
        }
      } else {
        UpdateControl<CloudRunEgressJob> control = reconciler.reconcile(cr, cluster);
        scheduler.after(key, clock.instant(), control.getScheduleDelay().map(Duration::ofMillis).orElse(NO_RESCHEDULE));
      }
    } catch (InMemoryCluster.ProcessDied died) {
      stats.crashes++;
      if (whileDown != null) {
        Runnable edit = whileDown;
        whileDown = null;
        edit.run();
      }
      restart();
    } catch (RuntimeException e) {
      if (!GcpErrors.isGcpError(e)) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        throw new Violation("a pass fails only on GCP errors", e.getClass().getSimpleName(),
            key + ": " + trace.toString().lines().limit(8).collect(Collectors.joining("\n      ")));
      }
      if (TRACE) {
        trace("pass " + key + " threw " + e.toString().lines().findFirst().orElse(""));
      }
      if (troubled) {
        lastFailedPass = clock.instant(); // a pass failing on a healthy GCP is the operator's to explain
      }
      scheduler.failed(key, clock.instant());
    }
    boolean statusWritten = cluster.statusWrites() != statusWrites;
    if (statusWritten) {
      watch.changedAt(clock.instant());
    }
    if (TRACE) {
      trace("pass " + key + " -> " + scheduler.pending(key).map(d -> "again in " + d.delay()).orElse("done")
          + (statusWritten ? ", status written" : "") + "; operations " + cluster.get(key).map(World::operations).orElse("[]") + "; "
          + cluster.get(key).map(c -> Invariants.describe(Invariants.condition(c, Conditions.READY))).orElse("gone"));
    }
    Invariants.noDuplicate(this);
  }

  // ---- faults and interference ----

  /** Faults and interference armed for this step start. */
  private void armTrouble() {
    troubled = true;
    gcp.faults().clear();
    defaultLatencies(gcp);
    faults.keySet().forEach(kind -> kind.arm(gcp));
    if (interference != null) {
      cluster.interfere(interference, interferenceNth);
    }
  }

  /** The checks look at a healthy GCP: faults are lifted (and counted down), interference ends. */
  private void liftTrouble() {
    troubled = false;
    whileDown = null;
    gcp.faults().clear();
    defaultLatencies(gcp);
    faults.replaceAll((kind, steps) -> steps - 1);
    faults.values().removeIf(steps -> steps <= 0);
    cluster.stopInterfering();
    interference = null;
  }

  /** Operations last long enough to be polled a few times, short enough to keep a history cheap. */
  private static void defaultLatencies(FakeGcp gcp) {
    gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ofSeconds(30)).set(Latencies.Kind.CONNECTOR_UPDATE, Duration.ofSeconds(20))
        .set(Latencies.Kind.CONNECTOR_DELETE, Duration.ofSeconds(30)).set(Latencies.Kind.COMPUTE_OPERATION, Duration.ofSeconds(5))
        .set(Latencies.Kind.JOB_MUTATION, Duration.ofSeconds(3)).set(Latencies.Kind.TASK, Duration.ofSeconds(30));
  }

  // ---- the process, time, admission ----

  /** A new operator process: its own inventory, operations and metrics, reading the fake's clock. */
  private void startProcess() {
    services = new Services(clients, new Inventory(clients, clock, SETTINGS.resyncInterval()), new Operations(clients),
        WriteBudget.perSecond(0), new Attempts(), events, new Metrics(new SimpleMeterRegistry()), clock);
    reconciler = new CloudRunEgressJobReconciler(services, SETTINGS);
  }

  private void trace(String line) {
    if (TRACE) {
      System.out.println("  " + Duration.between(started, clock.instant()) + " " + line);
    }
  }

  private void advanceTo(Instant at) {
    Duration ahead = Duration.between(clock.instant(), at);
    if (!ahead.isNegative() && !ahead.isZero()) {
      fakeClock.advance(ahead);
    }
  }

  private static JsonNode json(CloudRunEgressJob cr) {
    CloudRunEgressJob copy = InMemoryCluster.JSON.clone(cr);
    copy.setStatus(null);
    return InMemoryCluster.JSON.convertValue(copy, JsonNode.class);
  }

  /** What the API server stores: the object with the schema's defaults. */
  private CloudRunEgressJob stored(CloudRunEgressJob cr) {
    CloudRunEgressJob stored = InMemoryCluster.JSON.convertValue(validator.prepare(json(cr)), CloudRunEgressJob.class);
    stored.setMetadata(cr.getMetadata());
    return stored;
  }

  /** The CloudRunEgressJob of an examples/ file, a fresh copy. */
  static CloudRunEgressJob example(String file, int doc) {
    return InMemoryCluster.JSON.clone(EXAMPLES.computeIfAbsent(file, OperatorHarness::readExample).get(doc));
  }

  @Override
  public void close() {
    gcp.calls().listen(null);
    clients.close();
    gcp.close();
  }

  /** Events in memory, the last ones by resource, instead of the Kubernetes API. */
  private static final class RecordingEvents extends Events {
    private final Map<String, List<String>> byResource = new HashMap<>();
    /** Every event ever recorded, by resource and reason (the list above keeps only the last ones). */
    private final Map<String, Long> counts = new HashMap<>();

    RecordingEvents(Clock clock) {
      super(null, clock);
    }

    @Override
    void normal(CloudRunEgressJob cr, String reason, String message) {
      record(cr, "Normal " + reason + ": " + message);
    }

    @Override
    void warning(CloudRunEgressJob cr, String reason, String message) {
      record(cr, "Warning " + reason + ": " + message);
    }

    private void record(CloudRunEgressJob cr, String event) {
      counts.merge(InMemoryCluster.key(cr) + " " + event.substring(event.indexOf(' ') + 1, event.indexOf(':')), 1L, Long::sum);
      List<String> events = byResource.computeIfAbsent(InMemoryCluster.key(cr), k -> new ArrayList<>());
      if (events.size() == 40) {
        events.remove(0);
      }
      events.add(event);
    }

    List<String> of(String key) {
      return byResource.getOrDefault(key, List.of());
    }

    long count(String key, String reason) {
      return counts.getOrDefault(key + " " + reason, 0L);
    }
  }
}
