package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import java.util.Map;

/**
 * Who may change or delete a GCP object: decided here, the same way for every kind. Objects carry a
 * marker naming the CloudRunEgressJob they were made for (its uid), in labels where GCP has them
 * (Cloud Run jobs) and in the description where it does not (routers, firewall rules, addresses).
 * Connectors and NATs can carry none: for them the ledger in status ({@link Ledger}) is the record.
 */
final class Ownership {
  static final String OPERATOR = "cloudrun-egress-operator";
  static final String MANAGED_BY_LABEL = "crej-managed-by";
  static final String UID_LABEL = "crej-uid";
  static final String OWNER_ANNOTATION = "egress.cloudrun.dev/owner";
  private static final String DESCRIPTION_PREFIX = "Managed by " + OPERATOR + " for ";
  /** The marker of a kind that cannot carry one (connectors, NATs). */
  static final String NO_MARKER_POSSIBLE = null;
  /** The marker of an object that carries none, or not this operator's. */
  static final String UNMARKED = "";

  private Ownership() {}

  static String description(CloudRunEgressJob cr) {
    return DESCRIPTION_PREFIX + owner(cr) + " (uid " + cr.getMetadata().getUid() + "). Changes made elsewhere are reverted.";
  }

  static String owner(CloudRunEgressJob cr) {
    return cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName();
  }

  static Map<String, String> labels(CloudRunEgressJob cr) {
    return Map.of(MANAGED_BY_LABEL, OPERATOR, UID_LABEL, cr.getMetadata().getUid());
  }

  /** The uid a description names, or {@link #UNMARKED}. */
  static String markerOf(String description) {
    if (description == null || !description.startsWith(DESCRIPTION_PREFIX)) {
      return UNMARKED;
    }
    int start = description.indexOf("(uid ");
    int end = start < 0 ? -1 : description.indexOf(')', start);
    return end < 0 ? UNMARKED : description.substring(start + "(uid ".length(), end);
  }

  /** The uid the labels name, or {@link #UNMARKED}. */
  static String markerOf(Map<String, String> labels) {
    return OPERATOR.equals(labels.get(MANAGED_BY_LABEL)) ? labels.getOrDefault(UID_LABEL, UNMARKED) : UNMARKED;
  }

  /**
   * Whether this resource may change {@code key}, an object its spec implies that exists in GCP,
   * recording the answer in the ledger. {@code marker} is the uid the object's marker names
   * ({@link #UNMARKED}, or {@link #NO_MARKER_POSSIBLE} for connectors and NATs); {@code asCreateAsked}
   * tells, for those, whether it is exactly what this resource's recorded create asked for. In order:
   * <ol>
   *   <li>its marker names this resource: created by it (perhaps by a create whose record was lost);
   *   <li>the ledger already says this resource manages it, and a marked kind still carries the
   *       operator's marker (an object deleted and remade by someone else under the name does not);
   *   <li>a connector or NAT this resource is creating, found as its create asked: the create started
   *       and its record was lost;
   *   <li>a shared kind another resource naming it manages, in a watched namespace or (read live) in
   *       any other: the operator made it, and this resource claims it too (deleting it when it is
   *       the last);
   *   <li>spec.adoptExisting: taken over;
   *   <li>otherwise someone else's: never changed. A create this resource recorded lost the race.
   * </ol>
   */
  static boolean mayManage(Pass pass, Ledger.Key key, String marker, boolean asCreateAsked) {
    Ledger ledger = pass.ledger;
    String uid = pass.cr.getMetadata().getUid();
    Ledger.State state = ledger.state(key).orElse(null);
    if (marker != NO_MARKER_POSSIBLE && marker.equals(uid)) {
      return ledger.record(key, state == Ledger.State.Adopted ? state : Ledger.State.Created);
    }
    if (state != null && state != Ledger.State.Creating) {
      if (marker == NO_MARKER_POSSIBLE || !marker.isEmpty() || state == Ledger.State.Adopted) {
        return true;
      }
      ledger.forget(key);
      return false;
    }
    if (state == Ledger.State.Creating && marker == NO_MARKER_POSSIBLE && asCreateAsked) {
      return ledger.record(key, Ledger.State.Created);
    }
    if (key.kind().shareable && (pass.claims.managedByAnother(key, pass.cr, marker) || pass.managedByAnotherAnywhere(key, marker))) {
      return ledger.record(key, Ledger.State.Claimed);
    }
    if (pass.cr.getSpec().getAdoptExisting()) {
      return ledger.record(key, Ledger.State.Adopted);
    }
    ledger.forget(key);
    return false;
  }

  /**
   * Whether this resource may delete {@code key}, an object in its ledger that exists in GCP: it
   * manages it (or, its create never confirmed, it carries this resource's marker or, for a kind
   * that carries none, is exactly what the recorded create asked for), and a marked kind still
   * carries the operator's marker unless it was adopted.
   */
  static boolean mayDelete(Pass pass, Ledger.Key key, String marker, boolean foundAsAsked) {
    if (marker != NO_MARKER_POSSIBLE && marker.equals(pass.cr.getMetadata().getUid())) {
      return true;
    }
    Ledger.State state = pass.ledger.state(key).orElse(Ledger.State.Creating);
    if (state == Ledger.State.Creating) {
      return marker == NO_MARKER_POSSIBLE && foundAsAsked;
    }
    return marker == NO_MARKER_POSSIBLE || !marker.isEmpty() || state == Ledger.State.Adopted;
  }
}
