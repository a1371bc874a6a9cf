package dev.cloudrun.egress.reconciler;

import java.util.List;
import java.util.Set;

/**
 * Deletes what the ledger holds and the spec no longer implies: after a rename, a removed NAT or
 * firewall rule, a switch from a connector to Direct VPC; and, when the resource is deleted,
 * everything it holds. Kind by kind in {@link Ledger.Kind}'s order, each waiting for the one
 * before it (a NAT goes before its router and addresses). A shared object another resource goes
 * on using ({@link Claims#othersUsing}) is released (dropped from this ledger) instead of deleted;
 * whether one does is read live from every namespace. One that is about to claim it (it names the
 * object too and has not recorded it yet: a resource renamed in Git, whose new name has not passed
 * yet) is waited for, since it claims the object from this ledger and, let go of before, the object
 * would be nobody's.
 */
final class Release {
  private Release() {}

  /** What the current parts still need before a stale object of a kind can go. */
  record Gates(boolean natSettled, boolean jobSettled) {
    static final Gates NONE = new Gates(true, true);
  }

  /**
   * Releases the stale entries. A stale address waits until the NAT no longer uses it (the NAT part
   * is ready), a stale connector until the job no longer does (the job part is ready): a rename
   * never leaves the job or the NAT pointing at a deleted object, unless GCP leaves no choice (a new
   * connector on the old one's subnet or range waits for it to go).
   */
  static PartResult stale(Pass pass, Gates gates) {
    return release(pass, pass.implied, gates);
  }

  /** Deletes or releases every object of the ledger: the resource is being deleted. */
  static PartResult all(Pass pass) {
    return release(pass, Set.of(), Gates.NONE);
  }

  private static PartResult release(Pass pass, Set<Ledger.Key> keep, Gates gates) {
    List<Ledger.Key> stale = pass.ledger.keys().stream().filter(k -> !keep.contains(k)).toList();
    PartResult pending = null;
    for (Ledger.Kind kind : Ledger.Kind.values()) {
      List<Ledger.Key> ofKind = stale.stream().filter(k -> k.kind() == kind).toList();
      if (ofKind.isEmpty()) {
        continue;
      }
      if (pending != null || kind == Ledger.Kind.ADDRESS && !gates.natSettled() || kind == Ledger.Kind.CONNECTOR && !gates.jobSettled()) {
        // Not driven this pass: an intent to delete is dropped (recorded again once the way is
        // clear), a started deletion is polled to its end, like any entry no part drives.
        if (pending == null) {
          pending = PartResult.progressing("Releasing", "Waiting to delete " + ofKind.get(0) + " until nothing of this resource uses it.");
        }
        continue;
      }
      for (Ledger.Key key : ofKind) {
        PartResult result = releaseOne(pass, key);
        if (!result.isReady() && (pending == null || result.progress() == PartResult.Progress.BLOCKED)) {
          pending = result;
        }
      }
    }
    return pending != null ? pending : PartResult.ready("Released", "Nothing the spec no longer names is left.");
  }

  private static PartResult releaseOne(Pass pass, Ledger.Key key) {
    ObjectKind<?>.OwnedObject object = ObjectKind.of(key.kind()).owned(pass, key.name());
    var settling = object.settle();
    if (settling.isPresent()) {
      return settling.get();
    }
    if (!object.exists()) {
      object.reread();
    }
    if (!object.exists()) {
      if (pass.ledger.creatingUnseen(key) && pass.services.attempts()
          .createMayRunUntil(pass.cr.getMetadata().getUid(), key.name(), Ledger.CREATE_MAY_STILL_RUN).filter(pass.now::isBefore).isPresent()) {
        // Its create may have started just before a restart, or a lost status write, took the record of it.
        return PartResult.progressing("ConfirmingAbsent", "Looking for " + key + ", whose create was recorded but never confirmed: GCP"
            + " may still be making it, and it is deleted if it appears within " + Ledger.CREATE_MAY_STILL_RUN.toMinutes() + " minutes.");
      }
      pass.ledger.forget(key);
      return PartResult.ready("Deleted", key + " is gone.");
    }
    pass.ledger.found(key);
    if (!Ownership.mayDelete(pass, key, object.marker(), object.foundAsAsked())) {
      pass.ledger.forget(key);
      pass.services.events().warning(pass.cr, "LeftInPlace", key + " exists but cannot be shown to be this resource's"
          + " (its create was never confirmed, or it no longer carries the operator's marker): it is left in place. Delete it by hand if nobody uses it.");
      return PartResult.ready("LeftInPlace", key + " is left in place.");
    }
    if (key.kind().shareable) {
      var usedBy = pass.othersUsing(key);
      if (usedBy.isEmpty()) {
        return Pass.sharingUnknown(key);
      }
      Claims.Users others = usedBy.get();
      if (others.holding() > 0) {
        pass.ledger.forget(key);
        pass.services.events().normal(pass.cr, "Released", key + " is kept: " + others.count() + " other CloudRunEgressJob(s) use it.");
        return PartResult.ready("Released", key + " is kept for the " + others.count() + " other CloudRunEgressJob(s) that use it.");
      }
      if (!others.claiming().isEmpty()) {
        // Let go of now, it would be nobody's: they claim it from this ledger (Ownership.mayManage).
        return PartResult.progressing("WaitingForClaim", key + " is kept for " + String.join(", ", others.claiming())
            + ", which use it too; this resource lets go of it once they have recorded it, on their next pass.");
      }
    }
    String kept = object.keptBecause();
    if (kept != null) {
      pass.ledger.forget(key);
      pass.services.events().normal(pass.cr, "Kept", key + " is kept: " + kept);
      return PartResult.ready("Kept", key + " is kept: " + kept);
    }
    return object.delete();
  }

  /** The part whose operations on the kind's objects are recorded in status.operations. */
  static String partOf(Ledger.Kind kind) {
    return ObjectKind.of(kind).part;
  }
}
