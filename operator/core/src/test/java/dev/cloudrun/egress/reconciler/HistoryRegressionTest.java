package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The bugs {@link RandomHistoriesTest} found, each as the shortest history that shows it, replayed
 * through the same {@link World}. Each test names the invariant it breaks today; it passes once
 * the bug is fixed. {@link WhatHolds} are histories the operator gets right, so that the harness
 * is seen not to flag correct behaviour.
 */
class HistoryRegressionTest {
  private static final String SEED_JOB = "01-seed-github-static-ip.yaml";
  private static final String DIRECT_VPC = "03-direct-vpc-egress.yaml";
  private static final String SHARED = "04-shared-connector.yaml";
  private static final String EXISTING = "05-existing-connector.yaml";
  private static final String DIAGNOSIS = "06-seed-egress-diagnosis.yaml";
  private static final String PROXY = "07-seed-proxy-without-no-proxy.yaml";
  private static final String MY_AGENT_4 = "platform-agents/my-agent-4";

  // ---- no leak: the spec no longer implies an object, which stays (cleanup works from the current spec) ----

  @Test
  void leakOnSpecChange_aConnectorSwitchedToDirectVpcIsLeftBehind() {
    History.of(1L,
        new Step.Create(SEED_JOB, 0, "my-agent-4"),
        new Step.Edit(MY_AGENT_4, Step.EditKind.SWITCH_CONNECTOR_AND_DIRECT_VPC, 0)).assertHolds();
  }

  @Test
  void leakOnSpecChange_aRenamedConnectorIsLeftBehind() {
    History.of(1L,
        new Step.Create(SEED_JOB, 0, "my-agent-4"),
        new Step.Edit(MY_AGENT_4, Step.EditKind.RENAME_CONNECTOR, 2)).assertHolds();
  }

  @Test
  void leakOnSpecChange_aRenamedRouterIsLeftBehindWithItsNat() {
    History.of(1L,
        new Step.Create(SEED_JOB, 0, "my-agent-4"),
        new Step.Edit(MY_AGENT_4, Step.EditKind.RENAME_ROUTER, 1)).assertHolds();
  }

  @Test
  void leakOnSpecChange_aRenamedNatIsLeftOnItsRouter() {
    History.of(1L,
        new Step.Create(DIRECT_VPC, 0, "nightly-report"),
        new Step.Edit("reporting/nightly-report", Step.EditKind.RENAME_NAT, 0)).assertHolds();
  }

  @Test
  void leakOnSpecChange_removingTheNatLeavesTheRouterAndTheNat() {
    History.of(1L,
        new Step.Create(SEED_JOB, 0, "my-agent-4"),
        new Step.Edit(MY_AGENT_4, Step.EditKind.TOGGLE_NAT, 0)).assertHolds();
  }

  @Test
  void leakOnSpecChange_aRenamedAddressStaysReserved() {
    History.of(1L,
        new Step.Create(SEED_JOB, 0, "my-agent-4"),
        new Step.Edit(MY_AGENT_4, Step.EditKind.RENAME_ADDRESS, 1)).assertHolds();
  }

  // ---- at rest, silence: a part waiting on a blocked one reports progress, so the resource is polled every 5 s forever ----

  /** SharedSpecConflict on the connector; the job part says WaitingForConnector (PROGRESSING), which requeues at the poll interval. */
  @Test
  void spinWhileBlocked_aJobWaitingForABlockedConnectorIsPolledEveryFiveSeconds() {
    History.of(1L,
        new Step.Create(DIAGNOSIS, 0, "my-agent-5"),
        new Step.Create(PROXY, 0, "my-agent-6"),
        new Step.Edit("platform-agents/my-agent-6", Step.EditKind.GROW_CONNECTOR, 0)).assertHolds();
  }

  /** The job is someone else's (NotOwned); the diagnosis, failing and waiting for the parts, stays PROGRESSING. */
  @Test
  void spinWhileBlocked_aDiagnosisWaitingForABlockedJobIsPolledEveryFiveSeconds() {
    History.of(1L,
        new Step.Create(PROXY, 0, "my-agent-3")).assertHolds();
  }

  // ---- settles: two claimants of one NAT want different coverage and correct each other every resync ----

  /**
   * Claims.NAT compares the NatSpec and the network only: a claimant on Direct VPC (the NAT lists
   * its subnet) and one on a connector range (the NAT covers all subnetworks) agree on paper and
   * rewrite the NAT back and forth with routers.update.
   */
  @Test
  void sharedNatCorrectionWar_connectorAndDirectVpcClaimantsRewriteTheNatEveryResync() {
    History.of(1L,
        new Step.Create(SHARED, 0, "infra-plan"),
        new Step.Create(SHARED, 1, "infra-apply"),
        new Step.Edit("platform-agents/infra-apply", Step.EditKind.SWITCH_CONNECTOR_AND_DIRECT_VPC, 0)).assertHolds();
  }

  /**
   * Moved to another router, a NAT asks for the static address a NAT still holds that another
   * resource shares: GCP refuses it (resourceInUseByAnotherResource) and each retry at the error
   * ceiling rewrote status. It is AddressInUse, found before the call, naming the router that holds it.
   */
  @Test
  void addressHeldByAnotherResourcesNat_isRefusedByGcpAndRetriedWithAStatusWriteEachTime() {
    History.of(35L,
        new Step.Create(DIAGNOSIS, 0, "my-agent-5-c"),
        new Step.Create(SHARED, 0, "infra-plan-b"),
        new Step.Edit("platform-agents/my-agent-5-c", Step.EditKind.TOGGLE_EXISTING_ROUTER, 94),
        new Step.Edit("platform-agents/my-agent-5-c", Step.EditKind.REPLACE_CONNECTOR_RANGE, 88)).assertHolds();
  }

  /**
   * GCP refuses the new connector's range (someone else's connector holds it) while the NAT the
   * spec dropped is released: the refused create was retried at the error ceiling with the whole
   * resource, so the release crept one step per 5 minutes, each with a status write. Now the refused
   * create alone waits (status.operations[].refusal), and the rest goes on at its pace.
   */
  @Test
  void refusedCreate_heldBackTheReleaseOfWhatTheSpecDropped() {
    History.of(47L,
        new Step.Create(PROXY, 0, "my-agent-6"),
        new Step.Edit("platform-agents/my-agent-6", Step.EditKind.REPLACE_CONNECTOR_RANGE, 54),
        new Step.Edit("platform-agents/my-agent-6", Step.EditKind.TOGGLE_NAT, 82)).assertHolds();
  }

  // ---- no leak: a crash between a create and the status write that names its operation, then a rename ----

  /**
   * The connector create started and the process died before recording the operation; renamed
   * before the next pass, the connector was left in place (a connector carries no marker, and the
   * spec no longer said what the create asked for). The ledger now records the create's request.
   */
  @Test
  void crashAfterAConnectorCreate_thenARename_leftTheConnectorInPlace() {
    History.of(1L,
        new Step.CrashThenEdit(2, MY_AGENT_4, Step.EditKind.RENAME_CONNECTOR, 2),
        new Step.Create(SEED_JOB, 0, "my-agent-4")).assertHolds();
  }

  /** The same for a NAT created together with its router (one routers.insert), renamed while the process is down. */
  @Test
  void crashAfterARouterAndNatCreate_thenANatRename_leftTheNatInPlace() {
    History.of(1L,
        new Step.CrashThenEdit(2, "reporting/nightly-report", Step.EditKind.RENAME_NAT, 0),
        new Step.Create(DIRECT_VPC, 0, "nightly-report")).assertHolds();
  }

  /**
   * Two creates GCP refused (a connector range another connector holds, a NAT) were retried each at
   * its own time, one error ceiling apart from its last try: the resource came back twice per
   * interval at rest. Refused changes of one resource are now retried together.
   */
  @Test
  void twoRefusedCreates_broughtTheResourceBackTwicePerInterval() {
    History.of(144L,
        new Step.Create("07-seed-proxy-without-no-proxy.yaml", 0, "my-agent-6-b"),
        new Step.Edit("platform-agents/my-agent-6-b", Step.EditKind.RENAME_ROUTER, 51),
        new Step.Edit("platform-agents/my-agent-6-b", Step.EditKind.RENAME_ROUTER, 63),
        new Step.Fault(Step.FaultKind.OUTAGE, 3),
        new Step.Edit("platform-agents/my-agent-6-b", Step.EditKind.REPLACE_CONNECTOR_RANGE, 94),
        new Step.CrashThenEdit(2, "platform-agents/my-agent-6-b", Step.EditKind.RENAME_NAT, 98),
        new Step.Create("01-seed-github-static-ip.yaml", 0, "my-agent-4-b")).assertHolds();
  }

  /**
   * Two resources named one connector with different settings; the second never claimed it
   * (SharedSpecConflict). Deleting the first released the connector "for the other one that uses
   * it", which never took it: it was left, nobody's, once the second was deleted too.
   */
  @Test
  void aConnectorSharedWithAResourceThatConflicts_wasReleasedToNobody() {
    History.of(399L,
        new Step.Create("06-seed-egress-diagnosis.yaml", 0, "my-agent-5-b"),
        new Step.Edit("platform-agents/my-agent-5-b", Step.EditKind.REPLACE_CONNECTOR_RANGE, 80),
        new Step.Create("07-seed-proxy-without-no-proxy.yaml", 0, "my-agent-6"),
        new Step.Delete("platform-agents/my-agent-5-b"),
        new Step.Delete("platform-agents/my-agent-6")).assertHolds();
  }

  /**
   * The same for a router: the resource that made it was deleted, and it was kept for another that
   * names it but had never claimed it (its NAT conflicted). That one then found a router marked by
   * a deleted resource (NotOwned), and once it dropped its NAT the router was nobody's.
   */
  @Test
  void aRouterKeptForAResourceThatNeverClaimedIt_wasNobodys() {
    History.of(529L,
        new Step.Create("07-seed-proxy-without-no-proxy.yaml", 0, "my-agent-6-b"),
        new Step.Edit("platform-agents/my-agent-6-b", Step.EditKind.SWITCH_CONNECTOR_AND_DIRECT_VPC, 35),
        new Step.Create("06-seed-egress-diagnosis.yaml", 0, "my-agent-5"),
        new Step.Delete("platform-agents/my-agent-6-b"),
        new Step.Edit("platform-agents/my-agent-5", Step.EditKind.TOGGLE_NAT, 48)).assertHolds();
  }

  /**
   * A probe run started just before a crash, under the old spec (egress through the NAT), whose
   * intent was dropped while the probe job was updated to the new one (no NAT, private ranges only),
   * was found after the restart as the latest execution and taken for the new spec's run: its
   * connect timeout stood as ProbeFailed although the new path was fine (seed 729). An execution
   * is now followed only if it started after its run was asked for, and for the key asked; an older
   * one still running is waited for, so the probe never runs twice at once.
   */
  @Test
  void aProbeRunStartedBeforeACrash_wasTakenForTheRunOfTheNewSpec() {
    History.of(729L,
        new Step.Create("06-seed-egress-diagnosis.yaml", 0, "my-agent-5"),
        new Step.CrashThenEdit(2, "platform-agents/my-agent-5", Step.EditKind.TOGGLE_EGRESS_MODE, 41),
        new Step.Edit("platform-agents/my-agent-5", Step.EditKind.TOGGLE_NAT, 65)).assertHolds();
  }

  /**
   * A resource renamed in Git while its NAT waited for an address someone else holds: the new name
   * named the same NAT but, NotOwned on the address, never claimed it, and the old name's deletion
   * waited for that claim for ever, polled every 5 seconds (seed 372). Only a resource not yet
   * reconciled is waited for; one held up elsewhere is not.
   */
  @Test
  void aRenameWhileTheNatWaitsForSomeoneElsesAddress_waitedForAClaimThatNeverCame() {
    History.of(372L,
        new Step.Create(SHARED, 0, "infra-plan-b"),
        new Step.Edit("platform-agents/infra-plan-b", Step.EditKind.RENAME_ADDRESS, 98),
        new Step.Rename("platform-agents/infra-plan-b", "infra-plan-b-r")).assertHolds();
  }

  /**
   * A connector whose create operation failed is left behind in ERROR, as GCP leaves it: it is
   * this resource's and is deleted with it. (Unconfirming every failed create, as a first version
   * of Ledger.unconfirm did, left it in place for ever: seed 196.)
   */
  @Test
  void aConnectorWhoseCreateFailed_isDeletedWithTheResource() {
    History.of(196L,
        new Step.Create(SEED_JOB, 0, "my-agent-4-c"),
        new Step.Fault(Step.FaultKind.FAILING_OPERATIONS, 3),
        new Step.Edit("platform-agents/my-agent-4-c", Step.EditKind.RENAME_CONNECTOR, 95),
        new Step.Delete("platform-agents/my-agent-4-c")).assertHolds();
  }

  // ---- a verdict ----

  /**
   * replacePolicy: Recreate is not implemented. Today this also spins (ReplacementRequired blocks
   * the connector, the job waits); once that is fixed, Ready=False ReplacementRequired still asks
   * for the replacePolicy: Recreate the spec already has.
   */
  @Test
  void replacePolicyRecreate_aNewRangeIsNeverApplied() {
    History.of(1L,
        new Step.Create(SEED_JOB, 0, "my-agent-4"),
        new Step.Edit(MY_AGENT_4, Step.EditKind.REPLACE_CONNECTOR_RANGE, 1)).assertHolds();
  }

  /** A job whose deployment GCP failed is reported as "JobFailed: not ready: <GCP's message>", with nothing for the user to do. */
  @Test
  void jobFailed_theVerdictNamesNoFix() {
    History.of(1L,
        new Step.Fault(Step.FaultKind.FAILING_OPERATIONS, 1),
        new Step.Create(EXISTING, 0, "ticket-triage")).assertHolds();
  }

  // ---- nothing unowned touched ----

  /**
   * status.connector.managed survives a rename of the connector: renamed onto someone else's
   * connector (team-conn), the resource takes it for its own and patches its instances to the spec.
   */
  @Test
  void staleManagedFlag_renamingOntoSomeoneElsesConnectorPatchesIt() {
    History.of(1L,
        new Step.Create(SHARED, 0, "infra-plan"),
        new Step.Create(SHARED, 1, "infra-apply"),
        new Step.Edit("platform-agents/infra-apply", Step.EditKind.RENAME_CONNECTOR, 4)).assertHolds();
  }

  /** The same stale flag: someone else's connector, with the settings the spec asks for, is deleted with the resource. */
  @Test
  void staleManagedFlag_deletingAfterARenameDeletesSomeoneElsesConnector() {
    History.of(1L,
        new Step.Create(SEED_JOB, 0, "my-agent-4"),
        new Step.Create(DIAGNOSIS, 0, "my-agent-5"),
        new Step.Edit("platform-agents/my-agent-5", Step.EditKind.RENAME_CONNECTOR, 4),
        new Step.Delete("platform-agents/my-agent-5")).assertHolds();
  }

  /** The operator deletes its router when only its NAT is on it, whatever else is: here someone else's BGP session. */
  @Test
  void routerWithSomeoneElsesBgpPeer_isDeletedWithTheResource() {
    History.of(1L,
        new Step.Create(SEED_JOB, 0, "my-agent-4"),
        new Step.OutOfBand(MY_AGENT_4, Step.OutOfBandKind.ADD_BGP_PEER),
        new Step.Delete(MY_AGENT_4)).assertHolds();
  }

  /** Histories the operator gets right today: the harness does not flag them. */
  @Nested
  class WhatHolds {
    /**
     * A router the operator made, which the spec then names with useExistingRouter: true, is handed
     * over (kept, no longer managed): the spec says it is the user's and its NAT stays on it.
     */
    @Test
    void aRouterTheOperatorMadeIsHandedOverWhenTheSpecMarksItExisting() {
      History.of(362L,
          new Step.Create(DIRECT_VPC, 0, "nightly-report-c"),
          new Step.Edit("reporting/nightly-report-c", Step.EditKind.RENAME_ROUTER, 90),
          new Step.Edit("reporting/nightly-report-c", Step.EditKind.TOGGLE_EXISTING_ROUTER, 25)).assertHolds();
    }

    @Test
    void aRenamedFirewallRuleIsReplaced() {
      History.of(1L,
          new Step.Create(SEED_JOB, 0, "my-agent-4"),
          new Step.Edit(MY_AGENT_4, Step.EditKind.RENAME_FIREWALL_RULE, 3)).assertHolds();
    }

    @Test
    void objectsChangedOrDeletedByHandAreRestored() {
      History.of(1L,
          new Step.Create(SEED_JOB, 0, "my-agent-4"),
          new Step.OutOfBand(MY_AGENT_4, Step.OutOfBandKind.DELETE_NAT),
          new Step.OutOfBand(MY_AGENT_4, Step.OutOfBandKind.DELETE_CONNECTOR),
          new Step.OutOfBand(MY_AGENT_4, Step.OutOfBandKind.DISABLE_FIREWALL_RULE),
          new Step.OutOfBand(MY_AGENT_4, Step.OutOfBandKind.CHANGE_JOB_IMAGE),
          new Step.OutOfBand(MY_AGENT_4, Step.OutOfBandKind.DELETE_JOB)).assertHolds();
    }

    @Test
    void aCrashBeforeAStatusWriteAndALostStatusWriteLeaveOneOfEverything() {
      History.of(1L,
          new Step.CrashAtStatusWrite(2),
          new Step.Create(DIAGNOSIS, 0, "my-agent-5"),
          new Step.LoseStatusWrite(2),
          new Step.Edit("platform-agents/my-agent-5", Step.EditKind.TOGGLE_PROBE, 0),
          new Step.LoseStatusWrite(1),
          new Step.Edit("platform-agents/my-agent-5", Step.EditKind.TOGGLE_PROBE, 0)).assertHolds();
    }

    @Test
    void aResourceDeletedUnderFaultsIsCleanedUp() {
      History.of(1L,
          new Step.Create(SEED_JOB, 0, "my-agent-4"),
          new Step.Fault(Step.FaultKind.OUTAGE, 1),
          new Step.Fault(Step.FaultKind.THROTTLING, 1),
          new Step.Delete(MY_AGENT_4)).assertHolds();
    }

    @Test
    void aSeedReplaysExactly() {
      Stats first = new Stats();
      Stats second = new Stats();
      History history = History.generate(7);
      History.Outcome one = history.run(first);
      History.Outcome other = history.run(second);
      assertThat(List.of(first.passes, first.gcpCalls, first.virtualSeconds, first.restarts))
          .isEqualTo(List.of(second.passes, second.gcpCalls, second.virtualSeconds, second.restarts));
      // Operation names are random in the fake, so messages may differ; what broke, and when, may not.
      assertThat(other.step()).isEqualTo(one.step());
      assertThat(String.valueOf(other.violation() == null ? null : other.violation().signature()))
          .isEqualTo(String.valueOf(one.violation() == null ? null : one.violation().signature()));
    }
  }
}
