package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import dev.cloudrun.egress.api.v1alpha1.DiagnosisSpec;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Restarts mid-operation, throttling and outages, and errors that retrying cannot fix. */
class ResilienceTest {
  private static final String CONNECTOR = "projects/myproject/locations/europe-west2/connectors/vpc-conn-europe";
  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.withExampleNetwork();
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void anOperatorRestartedMidCreateResumesTheOperationInsteadOfStartingAnother() {
    CloudRunEgressJob seed = harness.applyExample("01-seed-github-static-ip.yaml").get(0);
    harness.await(seed, c -> connectorOperation(c).map(o -> !o.getName().isEmpty()).orElse(false), Duration.ofSeconds(30));
    harness.stop();
    assertThat(harness.gcp.connector(CONNECTOR).orElseThrow().getState()).isEqualTo(Connector.State.CREATING);

    harness.start();
    harness.awaitCondition(seed, Conditions.READY, "True");
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.create")).isEqualTo(1);
  }

  @Test
  void aCrashBetweenStartingACreateAndRecordingItStillLeavesOneConnector() {
    // The create call is slow, so the process dies after GCP accepted it but before status says so.
    harness.gcp.faults().delay("vpcaccess", "connectors.create", Duration.ofMillis(1500));
    CloudRunEgressJob seed = harness.applyExample("01-seed-github-static-ip.yaml").get(0);
    harness.await(seed, c -> connectorOperation(c).isPresent(), Duration.ofSeconds(30));
    OperatorHarness.sleep(500);
    harness.crash();
    OperatorHarness.sleep(1500);
    assertThat(harness.gcp.connector(CONNECTOR)).isPresent();
    assertThat(connectorOperation(harness.get(seed)).orElseThrow().getName()).as("the operation name never reached status").isEmpty();

    harness.gcp.faults().clear();
    harness.start();
    CloudRunEgressJob ready = harness.awaitCondition(seed, Conditions.READY, "True");
    // The second create was answered 409 and the connector found is recognised as ours by the recorded intent.
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.create", 200)).isEqualTo(1);
    assertThat(harness.gcpClients.connectors.listConnectors("projects/myproject/locations/europe-west2").iterateAll()).hasSize(1);
    assertThat(ready.getStatus().getOwned()).as("the connector is recorded as created by this resource")
        .anyMatch(o -> o.getKind().equals("connector") && o.getName().equals(CONNECTOR) && o.getState().equals("Created"));
  }

  @Test
  void throttlingAndOutagesAreRetriedUntilEverythingConverges() {
    for (String api : new String[] {"vpcaccess", "compute", "run"}) {
      harness.gcp.faults().errorRate(api, "*", 0.1, 429, 503);
    }
    CloudRunEgressJob seed = harness.applyExample("01-seed-github-static-ip.yaml").get(0);
    CloudRunEgressJob ready = harness.await(seed, c -> OperatorHarness.hasCondition(c, Conditions.READY, "True"), Duration.ofSeconds(120));
    assertThat(harness.gcp.calls().failures()).as("faults were injected").isPositive();
    assertThat(harness.gcp.calls().count("vpcaccess", "connectors.create", 200)).isEqualTo(1);
    assertThat(harness.gcp.calls().count("compute", "routers.insert", 200)).isEqualTo(1);
    assertThat(harness.gcp.calls().count("run", "jobs.create", 200)).isEqualTo(1);
    assertThat(ready.getStatus().getEgressIPs()).hasSize(1);
  }

  @Test
  void aPermanentErrorIsReportedInTheConditionAndNotRetriedInAHotLoop() {
    harness.gcp.faults().errorRate("compute", "firewalls.insert", 1.0, 400);
    CloudRunEgressJob seed = harness.applyExample("01-seed-github-static-ip.yaml").get(0);
    CloudRunEgressJob stalled = harness.await(seed, c -> c.getStatus() != null && "GcpError".equals(condition(c, Conditions.READY).getReason()), Duration.ofSeconds(30));
    assertThat(condition(stalled, Conditions.READY).getMessage()).contains("Injected fault 400").contains("retries every");
    assertThat(condition(stalled, Conditions.STALLED).getStatus()).isEqualTo("True");
    // The refusal is the firewall's alone: the other parts go on.
    assertThat(condition(stalled, Conditions.FIREWALL_READY).getReason()).isEqualTo("GcpError");
    assertThat(condition(stalled, Conditions.CONNECTOR_READY).getReason()).isNotEqualTo("GcpError");
    assertThat(condition(stalled, Conditions.NAT_READY).getReason()).isNotEqualTo("GcpError");

    long before = harness.gcp.calls().count("compute", "firewalls.insert");
    OperatorHarness.sleep(6_000); // three error ceilings in this harness (2 s)
    long during = harness.gcp.calls().count("compute", "firewalls.insert") - before;
    // Each of the four rules is a change of its own, refused and tried again once per error ceiling:
    // at most four tries each in 6 s (a hot loop would make hundreds).
    assertThat(during).as("firewalls.insert calls in 6 s").isBetween(1L, 4L * 4);

    harness.gcp.faults().clear();
    harness.awaitCondition(seed, Conditions.READY, "True");
  }

  @Test
  void aProbeJobGcpRefusesIsRetriedAtTheCeilingOnly() {
    CloudRunEgressJob seed = harness.applyAndAwaitReady("01-seed-github-static-ip.yaml");
    harness.gcp.faults().errorRate("run", "jobs.create", 1.0, 400);
    CloudRunEgressJob current = harness.get(seed);
    DiagnosisSpec diagnosis = new DiagnosisSpec();
    diagnosis.setProbe(new DiagnosisSpec.ProbeSpec());
    diagnosis.getProbe().setEnabled(true);
    current.getSpec().setDiagnosis(diagnosis);
    harness.client.resource(current).update();

    OperatorHarness.sleep(6_000); // three error ceilings in this harness (2 s)
    assertThat(harness.gcp.calls().count("run", "jobs.create")).as("jobs.create calls for the probe in 6 s").isBetween(1L, 5L);
    assertThat(harness.get(seed).getStatus().getDiagnosis().getProbe().getMessage()).contains("Injected fault 400");
  }

  /**
   * Issue 12, a probe run started before it is recorded: the status write that records the run
   * loses to another writer (409, the status changed meanwhile, so the pass runs again on the
   * other writer's version), and the next pass must find the execution it started instead of
   * starting a second one. A crash between jobs.run and the write loses it the same way.
   */
  @Test
  void probeRunStartedBeforeRecorded_aLostStatusWriteDoesNotStartASecondRun() {
    CloudRunEgressJob probed = OperatorHarness.readExample("06-seed-egress-diagnosis.yaml").get(0);
    harness.loseNextStatusWrite(probed, c -> c.getStatus().getDiagnosis() != null && c.getStatus().getDiagnosis().getProbe() != null
        && c.getStatus().getDiagnosis().getProbe().getExecution() != null);
    probed = harness.client.resource(probed).create();

    CloudRunEgressJob done = harness.await(probed, c -> c.getStatus() != null && c.getStatus().getDiagnosis() != null
        && c.getStatus().getDiagnosis().getProbe() != null && c.getStatus().getDiagnosis().getProbe().getCompletionTime() != null,
        Duration.ofSeconds(60));
    OperatorHarness.sleep(500);
    assertThat(harness.gcp.calls().count("run", "jobs.run")).as("probe executions started").isEqualTo(1);
    String job = done.getStatus().getDiagnosis().getProbe().getJob();
    assertThat(done.getStatus().getDiagnosis().getProbe().getExecution())
        .isEqualTo(job + "/executions/" + harness.gcp.job(job).orElseThrow().getLatestCreatedExecution().getName());
  }

  /**
   * Issue 12, non-GCP exceptions in DiagnosisPart reported as "GCP refused": a failure of the
   * operator itself (here a probe timeout the CRD would have refused, which the mock API accepts)
   * fails the pass, reported as ReconcileFailed and retried with backoff.
   */
  @Test
  void diagnosisBugIsReconcileFailedNotGcpRefused() {
    CloudRunEgressJob seed = OperatorHarness.readExample("01-seed-github-static-ip.yaml").get(0);
    DiagnosisSpec diagnosis = new DiagnosisSpec();
    diagnosis.setProbe(new DiagnosisSpec.ProbeSpec());
    diagnosis.getProbe().setEnabled(true);
    diagnosis.getProbe().setTimeout("ten seconds");
    seed.getSpec().setDiagnosis(diagnosis);
    seed = harness.client.resource(seed).create();

    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (warnings().stream().noneMatch(m -> m.contains("not a duration: ten seconds")) && System.nanoTime() < deadline) {
      OperatorHarness.sleep(50);
    }
    assertThat(warnings()).anyMatch(m -> m.startsWith("ReconcileFailed: ") && m.contains("not a duration: ten seconds"));
    assertThat(warnings()).noneMatch(m -> m.contains("GCP refused"));
    CloudRunEgressJob current = harness.get(seed);
    assertThat(current.getStatus() == null || current.getStatus().getDiagnosis() == null || current.getStatus().getDiagnosis().getProbe() == null
        || current.getStatus().getDiagnosis().getProbe().getMessage() == null
        || !current.getStatus().getDiagnosis().getProbe().getMessage().contains("GCP refused")).isTrue();
  }

  private java.util.List<String> warnings() {
    return harness.client.v1().events().inNamespace("platform-agents").list().getItems().stream()
        .filter(e -> "Warning".equals(e.getType())).map(e -> e.getReason() + ": " + e.getMessage()).toList();
  }

  private static Optional<OperationStatus> connectorOperation(CloudRunEgressJob cr) {
    return cr.getStatus() == null ? Optional.empty()
        : cr.getStatus().getOperations().stream().filter(o -> o.getPart().equals("connector") && o.getAction().equals("create")).findFirst();
  }
}
