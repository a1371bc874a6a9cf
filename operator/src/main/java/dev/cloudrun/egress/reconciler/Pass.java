package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import dev.cloudrun.egress.gcp.GcpErrors;
import dev.cloudrun.egress.gcp.Inventory;
import dev.cloudrun.egress.gcp.Operations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * One reconcile pass over one CloudRunEgressJob: what the parts share (the resource, its targets,
 * GCP access, the status being built) and the bookkeeping of long-running operations.
 *
 * <p>Every change goes through three steps across passes: the intent is written to
 * status.operations first, then the operation is started and its name recorded, then it is polled
 * until done. A restart at any point resumes from status: an object found while an intent is
 * recorded is ours (no duplicate, no lost ownership), and a started operation is polled, never
 * started again.
 */
final class Pass {
  static final String UPDATE = "update";
  /** An update undoing a change made outside the operator. */
  static final String CORRECT = "correct";
  final CloudRunEgressJob cr;
  final Targets targets;
  final Services services;
  /** The shared GCP lists, no older than this resource's resync interval. */
  final Inventory inventory;
  final CloudRunEgressJobStatus status;
  final Instant now;
  private final List<OperationStatus> operations;
  private final Map<String, Runnable> rereads = new HashMap<>();

  Pass(CloudRunEgressJob cr, Services services, CloudRunEgressJobStatus status, java.time.Duration resyncInterval) {
    this.cr = cr;
    this.targets = Targets.of(cr);
    this.services = services;
    // Younger than the shortest gap between two resyncs (the interval less its 10% jitter), so
    // that every resync observes GCP afresh and drift is found within one interval.
    this.inventory = services.inventory().within(resyncInterval.multipliedBy(85).dividedBy(100));
    this.status = status;
    this.now = services.clock().instant();
    this.operations = status.getOperations();
  }

  /** An intent or operation this resource has on the target, if any. */
  Optional<OperationStatus> operation(String part, String target) {
    return operations.stream().filter(o -> o.getPart().equals(part) && o.getTarget().equals(target)).findFirst();
  }

  /** True when this resource recorded the intent to create the target: finding it means it is ours. */
  boolean intendedToCreate(String part, String target) {
    return operation(part, target).filter(o -> o.getAction().equals("create")).isPresent();
  }

  /**
   * Settles a started operation on the target. Empty when there is none, or it just finished
   * (then {@code onDone} re-reads the object); otherwise what the part reports meanwhile.
   */
  Optional<PartResult> settle(String part, String target, Operations.Api api, Runnable onDone) {
    rereads.put(part + " " + target, onDone);
    Optional<OperationStatus> op = operation(part, target).filter(o -> !o.getName().isEmpty());
    if (op.isEmpty()) {
      return Optional.empty();
    }
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
   * next (the supplier calls GCP and returns the operation name), then waits for it. When GCP says
   * the change was already made, the target is re-read with what {@link #settle} was given.
   */
  PartResult change(String part, String action, String target, Supplier<String> start) {
    Optional<OperationStatus> op = operation(part, target);
    if (op.isEmpty() || !op.get().getAction().equals(action)) {
      op.ifPresent(operations::remove);
      OperationStatus intent = new OperationStatus();
      intent.setPart(part);
      intent.setAction(action);
      intent.setTarget(target);
      intent.setName("");
      intent.setStartTime(now.toString());
      operations.add(intent);
      return PartResult.progressing(progressReason(action), "About to " + action + " " + target + ".");
    }
    if (op.get().getName().isEmpty()) {
      services.writeBudget().acquire();
      try {
        op.get().setName(start.get());
      } catch (RuntimeException e) {
        // The target is already as the change wants it (deleted before, or created by a pass whose
        // record was lost): nothing to wait for, the next observation shows it.
        boolean alreadyDone = action.equals("delete") ? GcpErrors.isNotFound(e) : action.equals("create") && GcpErrors.isConflict(e);
        if (!alreadyDone) {
          throw e;
        }
        if (action.equals("delete")) {
          operations.remove(op.get());
        }
        rereads.getOrDefault(part + " " + target, () -> { }).run();
        return PartResult.progressing(progressReason(action), target + " was already " + (action.equals("delete") ? "gone" : "there") + ".");
      }
      if (!action.equals(CORRECT)) { // a correction is reported as DriftCorrected by correctDrift
        services.events().normal(cr, capitalize(action) + "Started", capitalize(action) + " of " + target + " started.");
      }
    }
    return PartResult.progressing(progressReason(action), "Waiting for GCP to " + action + " " + target + ".");
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

  /** Name to record for a regional Compute operation in the network's project. */
  String regionalOperation(String opName) {
    return "projects/" + targets.networkProject() + "/regions/" + targets.region() + "/operations/" + opName;
  }

  /** Name to record for a global Compute operation in the network's project. */
  String globalOperation(String opName) {
    return "projects/" + targets.networkProject() + "/global/operations/" + opName;
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

  /** Drops an intent to create the target once the target exists: the create is no longer needed. */
  void forgetCreateIntent(String part, String target) {
    operation(part, target).filter(o -> o.getName().isEmpty() && o.getAction().equals("create")).ifPresent(operations::remove);
  }

  List<OperationStatus> operations() {
    return new ArrayList<>(operations);
  }

  private static String progressReason(String action) {
    return switch (action) {
      case "create" -> "Creating";
      case UPDATE, CORRECT -> "Updating";
      case "delete" -> "Deleting";
      default -> "Progressing";
    };
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
