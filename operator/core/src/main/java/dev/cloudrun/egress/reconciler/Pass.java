package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import dev.cloudrun.egress.gcp.GcpErrors;
import dev.cloudrun.egress.gcp.Inventory;
import dev.cloudrun.egress.gcp.Operations;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * One reconcile pass over one CloudRunEgressJob: what the parts share (the resource, its targets,
 * GCP access, the status being built) and the bookkeeping of long-running operations.
 *
 * <p>Every change goes through three steps across passes: the intent is written to
 * status.operations first, then the operation is started and its name recorded, then it is polled
 * until done. A restart at any point resumes from status: a started operation is polled, never
 * started again, and an object found while its create intent is recorded is judged by its part
 * (ours when it carries the operator's marker, or, for connectors and NATs, which carry none, when
 * it is what the recorded create asked for).
 *
 * <p>Each pass, the parts drive the entries they still want (they record, start, wait on them);
 * {@link #settleTheRest} then settles every other entry: an intent never started is dropped, a
 * started operation is polled until it finishes and then dropped. So an entry whose target the
 * spec no longer implies (renamed, removed, now {@code existing}) neither lingers in status nor
 * keeps the resource requeued. status.operations holds at most {@link #MAX_OPERATIONS} entries.
 */
final class Pass {
  /**
   * The most entries status.operations holds (the CRD's maxItems): more than any one spec needs (16
   * addresses, 21 firewall rules and as many stale ones, the connector, router, job and probe).
   * Past it a new change is not recorded: it waits, and is recorded once an entry is settled;
   * started operations are never dropped to make room.
   */
  static final int MAX_OPERATIONS = CloudRunEgressJobStatus.MAX_OPERATIONS;
  static final String CREATE = "create";
  static final String UPDATE = "update";
  /** An update undoing a change made outside the operator. */
  static final String CORRECT = "correct";
  static final String DELETE = "delete";
  /** The reason of a part whose request GCP refused for good. */
  static final String REFUSED = "GcpError";
  private static final Runnable NOTHING = () -> { };
  final CloudRunEgressJob cr;
  final Targets targets;
  final Services services;
  /** The shared GCP lists, no older than this resource's resync interval. */
  final Inventory inventory;
  final CloudRunEgressJobStatus status;
  /** What this resource manages in GCP, in status.owned. */
  final Ledger ledger;
  /** What the spec implies the operator manages ({@link Ledger#implied}): a ledger entry outside it is stale. */
  final java.util.Set<Ledger.Key> implied;
  final Cluster cluster;
  /** The resources (of those watched) that may share objects with this one. */
  final Claims claims;
  final Instant now;
  private final List<OperationStatus> operations;
  private final Map<String, Runnable> rereads = new HashMap<>();
  /** Entries (part and target) a part drove this pass: {@link #settleTheRest} leaves them alone. */
  private final Set<String> driven = new HashSet<>();
  /** Parts that did not run to their end this pass: what they have in status.operations is kept as it is. */
  private final Set<String> keptParts = new HashSet<>();
  private boolean gcpChanged;
  /** How long a change GCP refused waits before it is tried again. */
  private final Duration errorCeiling;
  /** The refusal whose intent now waits for its retry ({@link Attempts}): it holds back that change alone. */
  private RuntimeException heldBack;
  private boolean refusedUnheld;

  Pass(CloudRunEgressJob cr, Services services, CloudRunEgressJobStatus status, Duration resyncInterval, Duration errorCeiling, Cluster cluster) {
    this.cr = cr;
    this.errorCeiling = errorCeiling;
    this.cluster = cluster;
    this.claims = new Claims(cluster.watched());
    this.implied = Ledger.implied(cr);
    this.targets = Targets.of(cr);
    this.services = services;
    // Younger than the shortest gap between two resyncs (the interval less its 10% jitter), so
    // that every resync observes GCP afresh and drift is found within one interval.
    this.inventory = services.inventory().within(resyncInterval.multipliedBy(85).dividedBy(100));
    this.status = status;
    this.now = services.clock().instant();
    this.ledger = new Ledger(status, now);
    services.attempts().passing(cr.getMetadata().getUid(), now, ledger.creatingUnseen());
    this.operations = status.getOperations();
  }

  /** The ledger's entries of {@code kind} that the spec no longer implies. */
  List<Ledger.Key> stale(Ledger.Kind kind) {
    return ledger.keys().stream().filter(k -> k.kind() == kind && !implied.contains(k)).toList();
  }

  /** An intent or operation this resource has on the target, if any. */
  Optional<OperationStatus> operation(String part, String target) {
    return operations.stream().filter(o -> o.getPart().equals(part) && o.getTarget().equals(target)).findFirst();
  }

  /** True when this resource's change of the target was accepted by GCP (its operation's name is recorded). */
  boolean started(String part, String target) {
    return operation(part, target).filter(o -> !o.getName().isEmpty()).isPresent();
  }

  /**
   * Settles a started operation on the target. Empty when there is none, or it just finished
   * (then {@code onDone} re-reads the object); otherwise what the part reports meanwhile.
   */
  Optional<PartResult> settle(String part, String target, Operations.Api api, Runnable onDone) {
    rereads.put(key(part, target), onDone);
    Optional<OperationStatus> op = operation(part, target).filter(o -> !o.getName().isEmpty());
    if (op.isEmpty()) {
      return Optional.empty();
    }
    driven.add(key(part, target));
    Operations.State state = services.operations().poll(api, op.get().getName());
    if (state instanceof Operations.Running) {
      return Optional.of(PartResult.progressing(progressReason(op.get().getAction()),
          "Waiting for GCP to " + op.get().getAction() + " " + target + " (operation " + op.get().getName() + ")."));
    }
    operations.remove(op.get());
    if (state instanceof Operations.Failed failed) {
      services.events().warning(cr, "OperationFailed", "GCP could not " + op.get().getAction() + " " + target + ": " + failed.message());
      return Optional.of(PartResult.blocked("OperationFailed",
          "GCP could not " + op.get().getAction() + " " + target + ": " + failed.message()
              + ". Fix the cause; the operator tries again on the next resync."));
    }
    onDone.run();
    return Optional.empty();
  }

  /**
   * Moves a change one step: records the intent on the first call, starts the operation on the
   * next (the supplier calls GCP and returns the operation name), then waits for it. A 404 on a
   * delete means the target is gone already. A 409 means another change of the target raced this
   * one: it is retried with backoff (creates by insert, whose 409 means something else, go through
   * {@link #create}).
   */
  PartResult change(String part, String action, String target, Supplier<String> start) {
    return step(part, action, target, start, false);
  }

  /**
   * Moves the creation of the target by an insert one step, as {@link #change}. A 409 says that an
   * object of that name exists, not whose it is: it is re-read, the intent is kept, and the part
   * judges it like any object it finds (NotOwned unless it is ours).
   */
  PartResult create(String part, String target, Supplier<String> start) {
    return step(part, CREATE, target, start, true);
  }

  private PartResult step(String part, String action, String target, Supplier<String> start, boolean insert) {
    Optional<OperationStatus> op = operation(part, target).filter(o -> o.getAction().equals(action));
    if (op.isEmpty()) {
      return intend(part, action, target);
    }
    driven.add(key(part, target));
    if (op.get().getName().isEmpty()) {
      String change = refusalKey(part, target);
      if (op.get().getRefusal() != null && services.attempts().retryAt(change).filter(now::isBefore).isPresent()) {
        return refused(op.get().getRefusal()); // as the refusal left it: no call, no event, no status change
      }
      if (!services.writeBudget().acquire(cr.getMetadata().getUid())) {
        // Others under way go first; the intent stays, unchanged, and the pass comes back at the poll interval.
        return PartResult.progressing(progressReason(action), "About to " + action + " " + target + ".");
      }
      if (action.equals(CREATE)) {
        services.attempts().callingCreate(cr.getMetadata().getUid(), target, now);
      }
      String name;
      try {
        name = start.get();
      } catch (RuntimeException e) {
        if (action.equals(DELETE) && GcpErrors.isNotFound(e)) {
          operations.remove(op.get());
          rereads.getOrDefault(key(part, target), NOTHING).run();
          return PartResult.progressing(progressReason(action), target + " was already gone.");
        }
        if (!GcpErrors.isConflict(e)) {
          if (GcpErrors.isGcpError(e) && !GcpErrors.isTransient(e)) {
            // Refused for good: the other parts go on at their pace while this change waits out the error ceiling.
            op.get().setRefusal(GcpErrors.describe(e));
            services.attempts().refused(change, now.plus(errorCeiling));
            if (action.equals(CREATE)) {
              services.attempts().createRefused(cr.getMetadata().getUid(), target);
            }
            heldBack = e;
          }
          throw e;
        }
        if (!insert) {
          throw GcpErrors.concurrentChange(e);
        }
        rereads.getOrDefault(key(part, target), NOTHING).run();
        return PartResult.progressing(progressReason(action), target + " exists already; whether it is this resource's is judged from what was found.");
      }
      op.get().setName(name);
      op.get().setRefusal(null);
      services.attempts().started(change);
      gcpChanged = true;
      if (!action.equals(CORRECT)) { // a correction is reported as DriftCorrected by correctDrift
        services.events().normal(cr, capitalize(action) + "Started", capitalize(action) + " of " + target + " started.");
      }
    }
    return PartResult.progressing(progressReason(action), "Waiting for GCP to " + action + " " + target + ".");
  }

  /** What a part reports when GCP refused its request for good: the cause, and when it is tried again. */
  PartResult refused(String description) {
    return PartResult.blocked(REFUSED, "GCP refused a request: " + description
        + ". Fix the cause (permissions, quota, the spec); the operator retries every " + errorCeiling.toSeconds() + " s.");
  }

  /**
   * What a part reports when GCP refused its request for good ({@link #refused(String)}); noted
   * when no intent holds the request back until its retry (a read, a probe run), so that the
   * resource does not come back before the error ceiling to repeat it.
   */
  PartResult refused(RuntimeException refusal) {
    refusedUnheld |= refusal != heldBack;
    return refused(GcpErrors.describe(refusal));
  }

  /** Whether a request GCP refused this pass would be repeated by any pass before the error ceiling. */
  boolean refusedUnheld() {
    return refusedUnheld;
  }

  /** The soonest time a change GCP refused is tried again, if one waits. */
  Optional<Instant> nextRetry() {
    return operations.stream().filter(o -> o.getRefusal() != null)
        .flatMap(o -> services.attempts().retryAt(refusalKey(o.getPart(), o.getTarget())).stream())
        .min(Instant::compareTo);
  }

  /**
   * Records the intent to {@code action} the target, replacing an entry for another action on it,
   * when status.operations has room; the change starts on a later pass.
   */
  PartResult intend(String part, String action, String target) {
    driven.add(key(part, target));
    Optional<OperationStatus> op = operation(part, target);
    if (op.isPresent() && op.get().getAction().equals(action)) {
      return PartResult.progressing(progressReason(action), "About to " + action + " " + target + ".");
    }
    op.ifPresent(operations::remove);
    if (operations.size() >= MAX_OPERATIONS) {
      return PartResult.progressing(progressReason(action), "Waiting to " + action + " " + target + ": " + MAX_OPERATIONS
          + " changes are in status.operations already, the most it holds; this one is recorded once one of them is settled.");
    }
    OperationStatus intent = new OperationStatus();
    intent.setPart(part);
    intent.setAction(action);
    intent.setTarget(target);
    intent.setName("");
    intent.setStartTime(now.toString());
    operations.add(intent);
    return PartResult.progressing(progressReason(action), "About to " + action + " " + target + ".");
  }

  /** A change that is not a GCP operation (a probe run) finished starting: its entry goes. */
  void done(String part, String target) {
    operation(part, target).ifPresent(operations::remove);
  }

  /** A part changed something in GCP outside {@link #change} (a probe run). */
  void markGcpChanged() {
    gcpChanged = true;
  }

  /** Whether this pass changed anything in GCP: a pass that did not, and left status as it was, is not repeated at once. */
  boolean changedGcp() {
    return gcpChanged;
  }

  /**
   * The part did not run to its end this pass (its step failed, or a deletion did not reach it):
   * {@link #settleTheRest} keeps its entries as they are, for the part to settle when it runs.
   */
  void keep(String part) {
    keptParts.add(part);
  }

  /**
   * Settles every entry of status.operations that no part drove this pass although it ran to its
   * end: its target is no longer implied by the spec (every part settles the operations on the
   * targets it still wants, and drives their intents, itself). An intent never started is dropped;
   * a started operation is polled, and dropped once it finished (a failure is reported as an
   * event: nothing needs it any more).
   */
  void settleTheRest() {
    for (OperationStatus op : new ArrayList<>(operations)) {
      if (driven.contains(key(op.getPart(), op.getTarget())) || keptParts.contains(op.getPart())) {
        continue;
      }
      if (!op.getName().isEmpty()) {
        Operations.State state = services.operations().poll(api(op.getPart()), op.getName());
        if (state instanceof Operations.Running) {
          continue;
        }
        if (state instanceof Operations.Failed failed) {
          services.events().warning(cr, "OperationFailed", "GCP could not " + op.getAction() + " " + op.getTarget()
              + ", which the spec no longer names: " + failed.message());
        }
      }
      operations.remove(op);
    }
  }

  /**
   * Which API a part's operations belong to (Run and Serverless VPC Access operation names look
   * alike), as the part's ObjectKind says; Compute for a part with no kind of its own.
   */
  private static Operations.Api api(String part) {
    return java.util.Arrays.stream(Ledger.Kind.values()).map(ObjectKind::of).filter(kind -> kind.part.equals(part))
        .map(kind -> kind.api).findFirst().orElse(Operations.Api.COMPUTE);
  }

  /**
   * An update that makes {@code fields} of {@code what} match the spec. When the spec is unchanged
   * since the last pass, someone changed the object: the update is a drift correction, reported as
   * a DriftCorrected event and counted once, when it starts. When the user changed the spec, it is
   * an ordinary update. The kind is decided when the intent is recorded and kept with it.
   */
  PartResult correctDrift(String part, String what, List<String> fields, String target, Supplier<String> start) {
    boolean specUnchanged = java.util.Objects.equals(status.getObservedGeneration(), cr.getMetadata().getGeneration());
    String action = operation(part, target).map(OperationStatus::getAction).filter(a -> a.equals(UPDATE) || a.equals(CORRECT))
        .orElse(specUnchanged ? CORRECT : UPDATE);
    if (action.equals(UPDATE)) {
      return change(part, UPDATE, target, start);
    }
    return change(part, CORRECT, target, () -> {
      String operation = start.get();
      services.events().normal(cr, "DriftCorrected", what + ": setting " + String.join(", ", fields) + " back to the spec.");
      services.metrics().driftCorrected(part);
      return operation;
    });
  }

  /**
   * The request id of the recorded change on the target: the same for every retry of one change
   * (Compute then returns the same operation instead of acting twice), new for the next change.
   */
  String requestId(String part, String target) {
    OperationStatus op = operation(part, target).orElseThrow();
    String key = cr.getMetadata().getUid() + "/" + part + "/" + target + "/" + op.getAction() + "/" + op.getStartTime();
    return UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** Name to record for a regional Compute operation. */
  String regionalOperation(String project, String region, String opName) {
    return ResourceNames.inRegion(project, region, "operations", opName);
  }

  String globalOperation(String project, String opName) {
    return ResourceNames.global(project, "operations", opName);
  }

  /**
   * The other resources, in any namespace and not being deleted, that go on using the object
   * ({@link Claims#othersUsing}); empty when the operator may not list them all (then nobody can
   * tell, and the object must stay).
   */
  Optional<Claims.Users> othersUsing(Ledger.Key key) {
    try {
      return Optional.of(Claims.othersUsing(key, cr, cluster.everywhere(), now));
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether a resource in any namespace, read live, manages the shared object: one the operator does
   * not watch may have created it. Asked only while the object is not in this ledger yet.
   */
  boolean managedByAnotherAnywhere(Ledger.Key key, String marker) {
    try {
      return new Claims(cluster.everywhere()).managedByAnother(key, cr, marker);
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      return false; // not known to be the operator's: left untouched
    }
  }

  /** Why a shared object is neither deleted nor replaced: listing the resources of every namespace was refused. */
  static PartResult sharingUnknown(Ledger.Key key) {
    return PartResult.blocked("SharingUnknown", key + " may be used by CloudRunEgressJobs in namespaces the operator does not watch,"
        + " and listing them was refused: grant the operator list on cloudrunegressjobs in all namespaces (the chart's ClusterRole does),"
        + " or delete " + key.name() + " by hand and the operator moves on.");
  }

  /** Why an object is not created: status.owned is full, and an object it does not record could be orphaned. */
  static PartResult ledgerFull(Ledger.Key key) {
    return PartResult.blocked("TooManyObjects", "Not creating " + key + ": status.owned holds " + Ledger.MAX_ENTRIES
        + " objects already, the most it records. Name fewer firewall rules or addresses in the spec.");
  }

  /** Re-reads one object after a change finished, so the next steps see it without another list. */
  static <T> void reread(Map<String, T> objects, String key, Supplier<T> get) {
    try {
      objects.put(key, get.get());
    } catch (RuntimeException e) {
      if (!GcpErrors.isNotFound(e)) {
        throw e;
      }
      objects.remove(key);
    }
  }

  List<OperationStatus> operations() {
    return new ArrayList<>(operations);
  }

  /** The change as {@link Attempts} knows it: this resource's, on one part and target. */
  private String refusalKey(String part, String target) {
    return cr.getMetadata().getUid() + "/" + key(part, target);
  }

  private static String key(String part, String target) {
    return part + " " + target;
  }

  private static String progressReason(String action) {
    return switch (action) {
      case CREATE -> "Creating";
      case UPDATE, CORRECT -> "Updating";
      case DELETE -> "Deleting";
      default -> "Progressing";
    };
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
