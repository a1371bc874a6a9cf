package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import dev.cloudrun.egress.api.v1alpha1.Durations;
import dev.cloudrun.egress.api.v1alpha1.EgressSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.GcpErrors;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a CloudRunEgressJob into GCP: static addresses, then connector, router + NAT and
 * firewall rules side by side, then the Cloud Run Job once the connector is READY; deletion in
 * reverse. Each pass observes (from the shared inventory), moves every part one step without
 * waiting on GCP, and writes status only when it changed.
 */
@ControllerConfiguration(
    name = "cloudrunegressjob",
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = ReconcileTriggers.class))
@GradualRetry(maxAttempts = Integer.MAX_VALUE, initialInterval = 2000, intervalMultiplier = 2.0, maxInterval = 300_000)
public class CloudRunEgressJobReconciler implements Reconciler<CloudRunEgressJob>, Cleaner<CloudRunEgressJob> {
  private static final Logger LOG = LoggerFactory.getLogger(CloudRunEgressJobReconciler.class);
  private static final List<String> ALL_PARTS = java.util.Arrays.stream(Ledger.Kind.values()).map(Release::partOf).distinct().toList();

  /**
   * How often steady state is re-checked, how soon a running operation is polled, the error
   * ceiling, and the process-wide budget of GCP writes per second (0: unlimited).
   */
  public record Settings(Duration resyncInterval, Duration pollInterval, Duration errorCeiling, double gcpWritesPerSecond) {
    public static Settings defaults() {
      return new Settings(Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofMinutes(5), 10);
    }
  }

  private final Services services;
  private final Settings settings;

  CloudRunEgressJobReconciler(Services services, Settings settings) {
    this.services = services;
    this.settings = settings;
  }

  /** The reconciler of one operator process: GCP through {@code gcp}, events through {@code kubernetes}. */
  public static CloudRunEgressJobReconciler create(GcpClients gcp, KubernetesClient kubernetes, MeterRegistry registry, Settings settings) {
    return new CloudRunEgressJobReconciler(Services.create(gcp, kubernetes, registry, settings), settings);
  }

  @Override
  public UpdateControl<CloudRunEgressJob> reconcile(CloudRunEgressJob cr, Context<CloudRunEgressJob> context) {
    return reconcile(cr, Cluster.of(context));
  }

  /** One pass over {@code cr}, as java-operator-sdk or a test's scheduler calls it. */
  UpdateControl<CloudRunEgressJob> reconcile(CloudRunEgressJob cr, Cluster cluster) {
    services.metrics().passed(cr);
    CloudRunEgressJobStatus before = cluster.copy(cr.getStatus());
    CloudRunEgressJobStatus status = cluster.copy(cr.getStatus());
    long generation = generation(cr);
    Pass pass = new Pass(cr, services, status, resyncInterval(cr), settings.errorCeiling(), cluster);
    if (isForced(cr, before)) {
      services.inventory().invalidateAll();
      services.attempts().forgetRefusals(cr.getMetadata().getUid()); // the user says the cause is fixed: refused changes are tried now
      status.setLastForcedReconcile(ReconcileTriggers.annotation(cr, ReconcileTriggers.FORCE_RECONCILE));
    }

    AddressPart.Addresses addresses = guarded(cr, pass, List.of(AddressPart.PART), () -> AddressPart.reconcile(pass),
        AddressPart.Addresses::none);
    PartResult connector = guarded(cr, pass, List.of(ConnectorPart.PART), () -> ConnectorPart.reconcile(pass), failed -> failed);
    PartResult nat = guarded(cr, pass, List.of(RouterNatPart.PART), () -> RouterNatPart.reconcile(pass, addresses), failed -> failed);
    PartResult firewall = guarded(cr, pass, List.of(FirewallPart.PART), () -> FirewallPart.reconcile(pass), failed -> failed);
    PartResult job = guarded(cr, pass, List.of(CloudRunJobPart.PART), () -> CloudRunJobPart.reconcile(pass, connector), failed -> failed);
    Optional<PartResult> schedule = guarded(cr, pass, List.of(SchedulePart.PART), () -> SchedulePart.reconcile(pass, job), Optional::of);
    RunPart.Outcome runs = guarded(cr, pass, List.of(), () -> RunPart.reconcile(pass, job), failed -> RunPart.Outcome.none());
    boolean partsReady = List.of(connector, nat, firewall, job).stream().allMatch(PartResult::isReady);
    DiagnosisPart.Outcome diagnosis = guarded(cr, pass, List.of(ProbeJobPart.PART, ProbeJobPart.RUN),
        () -> DiagnosisPart.reconcile(pass, connector, addresses, partsReady), failed -> new DiagnosisPart.Outcome(failed, false, null, false));
    // What the ledger holds and the spec no longer implies: deleted once nothing current uses it.
    PartResult stale = guarded(cr, pass, ALL_PARTS, () -> Release.stale(pass,
        new Release.Gates(nat.isReady(), job.isReady() || connector.reason().equals(ConnectorPart.WAITING_FOR_OLD_CONNECTOR))), failed -> failed);
    // What no part drove: intents and operations whose target the spec no longer implies.
    PartResult leftOver = guarded(cr, pass, List.of(), () -> {
      pass.settleTheRest();
      return PartResult.ready("Settled", "Nothing is left over.");
    }, failed -> failed);
    LOG.debug("{}/{}: connector {} {}, nat {} {}, firewall {} {}, job {} {}; operations {}", cr.getMetadata().getNamespace(), cr.getMetadata().getName(),
        connector.progress(), connector.reason(), nat.progress(), nat.reason(), firewall.progress(), firewall.reason(), job.progress(), job.reason(),
        pass.operations().stream().map(o -> o.getAction() + " " + o.getTarget() + (o.getName().isEmpty() ? " (intended)" : "")).toList());
    status.setEgressIPs(fixedEgressIps(cr.getSpec(), addresses));
    List<PartResult> parts = new ArrayList<>(List.of(connector, nat, firewall, job, diagnosis.result(), stale, leftOver));
    schedule.ifPresent(parts::add);
    summarize(status, generation, pass, parts, connector, nat, firewall, job);
    runs.lastRun().ifPresent(last -> Conditions.setTriState(status.getConditions(), Conditions.RUN_SUCCEEDED, last, generation, pass.now));
    schedule.ifPresentOrElse(result -> Conditions.set(status.getConditions(), Conditions.SCHEDULE_READY, result, generation, pass.now),
        () -> Conditions.remove(status.getConditions(), Conditions.SCHEDULE_READY));
    boolean stalled = parts.stream().anyMatch(r -> r.progress() == PartResult.Progress.BLOCKED);
    // A part that waits while another is blocked (the job on a connector that is NotOwned) waits on
    // the user, not on GCP: with nothing in flight the resource comes back at the error ceiling.
    // A change GCP refused waits for its retry (Attempts) and holds back nothing else.
    List<OperationStatus> going = pass.operations().stream().filter(o -> o.getRefusal() == null).toList();
    boolean moving = !going.isEmpty() || !stalled && parts.stream().anyMatch(r -> r.progress() == PartResult.Progress.PROGRESSING);
    Duration next = pass.refusedUnheld() || diagnosis.probeRefused()
        ? settings.errorCeiling() // a refusal no intent holds back (a read, a probe run) would be repeated by any earlier pass
        : soonerForProbe(diagnosis, pass.now, moving ? (going.stream().anyMatch(o -> o.getName().isEmpty()) ? Duration.ZERO : settings.pollInterval())
            : stalled ? settings.errorCeiling() : jittered(resyncInterval(cr)));
    next = soonerForRuns(runs, next);
    // A retry time already past is one no part reached this pass (it waits on another): not a reason to come back sooner.
    Optional<Duration> untilRetry = pass.nextRetry().filter(at -> at.isAfter(pass.now)).map(at -> Duration.between(pass.now, at));
    if (untilRetry.isPresent() && untilRetry.get().compareTo(next) < 0) {
      next = untilRetry.get();
    }
    return finish(cr, before, status, next, pass, cluster);
  }

  @Override
  public DeleteControl cleanup(CloudRunEgressJob cr, Context<CloudRunEgressJob> context) {
    return cleanup(cr, Cluster.of(context));
  }

  /** One deletion pass over {@code cr}. */
  DeleteControl cleanup(CloudRunEgressJob cr, Cluster cluster) {
    services.metrics().passed(cr);
    if (cr.getSpec().getDeletionPolicy() == CloudRunEgressJobSpec.DeletionPolicy.Abandon) {
      services.events().normal(cr, "Abandoned", "deletionPolicy is Abandon: every GCP object is left in place.");
      forgetInProcess(cr);
      return DeleteControl.defaultDelete();
    }
    CloudRunEgressJobStatus status = cluster.copy(cr.getStatus());
    CloudRunEgressJobStatus before = cluster.copy(cr.getStatus());
    Pass pass = new Pass(cr, services, status, resyncInterval(cr), settings.errorCeiling(), cluster);
    PartResult blocking = null;
    try {
      // Exactly what the ledger holds, kind by kind (each waiting for the one before it).
      PartResult released = Release.all(pass);
      blocking = released.isReady() ? null : released;
      pass.settleTheRest();
    } catch (RuntimeException e) {
      if (GcpErrors.isTransient(e) || !GcpErrors.isGcpError(e)) {
        // Retried by java-operator-sdk with backoff (2 s doubling), which does not call
        // updateErrorStatus for a cleanup: the event is made here.
        reportFailure(cr, e);
        throw e;
      }
      String message = "Deletion waits: GCP refused a request: " + GcpErrors.describe(e) + ". Fix the cause; the operator retries every "
          + settings.errorCeiling().toSeconds() + " s.";
      services.events().warning(cr, "DeleteFailed", message);
      blocking = PartResult.blocked("DeleteFailed", message);
    }
    if (blocking == null) {
      services.events().normal(cr, "Deleted", "Every GCP object of this resource is deleted (shared ones are kept while others use them).");
      forgetInProcess(cr);
      return DeleteControl.defaultDelete();
    }
    long generation = generation(cr);
    Conditions.set(status.getConditions(), Conditions.READY, false, blocking.reason(), blocking.message(), generation, pass.now);
    LOG.debug("{}/{}: deletion waits on {}: {}; {} operations, {} conditions", cr.getMetadata().getNamespace(), cr.getMetadata().getName(),
        blocking.reason(), blocking.message(), status.getOperations().size(), status.getConditions().size());
    boolean statusChanged = !Objects.equals(status, before);
    if (statusChanged && !cluster.writeStatus(cr, before, status)) {
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.pollInterval());
    }
    services.metrics().operationsInFlight(cr, status.getOperations());
    Duration next = blocking.progress() == PartResult.Progress.BLOCKED ? settings.errorCeiling()
        : pass.operations().stream().anyMatch(o -> o.getName().isEmpty()) ? Duration.ZERO : settings.pollInterval();
    return DeleteControl.noFinalizerRemoval().rescheduleAfter(paced(next, statusChanged, pass));
  }

  /**
   * One part's step. A permanent GCP error (400, 403, 404...) will not go away by retrying soon: it
   * becomes that part's condition and an event, the other parts go on, what the part has in
   * status.operations ({@code parts}) is kept as it is, and the pass comes back at the error
   * ceiling. A transient one (429, 5xx, a concurrent change) fails the pass, which java-operator-sdk
   * retries with backoff.
   */
  private <T> T guarded(CloudRunEgressJob cr, Pass pass, List<String> parts, java.util.function.Supplier<T> step,
      java.util.function.Function<PartResult, T> onError) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      if (GcpErrors.isTransient(e) || !GcpErrors.isGcpError(e)) {
        throw e; // a bug is not GCP's refusal: it fails the pass, retried with backoff and reported as ReconcileFailed
      }
      parts.forEach(pass::keep);
      PartResult failed = pass.refused(e);
      services.events().warning(cr, Pass.REFUSED, failed.message());
      return onError.apply(failed);
    }
  }

  /**
   * A failed pass is retried with backoff and reported as a Warning event, not in status: a status
   * write computed from a resource that the failed pass may have left stale could be refused, and
   * the conditions already say what is in progress. A write refused because the resource changed
   * meanwhile (409) is ordinary optimistic concurrency: retried without an event.
   */
  @Override
  public ErrorStatusUpdateControl<CloudRunEgressJob> updateErrorStatus(CloudRunEgressJob cr, Context<CloudRunEgressJob> context, Exception e) {
    if (isConflict(e)) {
      LOG.debug("{}/{}: status write conflicted with a newer version; retrying", cr.getMetadata().getNamespace(), cr.getMetadata().getName());
    } else {
      reportFailure(cr, e);
    }
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /** The event of a failed pass, which java-operator-sdk retries with backoff. */
  private void reportFailure(CloudRunEgressJob cr, Exception e) {
    if (GcpErrors.cause(e, GcpErrors.ConcurrentChange.class) != null) {
      services.events().warning(cr, "GcpConflict", "Another change of the same GCP object raced this one ("
          + GcpErrors.describe(e) + "); retrying with backoff.");
    } else if (GcpErrors.isTransient(e)) {
      services.events().warning(cr, "GcpUnavailable", "GCP is unavailable or throttling (" + GcpErrors.describe(e) + "); retrying with backoff.");
    } else {
      services.events().warning(cr, "ReconcileFailed", "The reconcile failed (" + e.getMessage() + "); retrying with backoff.");
    }
  }

  /** A 409 anywhere in the cause chain: java-operator-sdk hands the reconciler's exception over wrapped. */
  private static boolean isConflict(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() == 409) {
        return true;
      }
    }
    return false;
  }

  /** Part conditions, then Ready (all parts ready and the egress diagnosis positive), Reconciling and Stalled for kstatus. */
  private void summarize(CloudRunEgressJobStatus status, long generation, Pass pass, List<PartResult> parts,
      PartResult connector, PartResult nat, PartResult firewall, PartResult job) {
    var conditions = status.getConditions();
    var now = pass.now;
    Conditions.set(conditions, Conditions.CONNECTOR_READY, connector, generation, now);
    Conditions.set(conditions, Conditions.NAT_READY, nat, generation, now);
    Conditions.set(conditions, Conditions.FIREWALL_READY, firewall, generation, now);
    Conditions.set(conditions, Conditions.JOB_READY, job, generation, now);
    PartResult blocked = parts.stream().filter(r -> r.progress() == PartResult.Progress.BLOCKED).findFirst().orElse(null);
    PartResult moving = parts.stream().filter(r -> r.progress() == PartResult.Progress.PROGRESSING).findFirst().orElse(null);
    if (blocked == null && moving == null) {
      Conditions.set(conditions, Conditions.READY, true, "Ready", "Every part is ready: " + job.message(), generation, now);
    } else {
      PartResult first = blocked != null ? blocked : moving;
      Conditions.set(conditions, Conditions.READY, false, first.reason(), first.message(), generation, now);
    }
    Conditions.set(conditions, Conditions.RECONCILING, blocked == null && moving != null,
        moving != null ? moving.reason() : "Idle", moving != null ? moving.message() : "No change in progress.", generation, now);
    Conditions.set(conditions, Conditions.STALLED, blocked != null,
        blocked != null ? blocked.reason() : "NotStalled", blocked != null ? blocked.message() : "Nothing needs the user's attention.", generation, now);
    status.setObservedGeneration(generation);
  }

  /** A running probe is polled like an operation; the next scheduled one is not missed. */
  private Duration soonerForProbe(DiagnosisPart.Outcome diagnosis, java.time.Instant now, Duration next) {
    if (diagnosis.probeRunning()) {
      return next.compareTo(settings.pollInterval()) < 0 ? next : settings.pollInterval();
    }
    if (diagnosis.nextProbe() != null && Duration.between(now, diagnosis.nextProbe()).compareTo(next) < 0) {
      return Duration.between(now, diagnosis.nextProbe());
    }
    return next;
  }

  /**
   * A run just recorded starts on the next pass, at once; a run asked for or running is watched
   * at three poll intervals (an execution runs for minutes to hours: its end needs no 5 s poll).
   */
  private Duration soonerForRuns(RunPart.Outcome runs, Duration next) {
    Duration soonest = runs.asked() ? Duration.ZERO : runs.watching() ? settings.pollInterval().multipliedBy(3) : next;
    return soonest.compareTo(next) < 0 ? soonest : next;
  }

  /** The IPs public traffic leaves from, when they are known in advance. */
  private static List<String> fixedEgressIps(CloudRunEgressJobSpec spec, AddressPart.Addresses addresses) {
    EgressSpec egress = spec.getEgress();
    boolean publicThroughVpc = egress.getVpcEgress() == EgressSpec.VpcEgress.AllTraffic;
    boolean staticNat = egress.getNat() != null && egress.getNat().getIpAllocation() == NatSpec.IpAllocation.Static;
    return publicThroughVpc && staticNat ? new ArrayList<>(addresses.ips()) : new ArrayList<>();
  }

  private UpdateControl<CloudRunEgressJob> finish(CloudRunEgressJob cr, CloudRunEgressJobStatus before, CloudRunEgressJobStatus status,
      Duration next, Pass pass, Cluster cluster) {
    boolean statusChanged = !Objects.equals(before, status);
    if (statusChanged && !cluster.writeStatus(cr, before, status)) {
      return UpdateControl.<CloudRunEgressJob>noUpdate().rescheduleAfter(settings.pollInterval());
    }
    services.metrics().operationsInFlight(cr, status.getOperations());
    if (status.getOperations().isEmpty()) {
      services.writeBudget().settled(cr.getMetadata().getUid());
    }
    return UpdateControl.<CloudRunEgressJob>noUpdate().rescheduleAfter(paced(next, statusChanged, pass));
  }

  /** The resource is gone: what this process keeps about it goes too. */
  private void forgetInProcess(CloudRunEgressJob cr) {
    services.metrics().forget(cr);
    services.attempts().forget(cr.getMetadata().getUid());
    services.writeBudget().settled(cr.getMetadata().getUid());
  }

  /**
   * The one rule that keeps a resource from spinning, whatever its parts asked for: a pass that
   * changed nothing in GCP and nothing in status would find the same next time, so it comes back no
   * sooner than the poll interval. Only a pass that moved something (recorded an intent, started
   * an operation) may come back at once, to take the next step.
   */
  private Duration paced(Duration next, boolean statusChanged, Pass pass) {
    Duration atLeast = statusChanged || pass.changedGcp() ? Duration.ZERO : settings.pollInterval();
    return next.compareTo(atLeast) < 0 ? atLeast : next;
  }

  private static long generation(CloudRunEgressJob cr) {
    return cr.getMetadata().getGeneration() == null ? 0 : cr.getMetadata().getGeneration();
  }

  private Duration resyncInterval(CloudRunEgressJob cr) {
    // At least 10 s, so an annotation cannot turn the resync into a poll.
    return Durations.parse(ReconcileTriggers.annotation(cr, ReconcileTriggers.RESYNC_INTERVAL))
        .map(d -> d.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : d)
        .orElse(settings.resyncInterval());
  }

  /** ±10% so resources created together do not resync together (Pass keeps lists younger than -10%). */
  private static Duration jittered(Duration interval) {
    long millis = interval.toMillis();
    return Duration.ofMillis(millis + ThreadLocalRandom.current().nextLong(-millis / 10, millis / 10 + 1));
  }

  /** A force-reconcile annotation newer than the last pass refreshes the lists. */
  private static boolean isForced(CloudRunEgressJob cr, CloudRunEgressJobStatus before) {
    String requested = ReconcileTriggers.annotation(cr, ReconcileTriggers.FORCE_RECONCILE);
    return requested != null && !requested.equals(before.getLastForcedReconcile());
  }
}
