package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Which CloudRunEgressJobs share a connector or a router + NAT. Resources that name the same object
 * in the same project, region and network claim it together; the oldest claim defines its
 * settings, and the object is deleted only when no claimant is left.
 */
final class Claims {
  private static final Comparator<CloudRunEgressJob> OLDEST_FIRST = Comparator
      .comparing((CloudRunEgressJob cr) -> cr.getMetadata().getCreationTimestamp(), Comparator.nullsLast(Comparator.naturalOrder()))
      .thenComparing(cr -> cr.getMetadata().getUid());

  /** A shared object and what each claimant must agree on about it. */
  record Shared(Function<CloudRunEgressJob, String> identity, Function<CloudRunEgressJob, Object> settings) {}

  static final Shared CONNECTOR = new Shared(
      cr -> cr.getSpec().getEgress().getConnector() == null ? null : Targets.of(cr).connectorPath(),
      cr -> Arrays.asList(cr.getSpec().getEgress().getNetwork(), withoutReplacePolicy(cr)));

  static final Shared NAT = new Shared(
      cr -> cr.getSpec().getEgress().getNat() == null ? null
          : Targets.of(cr).natPath(cr.getSpec().getEgress().getNat().getRouter(), cr.getSpec().getEgress().getNat().getName()),
      // What the NAT translates follows from the connector or Direct VPC subnet when covers is not set.
      cr -> Arrays.asList(cr.getSpec().getEgress().getNetwork(), cr.getSpec().getEgress().getNat(), RouterNatPart.coveredSubnets(cr)));

  /**
   * How long a new resource that names a shared object may take to claim it on its first pass,
   * while the one releasing it waits: seconds normally, as java-operator-sdk reconciles a new
   * resource at once.
   */
  static final Duration CLAIM_WAIT = Duration.ofMinutes(5);
  /** The reason while the resource that creates a shared object for everyone is stalled. */
  static final String SHARED_OBJECT_STALLED = "SharedObjectStalled";
  private final Collection<CloudRunEgressJob> all;

  Claims(Collection<CloudRunEgressJob> all) {
    this.all = all;
  }

  /** Every resource claiming the same object as {@code cr}, oldest first, {@code cr} included. */
  List<CloudRunEgressJob> claimants(Shared shared, CloudRunEgressJob cr) {
    String identity = shared.identity().apply(cr);
    return all.stream()
        .filter(other -> identity != null && identity.equals(shared.identity().apply(other)))
        .sorted(OLDEST_FIRST)
        .toList();
  }

  /**
   * The claimant whose settings define the object and who creates it: the oldest one not being
   * deleted, so the others wait for it instead of racing it to create the same object.
   */
  CloudRunEgressJob definer(Shared shared, CloudRunEgressJob cr) {
    return claimants(shared, cr).stream().filter(c -> c.getMetadata().getDeletionTimestamp() == null).findFirst().orElse(cr);
  }

  boolean isDefiner(Shared shared, CloudRunEgressJob cr) {
    return definer(shared, cr).getMetadata().getUid().equals(cr.getMetadata().getUid());
  }

  /**
   * {@code cr} waits for the definer to create the shared object: progressing while the definer
   * moves, blocked (looked at again at the error ceiling, not polled) while the definer is stalled,
   * since only a change to it (or to this spec) can unblock this one.
   */
  PartResult waitingFor(Shared shared, CloudRunEgressJob cr, String reason, String message) {
    CloudRunEgressJob definer = definer(shared, cr);
    boolean stalled = definer.getStatus() != null && definer.getStatus().getConditions().stream()
        .anyMatch(c -> Conditions.STALLED.equals(c.getType()) && "True".equals(c.getStatus()));
    return stalled
        ? PartResult.blocked(SHARED_OBJECT_STALLED, message + " It is stalled: fix " + Ownership.owner(definer) + " (see its conditions), or name another object in this spec.")
        : PartResult.progressing(reason, message);
  }

  /** The claimant whose settings define the object, when {@code cr} disagrees with it. */
  CloudRunEgressJob conflictingDefiner(Shared shared, CloudRunEgressJob cr) {
    CloudRunEgressJob definer = definer(shared, cr);
    boolean agrees = definer.getMetadata().getUid().equals(cr.getMetadata().getUid())
        || Objects.equals(shared.settings().apply(definer), shared.settings().apply(cr));
    return agrees ? null : definer;
  }

  /**
   * Whether another resource among these manages the shared object: its ledger says the operator
   * made or adopted it, or the object's marker (a uid, for kinds that carry one) names it, so this
   * resource, which names the object too, may claim it.
   */
  boolean managedByAnother(Ledger.Key key, CloudRunEgressJob cr, String marker) {
    return all.stream()
        .filter(other -> !other.getMetadata().getUid().equals(cr.getMetadata().getUid()))
        .anyMatch(other -> other.getStatus() != null && Ledger.manages(other.getStatus(), key)
            // or its marker names a resource that uses it, whose ledger may not say so yet
            || other.getMetadata().getUid().equals(marker) && Ledger.used(other).contains(key));
  }

  /**
   * The resources other than {@code cr}, not being deleted, that go on using a shared object once
   * {@code cr} lets go of it: {@code holding} it (its ledger has it, or it names it as existing
   * and uses it as it is), or {@code claiming} it on their first pass (by their full names): they
   * manage it too but have not been reconciled yet (created within {@link #CLAIM_WAIT}), and agree
   * on its settings with {@code cr}, which still names it, and with the oldest of them, who defines
   * it once {@code cr} is gone.
   */
  record Users(long holding, List<String> claiming) {
    long count() {
      return holding + claiming.size();
    }
  }

  /**
   * Who goes on using the object ({@link Users}) among {@code everywhere}: every namespace, read
   * live, since one the operator does not watch counts too. One that disagrees never claims it
   * (SharedSpecConflict): kept for it the object would be nobody's, so it does not count; the
   * object is deleted and made again to its settings. (A router or an address goes with its NAT's
   * settings.)
   */
  static Users othersUsing(Ledger.Key key, CloudRunEgressJob cr, Collection<CloudRunEgressJob> everywhere, Instant now) {
    Shared shared = key.kind() == Ledger.Kind.CONNECTOR ? CONNECTOR : NAT;
    boolean crNamesIt = Ledger.implied(cr).contains(key);
    List<CloudRunEgressJob> others = everywhere.stream()
        .filter(other -> !other.getMetadata().getUid().equals(cr.getMetadata().getUid()))
        .filter(other -> other.getMetadata().getDeletionTimestamp() == null)
        .filter(other -> Ledger.used(other).contains(key))
        .sorted(OLDEST_FIRST)
        .toList();
    long holding = others.stream()
        .filter(other -> !Ledger.implied(other).contains(key) || other.getStatus() != null && Ledger.manages(other.getStatus(), key))
        .count();
    if (!crNamesIt) {
      return new Users(holding, List.of()); // its settings say nothing about the object any more
    }
    Object settings = shared.settings().apply(cr);
    boolean nextDefinerAgrees = others.stream().filter(other -> Ledger.implied(other).contains(key)).findFirst()
        .map(definer -> Objects.equals(shared.settings().apply(definer), settings)).orElse(false);
    List<String> claiming = !nextDefinerAgrees ? List.of() : others.stream()
        // Not reconciled yet, and new: its first pass claims it. One that has passed without claiming
        // it is held up elsewhere (NotOwned, a refusal...), and one that nobody reconciles within
        // CLAIM_WAIT (in a namespace no operator watches) may never be: waiting could last for ever.
        .filter(other -> Ledger.implied(other).contains(key)
            && (other.getStatus() == null || other.getStatus().getObservedGeneration() == null && !Ledger.manages(other.getStatus(), key))
            && createdWithin(other, now, CLAIM_WAIT))
        .filter(other -> Objects.equals(shared.settings().apply(other), settings))
        .map(Ownership::owner)
        .toList();
    return new Users(holding, claiming);
  }

  private static boolean createdWithin(CloudRunEgressJob cr, Instant now, Duration age) {
    String created = cr.getMetadata().getCreationTimestamp();
    return created != null && !Instant.parse(created).plus(age).isBefore(now);
  }

  private static Object withoutReplacePolicy(CloudRunEgressJob cr) {
    var c = cr.getSpec().getEgress().getConnector();
    return List.of(String.valueOf(c.getExisting()), String.valueOf(c.getIpCidrRange()), String.valueOf(c.getSubnet()),
        String.valueOf(c.getMachineType()), String.valueOf(c.getMinInstances()), String.valueOf(c.getMaxInstances()));
  }
}
