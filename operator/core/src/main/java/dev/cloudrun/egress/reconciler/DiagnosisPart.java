package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.CheckStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.DiagnosisStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ProbeResult;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ProbeStatus;
import dev.cloudrun.egress.api.v1alpha1.DiagnosisSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.diagnosis.PathPredictor;
import dev.cloudrun.egress.diagnosis.Prediction;
import dev.cloudrun.egress.diagnosis.ProbeExitCode;
import dev.cloudrun.egress.diagnosis.ProxySettings;
import dev.cloudrun.egress.gcp.GcpErrors;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The egress diagnosis: predicts every check's path from the spec and what this pass observed
 * (no GCP call of its own, except the region's subnets when a private IP must be routed and the
 * NAT router's status when the probe checks the IPs of a NAT the operator did not reserve), runs the
 * probe when it is on, and sets MetadataReachable and EgressReachable from both. A probe failure
 * overrules a positive prediction (ProbeFailed); a passing probe overrules only a negative
 * prediction the operator could not be sure of.
 */
final class DiagnosisPart {
  static final String VERIFIED = "Verified";
  static final String PROBE_FAILED = "ProbeFailed";

  private DiagnosisPart() {}

  /**
   * The verdict for Ready (ready when both conditions are True; blocked when one is False and the
   * other parts are done, since an unfinished part often explains it), and when to look again.
   */
  record Outcome(PartResult result, boolean probeRunning, Instant nextProbe, boolean probeRefused) {}

  static Outcome reconcile(Pass pass, PartResult connector, AddressPart.Addresses addresses, boolean partsReady) {
    CloudRunEgressJobSpec spec = pass.cr.getSpec();
    List<Prediction> predictions = PathPredictor.predict(spec, observe(pass, addresses));
    DiagnosisStatus status = new DiagnosisStatus();
    status.setChecks(predictions.stream().map(DiagnosisPart::checkStatus).collect(Collectors.toList()));
    ProbeStatus previous = pass.status.getDiagnosis() == null ? null : pass.status.getDiagnosis().getProbe();
    ProbeJobPart.Run run = probe(pass, connector, predictions, previous);
    status.setProbe(run == null ? null : run.status());
    pass.status.setDiagnosis(status);

    String key = key(spec, predictions);
    Map<String, Integer> exitCodes = run == null || !key.equals(run.status().getSpecHash()) || run.status().getCompletionTime() == null
        ? Map.of() : run.status().getResults().stream().collect(Collectors.toMap(ProbeResult::getName, ProbeResult::getExitCode, (a, b) -> a));
    PartResult metadata = verdict(predictions.subList(0, 1), exitCodes, "");
    PartResult egress = verdict(predictions.subList(1, predictions.size()), exitCodes,
        "No destinations are declared in spec.diagnosis.destinations: only the metadata server is checked.");
    long generation = pass.cr.getMetadata().getGeneration() == null ? 0 : pass.cr.getMetadata().getGeneration();
    Conditions.set(pass.status.getConditions(), Conditions.METADATA_REACHABLE, metadata, generation, pass.now);
    Conditions.set(pass.status.getConditions(), Conditions.EGRESS_REACHABLE, egress, generation, pass.now);

    PartResult failing = !metadata.isReady() ? metadata : !egress.isReady() ? egress : null;
    PartResult result = failing == null ? PartResult.ready("Reachable", "The metadata server and every declared destination are reachable.")
        : partsReady ? PartResult.blocked(failing.reason(), failing.message()) : PartResult.progressing(failing.reason(), failing.message());
    return new Outcome(result, run != null && run.running(), run == null ? null : run.nextRun(), run != null && run.refused());
  }

  /**
   * The probe, or null when it is off (its job is then deleted from the ledger, {@link Release}). GCP's refusal is reported in
   * status, not thrown; anything else (throttling, a failure of the operator itself) fails the pass.
   */
  private static ProbeJobPart.Run probe(Pass pass, PartResult connector, List<Prediction> predictions, ProbeStatus previous) {
    CloudRunEgressJobSpec spec = pass.cr.getSpec();
    if (spec.getDiagnosis() == null || spec.getDiagnosis().getProbe() == null || !spec.getDiagnosis().getProbe().getEnabled()) {
      return null;
    }
    List<String> names = predictions.stream().map(Prediction::name).toList();
    List<String> checks = predictions.stream().map(Prediction::probeCheck).toList();
    try {
      return ProbeJobPart.reconcile(pass, connector, names, checks, key(spec, predictions), previous);
    } catch (RuntimeException e) {
      if (GcpErrors.isTransient(e) || !GcpErrors.isGcpError(e)) {
        throw e;
      }
      pass.keep(ProbeJobPart.PART);
      pass.keep(ProbeJobPart.RUN);
      ProbeStatus status = previous != null ? previous : new ProbeStatus();
      status.setMessage("GCP refused a request of the probe: " + GcpErrors.describe(e) + ". The conditions rest on the prediction alone.");
      pass.services.events().warning(pass.cr, "ProbeError", status.getMessage());
      // Retried at the error ceiling, like any refused request (the reconciler sees refused).
      return new ProbeJobPart.Run(status, false, null, true);
    }
  }

  /**
   * The first failing check decides the condition, one the probe saw fail before one it could not
   * see; a probe that ran for these predictions and passed makes it Verified.
   */
  private static PartResult verdict(List<Prediction> checks, Map<String, Integer> exitCodes, String whenEmpty) {
    List<Prediction> probeFailedFirst = checks.stream()
        .sorted(java.util.Comparator.comparing((Prediction c) -> exitCodes.getOrDefault(c.name(), 0) == 0)).toList();
    for (Prediction check : probeFailedFirst) {
      Integer code = exitCodes.get(check.name());
      boolean probePassed = code != null && code == 0;
      if (!check.reachable() && !(probePassed && !check.certain())) {
        String confirmed = code == null ? "" : probePassed ? " (The probe's check passed, but it cannot see this.)"
            : " The probe confirms it: check " + check.name() + " exited " + code + ", " + ProbeExitCode.meaning(code) + ".";
        return PartResult.blocked(check.reason(), check.name() + ": " + check.message() + confirmed);
      }
      if (code != null && code != 0) {
        return PartResult.blocked(PROBE_FAILED, "The probe's check " + check.name() + " exited " + code + ": " + ProbeExitCode.meaning(code)
            + ". Predicted path: " + check.path() + "; something the operator does not observe (DNS, routes, the destination itself) stops it.");
      }
    }
    if (checks.isEmpty()) {
      return PartResult.ready(Prediction.PREDICTED, whenEmpty);
    }
    String summary = checks.stream().map(c -> c.name() + " via " + c.path()).collect(Collectors.joining("; "));
    return exitCodes.isEmpty()
        ? PartResult.ready(Prediction.PREDICTED, "Predicted reachable: " + summary + ".")
        : PartResult.ready(VERIFIED, "Verified by the probe: " + summary + ".");
  }

  /** Everything a pass already observed (shared inventory lists), plus the region's subnets and the NAT's IPs when needed. */
  private static PathPredictor.Observed observe(Pass pass, AddressPart.Addresses addresses) {
    Targets t = pass.targets;
    CloudRunEgressJobSpec spec = pass.cr.getSpec();
    Connector connector = spec.getEgress().getConnector() == null ? null
        : ConnectorPart.KIND.observe(pass, t.connectorPath());
    Collection<Subnetwork> subnetworks = PathPredictor.needsSubnetworks(spec)
        ? pass.inventory.subnetworks(t.networkProject(), t.region()).values() : null;
    Map<String, Router> routers = pass.inventory.routers(t.networkProject(), t.region());
    return new PathPredictor.Observed(t.networkName(), t.connectorTag(), connector, routers.values(),
        pass.inventory.firewalls(t.networkProject()).values(), subnetworks, natIps(pass, addresses, routers));
  }

  /**
   * The IPs spec.egress.nat translates to, for the probe's egress-IP check: the static addresses
   * the operator reserved, or for an Auto NAT (which includes every existing one, whatever it
   * uses) those its router's status shows, read only when the probe checks them. Empty when unknown.
   */
  private static List<String> natIps(Pass pass, AddressPart.Addresses addresses, Map<String, Router> routers) {
    NatSpec nat = pass.cr.getSpec().getEgress().getNat();
    if (nat == null || nat.getIpAllocation() == NatSpec.IpAllocation.Static) {
      return addresses.ips();
    }
    DiagnosisSpec diagnosis = pass.cr.getSpec().getDiagnosis();
    DiagnosisSpec.ProbeSpec probe = diagnosis == null ? null : diagnosis.getProbe();
    Router router = routers.get(nat.getRouter());
    if (probe == null || !probe.getEnabled() || probe.getEgressIpEchoUrl() == null
        || router == null || router.getNatsList().stream().noneMatch(n -> n.getName().equals(nat.getName()))) {
      return List.of();
    }
    return pass.inventory.routerStatus(pass.targets.networkProject(), pass.targets.region(), router).getNatStatusList().stream()
        .filter(s -> s.getName().equals(nat.getName()))
        .flatMap(s -> Stream.concat(s.getUserAllocatedNatIpsList().stream(), s.getAutoAllocatedNatIpsList().stream()))
        .toList();
  }

  /**
   * What the probe's result depends on: the network-relevant spec (egress, diagnosis, identity,
   * proxy variables) and the predicted paths, so a change of either (including one observed in
   * GCP, such as a connector going into ERROR) starts a new run.
   */
  static String key(CloudRunEgressJobSpec spec, List<Prediction> predictions) {
    StringBuilder text = new StringBuilder()
        .append(spec.getEgress()).append('|').append(spec.getDiagnosis()).append('|')
        .append(spec.getJob().getServiceAccount()).append('|').append(spec.getJob().getEncryptionKey()).append('|');
    CloudRunJobPart.environment(spec.getJob(), ProxySettings.NAMES::contains).forEach(e -> text.append(e).append('|'));
    predictions.forEach(p -> text.append(p.probeCheck()).append(p.path()).append(p.reachable()).append(p.reason()).append('|'));
    return Targets.sha256(text.toString()).substring(0, 16);
  }

  private static CheckStatus checkStatus(Prediction prediction) {
    CheckStatus check = new CheckStatus();
    check.setName(prediction.name());
    check.setPath(prediction.path());
    check.setReachable(prediction.reachable());
    check.setReason(prediction.reason());
    check.setMessage(prediction.message());
    return check;
  }
}
