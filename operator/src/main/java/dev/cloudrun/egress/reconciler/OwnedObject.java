package dev.cloudrun.egress.reconciler;

import java.util.Optional;

/**
 * An object of the ledger as found in GCP, and how to delete it. Every part provides one for its
 * kind ({@code ConnectorPart.owned}, {@code RouterNatPart.ownedNat}...), so that {@link Release}
 * deletes any of them the same way, by the name the ledger recorded, whatever the spec says now.
 */
interface OwnedObject {
  /** Polls an operation this resource has on the object; present (what to report) while it runs. */
  Optional<PartResult> settle();

  /** Whether it is in the shared lists, which may predate a create that finished since. */
  boolean exists();

  /** Reads the object afresh into the lists: before it is taken for gone. */
  void reread();

  /**
   * The uid the object's ownership marker names: {@link Ownership#UNMARKED} when it carries none,
   * {@link Ownership#NO_MARKER_POSSIBLE} for kinds that cannot carry one.
   */
  String marker();

  /** Why the object must stay although this resource no longer needs it (someone else's configuration on it), or null. */
  default String keptBecause() {
    return null;
  }

  /** Moves its deletion one step (through {@link Pass#change}). */
  PartResult delete();
}
