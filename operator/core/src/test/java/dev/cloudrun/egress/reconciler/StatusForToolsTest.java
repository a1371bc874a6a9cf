package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.testing.StatusReaders.kstatus;
import static dev.cloudrun.egress.testing.StatusReaders.kubectlWaitConditionMet;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.ExecutionSpec;
import dev.cloudrun.egress.testing.ArgoCdHealth;
import dev.cloudrun.egress.testing.ArgoCdHealth.Health;
import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import dev.cloudrun.egress.testing.OptimisticLockingDispatcher;
import dev.cloudrun.egress.testing.StatusReaders;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The status the reconciler writes, read the way Argo CD (the chart's health.lua under LuaJ),
 * kstatus, {@code kubectl wait} and {@code kubectl get} read it. One resource goes through its
 * life once, every version the API server sends is recorded by a watch, and the tests read those
 * versions: created, first status, Ready, spec changed, stalled on a GCP error, being deleted.
 */
class StatusForToolsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NAMESPACE = "platform-agents";
  private static final Pattern CONDITION_REASON = Pattern.compile("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");

  private static final List<JsonNode> versions = new CopyOnWriteArrayList<>();
  private static JsonNode created;
  private static JsonNode ready;
  private static JsonNode ran;
  private static JsonNode specChanged;
  private static JsonNode stalled;
  private static JsonNode deleting;
  private static String egressIp;

  @BeforeAll
  static void liveOneLife() {
    // Status writes conflict on a stale resourceVersion, as in a cluster.
    try (OperatorHarness harness = new OperatorHarness(new OptimisticLockingDispatcher());
        Watch watch = harness.client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).watch(new Watcher<>() {
          @Override
          public void eventReceived(Action action, CloudRunEgressJob resource) {
            versions.add(json(resource));
          }

          @Override
          public void onClose(WatcherException cause) {}
        })) {
      harness.gcp.seedNetwork("myproject", "default");
      harness.start();
      CloudRunEgressJob cr = harness.applyExample("01-seed-github-static-ip.yaml").get(0);
      created = json(cr);
      ready = json(harness.awaitCondition(cr, Conditions.READY, "True"));
      egressIp = harness.gcp.address("myproject", "europe-west2", "github-egress-ip").orElseThrow().getAddress();

      // The user asks for a run and a schedule: the last run's phase and the next firing show.
      CloudRunEgressJob withRuns = harness.get(cr);
      ExecutionSpec execution = new ExecutionSpec();
      execution.setRunToken("v1");
      ExecutionSpec.ScheduleSpec schedule = new ExecutionSpec.ScheduleSpec();
      schedule.setCron("0 2 * * *");
      schedule.setTimeZone("Europe/London");
      schedule.setServiceAccount("scheduler-invoker@myproject.iam.gserviceaccount.com");
      execution.setSchedule(schedule);
      withRuns.getSpec().setExecution(execution);
      harness.client.resource(withRuns).update();
      ran = json(harness.await(cr, c -> c.getStatus() != null && c.getStatus().getExecution() != null
          && c.getStatus().getExecution().getLast() != null && "Succeeded".equals(c.getStatus().getExecution().getLast().getPhase())
          && c.getStatus().getExecution().getSchedule() != null && c.getStatus().getExecution().getSchedule().getNextRunTime() != null,
          Duration.ofSeconds(60)));

      // A user changes the spec: the API server's answer carries the new generation and the old status.
      CloudRunEgressJob edited = harness.get(cr);
      edited.getSpec().getJob().setMaxRetries(4);
      specChanged = json(harness.client.resource(edited).update());
      harness.awaitCondition(cr, Conditions.READY, "True");

      // GCP refuses to recreate a firewall rule deleted behind the operator's back.
      harness.gcp.faults().failNext("compute", "firewalls.insert", 1_000, 400);
      harness.gcp.compute().deleteFirewall("myproject", "crej-my-agent-4-deny-all");
      harness.client.resources(CloudRunEgressJob.class).inNamespace(NAMESPACE).withName("my-agent-4")
          .edit(c -> {
            c.getMetadata().getAnnotations().put(ReconcileTriggers.FORCE_RECONCILE, "after-drift");
            return c;
          });
      stalled = json(harness.awaitCondition(cr, Conditions.STALLED, "True"));
      harness.gcp.faults().clear();
      harness.awaitCondition(cr, Conditions.READY, "True");

      // Deletion waits on GCP refusing to delete the job.
      harness.gcp.faults().failNext("run", "jobs.delete", 1_000, 400);
      harness.client.resource(cr).delete();
      deleting = json(harness.await(cr, c -> c.getMetadata().getDeletionTimestamp() != null
          && OperatorHarness.hasCondition(c, Conditions.READY, "False")
          && OperatorHarness.condition(c, Conditions.READY).getReason().equals("DeleteFailed"), Duration.ofSeconds(30)));
      harness.gcp.faults().clear();
      harness.awaitGone(cr);
    }
  }

  @AfterAll
  static void forget() {
    versions.clear();
  }

  @Test
  void argoCdHealthFollowsTheResourcesLife() {
    assertThat(ArgoCdHealth.of(created)).isEqualTo(new Health("Progressing", "Waiting for the operator to reconcile generation 1"));
    assertThat(ArgoCdHealth.of(firstStatus()).status()).isEqualTo("Progressing");
    assertThat(ArgoCdHealth.of(firstStatus()).message()).isEqualTo(describe(firstStatus(), "Ready"));

    Health healthy = ArgoCdHealth.of(ready);
    assertThat(healthy.status()).isEqualTo("Healthy");
    assertThat(healthy.message()).startsWith("Ready: Every part is ready");

    assertThat(ArgoCdHealth.of(specChanged)).isEqualTo(new Health("Progressing", "Waiting for the operator to reconcile generation 3"));

    Health degraded = ArgoCdHealth.of(stalled);
    assertThat(degraded.status()).isEqualTo("Degraded");
    assertThat(degraded.message()).startsWith("GcpError: GCP refused a request").isEqualTo(describe(stalled, "Stalled"));

    Health beingDeleted = ArgoCdHealth.of(deleting);
    assertThat(beingDeleted.status()).isEqualTo("Progressing");
    assertThat(beingDeleted.message()).startsWith("Being deleted: the operator removes its GCP objects first (DeleteFailed: ");
  }

  @Test
  void argoCdHealthAgreesWithKstatusOnEveryVersion() {
    Map<String, String> argoFor = Map.of("InProgress", "Progressing", "Terminating", "Progressing", "Failed", "Degraded", "Current", "Healthy");
    Set<String> seen = new HashSet<>();
    for (JsonNode version : versions) {
      if (!version.has("status")) {
        continue; // kstatus calls a resource without conditions Current; the Lua check waits for the operator
      }
      String kstatus = kstatus(version);
      seen.add(kstatus);
      assertThat(ArgoCdHealth.of(version).status()).as("%s at %s", kstatus, version.at("/metadata/resourceVersion")).isEqualTo(argoFor.get(kstatus));
    }
    assertThat(seen).containsExactlyInAnyOrder("InProgress", "Current", "Failed", "Terminating");
  }

  @Test
  void kstatusSeesProgressFromTheFirstStatusOn() {
    // Ready and Reconciling exist from the first status write, so a new resource never looks finished.
    assertThat(kstatus(firstStatus())).isEqualTo("InProgress");
    assertThat(condition(firstStatus(), "Reconciling").path("status").asText()).isEqualTo("True");
    assertThat(kstatus(ready)).isEqualTo("Current");
    assertThat(kstatus(specChanged)).isEqualTo("InProgress");
    assertThat(kstatus(stalled)).isEqualTo("Failed");
    assertThat(kstatus(deleting)).isEqualTo("Terminating");
  }

  @Test
  void kubectlWaitForReadyIsMetOnlyWhenTheCurrentGenerationIsReady() {
    assertThat(kubectlWaitConditionMet(ready, "Ready", "True")).isTrue();
    assertThat(kubectlWaitConditionMet(ready, "ready", "true")).as("kubectl matches case-insensitively").isTrue();
    assertThat(kubectlWaitConditionMet(created, "Ready", "True")).isFalse();
    assertThat(kubectlWaitConditionMet(firstStatus(), "Ready", "True")).isFalse();
    assertThat(kubectlWaitConditionMet(firstStatus(), "Ready", "False")).isTrue();
    // Ready=True of generation 1 does not satisfy a wait on generation 2.
    assertThat(condition(specChanged, "Ready").path("status").asText()).isEqualTo("True");
    assertThat(kubectlWaitConditionMet(specChanged, "Ready", "True")).isFalse();
    assertThat(kubectlWaitConditionMet(stalled, "Ready", "True")).isFalse();
    assertThat(kubectlWaitConditionMet(stalled, "Stalled", "True")).isTrue();
  }

  @Test
  void everyStatusWrittenHasTheShapeToolsRelyOn() {
    List<JsonNode> withStatus = versions.stream().filter(v -> v.has("status")).toList();
    assertThat(withStatus).hasSizeGreaterThan(3);
    Map<String, String> lastTransition = new HashMap<>();
    Map<String, String> lastStatus = new HashMap<>();
    for (JsonNode version : withStatus) {
      long generation = version.at("/metadata/generation").asLong();
      JsonNode status = version.path("status");
      assertThat(status.path("observedGeneration").isIntegralNumber()).isTrue();
      assertThat(status.path("observedGeneration").asLong()).isBetween(1L, generation);
      Set<String> types = new HashSet<>();
      for (JsonNode condition : status.path("conditions")) {
        String type = condition.path("type").asText();
        assertThat(types.add(type)).as("one condition of type %s", type).isTrue();
        assertThat(condition.path("status").asText()).isIn("True", "False", "Unknown");
        assertThat(condition.path("reason").asText()).matches(CONDITION_REASON);
        assertThat(condition.path("message").isTextual()).isTrue();
        assertThat(condition.path("observedGeneration").asLong()).isBetween(1L, generation);
        String transition = condition.path("lastTransitionTime").asText();
        assertThat(OffsetDateTime.parse(transition)).isNotNull();
        // lastTransitionTime moves only when the status does (no flapping for watchers).
        if (condition.path("status").asText().equals(lastStatus.get(type))) {
          assertThat(transition).as("%s kept its status", type).isEqualTo(lastTransition.get(type));
        }
        lastStatus.put(type, condition.path("status").asText());
        lastTransition.put(type, transition);
      }
      assertThat(types).contains("Ready", "Reconciling", "Stalled");
    }
  }

  @Test
  void kubectlGetShowsEveryColumnWithRealValues() {
    JsonNode crdVersion = Manifests.readOne(Manifests.projectRoot().resolve("charts/cloudrun-egress-operator/crds").resolve(Crds.CLOUD_RUN_EGRESS_JOB_FILE))
        .at("/spec/versions/0");
    Map<String, String> columns = StatusReaders.printerColumns(crdVersion, ready);
    assertThat(columns.keySet()).containsExactly("Region", "Egress", "Egress-IP", "Metadata", "Ready", "Reason", "Last-Run", "Next-Run", "Age");
    assertThat(columns).containsEntry("Last-Run", "<none>").containsEntry("Next-Run", "<none>");
    assertThat(StatusReaders.printerColumns(crdVersion, ran)).containsEntry("Last-Run", "Succeeded")
        .hasEntrySatisfying("Next-Run", next -> assertThat(java.time.Instant.parse(next)).isAfter(java.time.Instant.parse(ran.at("/metadata/creationTimestamp").asText())));
    assertThat(columns).containsEntry("Region", "europe-west2")
        .containsEntry("Egress", "AllTraffic")
        .containsEntry("Egress-IP", egressIp)
        .containsEntry("Ready", "True")
        .containsEntry("Reason", "Ready")
        .containsEntry("Age", ready.at("/metadata/creationTimestamp").asText());
    JsonNode metadataReachable = condition(ready, "MetadataReachable");
    assertThat(columns.get("Metadata")).isEqualTo(metadataReachable.isMissingNode() ? "<none>" : metadataReachable.path("status").asText());
    assertThat(egressIp).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");

    Map<String, String> stalledColumns = StatusReaders.printerColumns(crdVersion, stalled);
    assertThat(stalledColumns).containsEntry("Ready", "False").containsEntry("Reason", "GcpError");
    assertThat(StatusReaders.printerColumns(crdVersion, created))
        .containsEntry("Region", "europe-west2").containsEntry("Egress-IP", "<none>").containsEntry("Ready", "<none>");
  }

  private static JsonNode firstStatus() {
    return versions.stream().filter(v -> v.has("status")).findFirst().orElseThrow();
  }

  private static JsonNode condition(JsonNode resource, String type) {
    for (JsonNode condition : resource.at("/status/conditions")) {
      if (type.equals(condition.path("type").asText())) {
        return condition;
      }
    }
    return MissingNode.getInstance();
  }

  private static String describe(JsonNode resource, String type) {
    JsonNode condition = condition(resource, type);
    return condition.path("reason").asText() + ": " + condition.path("message").asText();
  }

  private static JsonNode json(CloudRunEgressJob resource) {
    try {
      return JSON.readTree(Serialization.asJson(resource));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
