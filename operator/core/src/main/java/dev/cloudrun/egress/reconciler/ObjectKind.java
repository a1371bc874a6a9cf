package dev.cloudrun.egress.reconciler;

import com.google.protobuf.Message;
import dev.cloudrun.egress.gcp.Operations;
import java.util.List;
import java.util.Optional;

/**
 * One kind of GCP object the operator manages, and the one way every kind is reconciled. A part
 * (connector, address, router + NAT, firewall, job, probe) builds the desired object from the spec
 * and takes the same four steps for each object it wants:
 * <ol>
 *   <li>{@link #settle}: an operation this resource started on the object is polled to its end;
 *   <li>{@link #observe}: the object as the shared inventory lists it;
 *   <li>the part's own preconditions (a shared object another resource defines, an old object in
 *       the way), then {@link #converge}: create it (recorded in the ledger before the call),
 *       decide whether this resource may manage it ({@link Ownership#mayManage}), compare the fields
 *       the operator owns and correct them, and report the object's state as the part's condition;
 *   <li>once the spec no longer implies it, {@link Release} deletes it through {@link #owned}.
 * </ol>
 * Every change goes through the intent, start and poll steps of {@link Pass}. What a subclass
 * supplies is only what differs by kind: how to find the object, read its marker, compare it,
 * and call GCP to create, update and delete it.
 */
abstract class ObjectKind<T extends Message> {
  final Ledger.Kind kind;
  /** The part whose operations on these objects are recorded in status.operations. */
  final String part;
  final Operations.Api api;
  /** How a message names one of these objects: "Firewall rule", "Connector". */
  final String noun;
  /**
   * Whether the objects carry the operator's marker (labels or description). Connectors and NATs
   * carry none: a create records what it asked for, and an object found exactly so is this resource's.
   */
  final boolean marked;

  ObjectKind(Ledger.Kind kind, String part, Operations.Api api, String noun, boolean marked) {
    this.kind = kind;
    this.part = part;
    this.api = api;
    this.noun = noun;
    this.marked = marked;
  }

  /** The kind of every ledger entry. */
  static ObjectKind<?> of(Ledger.Kind kind) {
    return switch (kind) {
      case SCHEDULE -> SchedulePart.KIND;
      case PROBE -> ProbeJobPart.KIND;
      case JOB -> CloudRunJobPart.KIND;
      case FIREWALL -> FirewallPart.KIND;
      case NAT -> RouterNatPart.NATS;
      case ROUTER -> RouterNatPart.ROUTERS;
      case ADDRESS -> AddressPart.KIND;
      case CONNECTOR -> ConnectorPart.KIND;
    };
  }

  // What differs by kind.

  /** The object named {@code name} (its full path, as the ledger records it) as listed, or null. */
  abstract T observe(Pass pass, String name);

  /** Reads the object afresh into the lists {@link #observe} reads. */
  abstract void reread(Pass pass, String name);

  /** The uid the object's marker names, or {@link Ownership#UNMARKED}; asked only of {@link #marked} kinds. */
  String marker(T observed) {
    return Ownership.NO_MARKER_POSSIBLE;
  }

  /** Calls GCP to create the object; the operation's name. */
  abstract String startCreate(Pass pass, String name, T desired);

  /** Calls GCP to set {@code fields} of the object back to {@code desired}; the operation's name. */
  abstract String startUpdate(Pass pass, String name, T desired, T observed, List<String> fields);

  /** Calls GCP to delete the object; the operation's name. */
  abstract String startDelete(Pass pass, String name);

  /** The fields the operator owns that differ and can be updated in place. Server defaults never count. */
  abstract List<String> differences(T desired, T observed);

  /** The fields that differ and cannot change in place. */
  List<String> immutableDifferences(T desired, T observed) {
    return List.of();
  }

  /** What to do about fields that cannot change in place ({@link #immutableDifferences}). */
  PartResult replace(Pass pass, String name, T observed, List<String> immutable) {
    return PartResult.blocked("ReplacementRequired", noun + " " + name + " cannot change " + String.join(", ", immutable)
        + " in place: give it a new name in the spec.");
  }

  /** Whether GCP takes an update of the object in its present state. */
  boolean updatable(T observed) {
    return true;
  }

  /** The part's condition once the object is as the spec says: GCP's own state of it. */
  PartResult state(String name, T observed) {
    return PartResult.ready("Ready", noun + " " + name + " is in place.");
  }

  /** What the user can do about an object of the name that is not this resource's. */
  abstract String notOwnedFix();

  /**
   * Whether a create is an insert, whose 409 says an object of the name exists (judged like any
   * object found). A create that is an update of a parent (a NAT on its router) is not.
   */
  boolean createsByInsert() {
    return true;
  }

  /** Why the object must stay although this resource no longer needs it (someone else's configuration on it), or null. */
  String keptBecause(T observed) {
    return null;
  }

  /** Polls an operation this resource has on the object; present (what to report) while it runs or when it failed. */
  Optional<PartResult> settle(Pass pass, String name) {
    boolean creating = pass.operation(part, name).filter(o -> o.getAction().equals(Pass.CREATE) && !o.getName().isEmpty()).isPresent();
    Optional<PartResult> settling = pass.settle(part, name, api, () -> reread(pass, name));
    if (marked && creating && settling.isPresent() && pass.operation(part, name).isEmpty()) {
      // The create failed: an object of the name may be someone else's (an insert of theirs won).
      // Unconfirmed again, the entry is this resource's only by the object's marker. (A connector
      // whose create failed may be left behind, in ERROR: it is this resource's and stays confirmed.)
      pass.ledger.unconfirm(key(name));
    }
    return settling;
  }

  // The same for every kind.

  Ledger.Key key(String name) {
    return new Ledger.Key(kind, name);
  }

  /**
   * Moves the object named {@code name} one step towards {@code desired}, having settled and
   * observed it; {@code alsoMade} are objects its create makes too (a router's first NAT), whose
   * entries the part recorded. The step is one of: record and start the create; refuse an object
   * that is not this resource's (NotOwned); replace it; correct the fields that drifted; report its state.
   */
  final PartResult converge(Pass pass, String name, T desired, T observed, Ledger.Key... alsoMade) {
    Ledger.Key key = key(name);
    if (observed == null) {
      if (!(marked ? pass.ledger.record(key, Ledger.State.Creating) : pass.ledger.recordCreating(key, desired))) {
        return Pass.ledgerFull(key);
      }
      PartResult creating = createsByInsert()
          ? pass.create(part, name, () -> startCreate(pass, name, desired))
          // A 409 on an update of the parent is a concurrent change of it, never "already there".
          : pass.change(part, Pass.CREATE, name, () -> startCreate(pass, name, desired));
      if (pass.started(part, name)) {
        // GCP accepted this resource's create: what it makes is this resource's (others sharing it may claim it).
        pass.ledger.record(key, Ledger.State.Created);
        for (Ledger.Key made : alsoMade) {
          pass.ledger.record(made, Ledger.State.Created);
        }
      }
      return creating;
    }
    if (!Ownership.mayManage(pass, key, marked ? marker(observed) : Ownership.NO_MARKER_POSSIBLE, !marked && foundAsAsked(pass, key, observed))) {
      return PartResult.blocked("NotOwned", noun + " " + name + " exists but was not created by this operator for this resource;"
          + " it is left untouched. " + notOwnedFix());
    }
    List<String> immutable = immutableDifferences(desired, observed);
    if (!immutable.isEmpty()) {
      return replace(pass, name, observed, immutable);
    }
    List<String> drift = differences(desired, observed);
    if (!drift.isEmpty() && updatable(observed)) {
      return pass.correctDrift(part, noun + " " + name, drift, name, () -> startUpdate(pass, name, desired, observed, drift));
    }
    return state(name, observed);
  }

  /**
   * For a kind that carries no marker: whether {@code observed} is exactly what this resource's
   * recorded create asked for ({@link Ledger#recordCreating}), so that a create whose record was
   * lost is still known as this resource's.
   */
  final boolean foundAsAsked(Pass pass, Ledger.Key key, T observed) {
    @SuppressWarnings("unchecked")
    Optional<T> asked = pass.ledger.request(key, observed.newBuilderForType()).map(b -> (T) b.build());
    return asked.filter(a -> immutableDifferences(a, observed).isEmpty() && differences(a, observed).isEmpty()).isPresent();
  }

  /** The object of the ledger named {@code name}, as {@link Release} finds and deletes it whatever the spec says now. */
  final OwnedObject owned(Pass pass, String name) {
    return new OwnedObject(pass, name);
  }

  /**
   * An object of the ledger as found in GCP: what {@link Release} asks of it, the same for every kind.
   */
  final class OwnedObject {
    final Pass pass;
    final String name;

    private OwnedObject(Pass pass, String name) {
      this.pass = pass;
      this.name = name;
    }

    /** Whether it is in the shared lists, which may predate a create that finished since. */
    boolean exists() {
      return observe(pass, name) != null;
    }

    /** Its marker: {@link Ownership#NO_MARKER_POSSIBLE} for kinds that carry none. */
    String marker() {
      return marked ? ObjectKind.this.marker(observe(pass, name)) : Ownership.NO_MARKER_POSSIBLE;
    }

    /** For a kind without a marker, whether it is exactly what this resource's recorded create asked for. */
    boolean foundAsAsked() {
      return !marked && ObjectKind.this.foundAsAsked(pass, key(name), observe(pass, name));
    }

    String keptBecause() {
      return ObjectKind.this.keptBecause(observe(pass, name));
    }

    Optional<PartResult> settle() {
      return ObjectKind.this.settle(pass, name);
    }

    /** Reads the object afresh: before it is taken for gone. */
    void reread() {
      ObjectKind.this.reread(pass, name);
    }

    /** Moves its deletion one step. */
    PartResult delete() {
      return pass.change(part, Pass.DELETE, name, () -> startDelete(pass, name));
    }
  }
}
