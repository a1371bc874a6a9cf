package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.gcp.Operations;
import java.util.Optional;

/**
 * An object of the ledger as found in GCP, and how to delete it. Every part provides one for its
 * kind ({@code ConnectorPart.owned}, {@code RouterNatPart.ownedNat}...), so that {@link Release}
 * deletes any of them the same way, by the name the ledger recorded, whatever the spec says now.
 * The steps are the ones every change takes ({@link Pass#change}): what a part supplies is how to
 * find the object, read its marker and start its delete.
 */
abstract class OwnedObject {
  final Pass pass;
  final String part;
  final String name;
  private final Operations.Api api;
  private final Runnable reread;

  /** {@code reread} reads the object afresh into the lists the part observes it in. */
  OwnedObject(Pass pass, String part, String name, Operations.Api api, Runnable reread) {
    this.pass = pass;
    this.part = part;
    this.name = name;
    this.api = api;
    this.reread = reread;
  }

  /** Whether it is in the shared lists, which may predate a create that finished since. */
  abstract boolean exists();

  /**
   * The uid the object's ownership marker names: {@link Ownership#UNMARKED} when it carries none,
   * {@link Ownership#NO_MARKER_POSSIBLE} for kinds that cannot carry one.
   */
  abstract String marker();

  /** Calls GCP to delete it; the operation's name. */
  abstract String startDelete();

  /**
   * For kinds that carry no marker: whether the object is exactly what this resource's recorded
   * create asked for ({@link Ledger#recordCreating}), so that a create whose record was lost is
   * still known as this resource's. Marked kinds answer by their marker instead.
   */
  boolean foundAsAsked() {
    return false;
  }

  /** Why the object must stay although this resource no longer needs it (someone else's configuration on it), or null. */
  String keptBecause() {
    return null;
  }

  /** Polls an operation this resource has on the object; present (what to report) while it runs. */
  Optional<PartResult> settle() {
    return pass.settle(part, name, api, reread);
  }

  /** Reads the object afresh into the lists: before it is taken for gone. */
  final void reread() {
    reread.run();
  }

  /** Moves its deletion one step. */
  final PartResult delete() {
    return pass.change(part, Pass.DELETE, name, this::startDelete);
  }
}
