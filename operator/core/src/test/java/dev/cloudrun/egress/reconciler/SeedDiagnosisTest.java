package dev.cloudrun.egress.reconciler;

import static dev.cloudrun.egress.reconciler.OperatorHarness.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.TaskTemplate;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ProbeResult;
import dev.cloudrun.egress.testing.Manifests;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The users' failure, end to end: the seed job behind a Squid proxy without NO_PROXY is reported
 * with the proxy as the cause before it runs, the probe confirms it, and the fixed configuration
 * (examples/06) reports both conditions True, verified by the probe.
 */
class SeedDiagnosisTest {
  /** The job of example 07 (behind the proxy), whose spec is then fixed with example 06's. */
  private static final String JOB = "projects/myproject/locations/europe-west2/jobs/my-agent-6";
  private static final String PROBE = JOB + "-egress-probe";
  /** The probe job of example 06 applied as it is. */
  private static final String FIXED_PROBE = "projects/myproject/locations/europe-west2/jobs/my-agent-5-egress-probe";
  private OperatorHarness harness;

  @BeforeEach
  void network() {
    harness = new OperatorHarness();
    harness.gcp.seedNetwork("myproject", "default");
    harness.gcp.seedSubnetwork("myproject", "europe-west2", "corp-tools", "default", "10.20.0.0/16");
    harness.gcp.run().egressProbe().resolve("github.com", "140.82.112.3").resolve("nexus.corp.internal", "10.20.4.10");
    harness.start();
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void proxyWithoutNoProxyIsTheCauseAndTheFixIsVerified() throws IOException {
    CloudRunEgressJob cr = harness.applyExample("07-seed-proxy-without-no-proxy.yaml").get(0);
    cr = harness.await(cr, r -> OperatorHarness.hasCondition(r, Conditions.METADATA_REACHABLE, "False")
        && condition(r, Conditions.METADATA_REACHABLE).getMessage().contains("The probe confirms it: check metadata exited 10"), Duration.ofSeconds(60));
    assertThat(condition(cr, Conditions.METADATA_REACHABLE).getReason()).isEqualTo("ProxyIntercepts");
    assertThat(condition(cr, Conditions.METADATA_REACHABLE).getMessage())
        .contains("HTTP_PROXY", "no NO_PROXY is set", "metadata.google.internal,169.254.169.254");
    assertThat(condition(cr, Conditions.READY).getStatus()).isEqualTo("False");
    assertThat(condition(cr, Conditions.READY).getReason()).isEqualTo("ProxyIntercepts");
    assertThat(condition(cr, Conditions.EGRESS_REACHABLE).getStatus()).as("the network path itself is right").isEqualTo("True");
    assertThat(cr.getStatus().getDiagnosis().getProbe().getResults()).filteredOn(r -> r.getName().equals("metadata"))
        .singleElement().satisfies(r -> assertThat(r.getMeaning()).startsWith("a proxy answered instead of the metadata server"));

    // The probe job: the job's egress, identity and proxy variables, one task per check, none of the job's own work.
    Job job = harness.gcp.job(JOB).orElseThrow();
    Job probe = harness.gcp.job(PROBE).orElseThrow();
    TaskTemplate probeTask = probe.getTemplate().getTemplate();
    assertThat(probeTask.getVpcAccess()).isEqualTo(job.getTemplate().getTemplate().getVpcAccess());
    assertThat(probeTask.getServiceAccount()).isEqualTo("mgmt@myproject.iam.gserviceaccount.com");
    assertThat(probe.getTemplate().getTaskCount()).isEqualTo(5);
    Container container = probeTask.getContainers(0);
    assertThat(container.getImage()).isEqualTo("docker.io/curlimages/curl:8.11.1");
    assertThat(container.getCommandList()).containsExactly("sh", "-c", ProbeJobPart.SCRIPT);
    assertThat(container.getArgsList()).containsExactly("egress-probe", "metadata", "dest:github.com:443", "dest:140.82.112.3:22",
        "dest:nexus.corp.internal:443", "dest:10.20.5.20:443");
    assertThat(container.getEnvList()).extracting(EnvVar::getName).containsExactly("HTTPS_PROXY", "HTTP_PROXY", "PROBE_TIMEOUT");

    CloudRunEgressJob fixed = Serialization.unmarshal(
        Files.readString(Manifests.projectRoot().resolve("examples/06-seed-egress-diagnosis.yaml")), CloudRunEgressJob.class);
    CloudRunEgressJob current = harness.get(cr);
    current.setSpec(fixed.getSpec());
    cr = harness.client.resource(current).update();
    CloudRunEgressJob verified = harness.await(cr, r -> OperatorHarness.hasCondition(r, Conditions.METADATA_REACHABLE, "True")
        && OperatorHarness.hasCondition(r, Conditions.EGRESS_REACHABLE, "True")
        && condition(r, Conditions.METADATA_REACHABLE).getReason().equals(DiagnosisPart.VERIFIED)
        && condition(r, Conditions.EGRESS_REACHABLE).getReason().equals(DiagnosisPart.VERIFIED)
        && OperatorHarness.hasCondition(r, Conditions.READY, "True"), Duration.ofSeconds(60));
    assertThat(verified.getStatus().getDiagnosis().getProbe().getResults()).extracting(ProbeResult::getExitCode).containsOnly(0);
    assertThat(verified.getStatus().getDiagnosis().getProbe().getResults()).hasSize(5);
    assertThat(verified.getStatus().getDiagnosis().getChecks()).filteredOn(c -> c.getName().equals("github.com:443")).singleElement()
        .satisfies(c -> assertThat(c.getPath()).contains("Cloud NAT egress-nat", verified.getStatus().getEgressIPs().get(0)));
    assertThat(harness.gcp.job(PROBE).orElseThrow().getTemplate().getTemplate().getContainers(0).getEnvList()).extracting(EnvVar::getName)
        .containsExactly("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "no_proxy", "PROBE_TIMEOUT");
    assertThat(harness.gcp.calls().count("compute", "routers.getRouterStatus"))
        .as("the static NAT's IPs are known from its addresses, and no echo URL asks for them anyway").isZero();

    harness.client.resource(verified).delete();
    harness.awaitGone(verified);
    assertThat(harness.gcp.job(PROBE)).as("the probe job is deleted with the resource").isEmpty();
  }

  @Test
  void turningTheProbeOffDeletesItsJob() {
    CloudRunEgressJob cr = harness.applyExample("06-seed-egress-diagnosis.yaml").get(0);
    cr = harness.await(cr, r -> OperatorHarness.hasCondition(r, Conditions.EGRESS_REACHABLE, "True")
        && condition(r, Conditions.EGRESS_REACHABLE).getReason().equals(DiagnosisPart.VERIFIED), Duration.ofSeconds(60));
    assertThat(harness.gcp.job(FIXED_PROBE)).isPresent();

    CloudRunEgressJob current = harness.get(cr);
    current.getSpec().getDiagnosis().getProbe().setEnabled(false);
    cr = harness.client.resource(current).update();
    cr = harness.await(cr, r -> OperatorHarness.hasCondition(r, Conditions.EGRESS_REACHABLE, "True")
        && condition(r, Conditions.EGRESS_REACHABLE).getReason().equals("Predicted"), Duration.ofSeconds(60));
    harness.await(cr, r -> harness.gcp.job(FIXED_PROBE).isEmpty(), Duration.ofSeconds(30));
    assertThat(harness.get(cr).getStatus().getDiagnosis().getProbe()).isNull();
  }
}
