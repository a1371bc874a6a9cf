package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Who goes on using a shared object when a resource lets go of it ({@link Claims#othersUsing}):
 * {@link Release} keeps it for those holding it, waits for those about to claim it, and deletes it
 * when nobody will: kept for a resource that never claims it, it would be nobody's.
 */
class ClaimsTest {
  private static final String EXAMPLE = "01-seed-github-static-ip.yaml";
  /** A minute after the resources below were created. */
  private static final Instant NOW = Instant.ofEpochSecond(60);
  private final CloudRunEgressJob releasing = resource("my-agent-4", 1, r -> { });
  private final Ledger.Key connector = new Ledger.Key(Ledger.Kind.CONNECTOR, Targets.of(releasing).connectorPath());

  @Test
  void aResourceWhoseLedgerHoldsTheObjectHoldsIt() {
    CloudRunEgressJob other = resource("my-agent-5", 2, r -> holds(r, connector));

    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, other), NOW)).isEqualTo(new Claims.Users(1, List.of()));
  }

  @Test
  void aResourceThatNamesItExistingHoldsIt() {
    CloudRunEgressJob other = resource("my-agent-5", 2, r -> r.getSpec().getEgress().getConnector().setExisting(true));

    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, other), NOW)).isEqualTo(new Claims.Users(1, List.of()));
  }

  /** A rename in Git: the new resource (same spec) has not passed yet when the old one's deletion reaches the connector. */
  @Test
  void anAgreeingResourceNotYetRecordingItIsAboutToClaimIt() {
    CloudRunEgressJob renamed = resource("my-agent-4-r", 2, r -> { });

    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, renamed), NOW))
        .isEqualTo(new Claims.Users(0, List.of("platform-agents/my-agent-4-r")));
  }

  /** Reconciled already without claiming it, it is held up by something else (NotOwned on an address, say): not waited for. */
  @Test
  void anAgreeingResourceThatHasPassedWithoutClaimingItIsNotWaitedFor() {
    CloudRunEgressJob blocked = resource("my-agent-4-r", 2, r -> r.getStatus().setObservedGeneration(1L));

    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, blocked), NOW).count()).isZero();
  }

  /** Not reconciled within Claims.CLAIM_WAIT of its creation (no operator watches its namespace, say): not waited for. */
  @Test
  void anAgreeingResourceNobodyReconcilesIsNotWaitedForLong() {
    CloudRunEgressJob unreconciled = resource("my-agent-4-r", 2, r -> r.setStatus(null));

    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, unreconciled), NOW).claiming()).hasSize(1);
    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, unreconciled), NOW.plus(Claims.CLAIM_WAIT)).count()).isZero();
  }

  @Test
  void aResourceThatDisagreesNeverClaimsIt() {
    CloudRunEgressJob other = resource("my-agent-5", 2, r -> r.getSpec().getEgress().getConnector().setMaxInstances(7));

    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, other), NOW).count()).isZero();
  }

  /** Once the releasing one is gone, the oldest other defines the object: one agreeing only with the releasing one conflicts with it. */
  @Test
  void anAgreeingResourceBehindAnOlderOneThatDisagreesNeverClaimsIt() {
    CloudRunEgressJob older = resource("my-agent-5", 2, r -> r.getSpec().getEgress().getConnector().setMaxInstances(7));
    CloudRunEgressJob agreeing = resource("my-agent-6", 3, r -> { });

    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, older, agreeing), NOW).count()).isZero();
  }

  @Test
  void aResourceBeingDeletedDoesNotCount() {
    CloudRunEgressJob other = resource("my-agent-5", 2, r -> {
      holds(r, connector);
      r.getMetadata().setDeletionTimestamp(Instant.ofEpochSecond(100).toString());
    });

    assertThat(Claims.othersUsing(connector, releasing, List.of(releasing, other), NOW).count()).isZero();
  }

  /** A releasing resource that no longer names the object (renamed it away) agrees with nobody's settings on it. */
  @Test
  void afterTheReleasingResourceRenamedItAwayOnlyHoldersCount() {
    CloudRunEgressJob movedAway = resource("my-agent-4", 1, r -> r.getSpec().getEgress().getConnector().setName("vpc-conn-other"));
    CloudRunEgressJob agreeing = resource("my-agent-5", 2, r -> { });

    assertThat(Claims.othersUsing(connector, movedAway, List.of(movedAway, agreeing), NOW).count()).isZero();
  }

  private static CloudRunEgressJob resource(String name, int age, Consumer<CloudRunEgressJob> change) {
    CloudRunEgressJob cr = World.example(EXAMPLE, 0);
    cr.getMetadata().setName(name);
    cr.getMetadata().setUid("uid-" + name);
    cr.getMetadata().setCreationTimestamp(Instant.ofEpochSecond(age).toString());
    cr.setStatus(new CloudRunEgressJobStatus());
    change.accept(cr);
    return cr;
  }

  private static void holds(CloudRunEgressJob cr, Ledger.Key key) {
    new Ledger(cr.getStatus(), Instant.EPOCH).record(key, Ledger.State.Claimed);
  }
}
