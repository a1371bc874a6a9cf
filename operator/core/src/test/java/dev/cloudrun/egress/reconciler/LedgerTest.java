package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LedgerTest {
  private static final String RULE = "projects/p/global/firewalls/crej-agent-allow-github";

  /**
   * A create GCP accepted whose operation then failed made nothing: its entry is unconfirmed
   * again, so that an object of the name, someone else's insert that won, is this resource's only
   * if it carries this resource's marker. Claimed entries stay.
   */
  @Test
  void aFailedCreateUnconfirmsWhatItsAcceptanceConfirmed() {
    CloudRunEgressJobStatus status = new CloudRunEgressJobStatus();
    Ledger ledger = new Ledger(status, Instant.EPOCH);
    Ledger.Key rule = new Ledger.Key(Ledger.Kind.FIREWALL, RULE);
    Ledger.Key other = new Ledger.Key(Ledger.Kind.FIREWALL, RULE + "-2");
    Ledger.Key claimed = new Ledger.Key(Ledger.Kind.ROUTER, "projects/p/regions/r/routers/shared");
    ledger.record(rule, Ledger.State.Created);
    ledger.record(other, Ledger.State.Created);
    ledger.record(claimed, Ledger.State.Claimed);

    Ledger later = new Ledger(status, Instant.ofEpochSecond(10));
    later.unconfirm(rule);
    later.unconfirm(claimed);

    assertThat(later.state(rule)).contains(Ledger.State.Creating);
    assertThat(later.creatingUnseen()).containsExactly(RULE);
    assertThat(Ledger.manages(status, rule)).isFalse();
    assertThat(later.state(other)).contains(Ledger.State.Created);
    assertThat(later.state(claimed)).contains(Ledger.State.Claimed);
  }
}
