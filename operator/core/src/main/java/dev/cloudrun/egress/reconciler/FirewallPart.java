package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.DeleteFirewallRequest;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.InsertFirewallRequest;
import com.google.cloud.compute.v1.PatchFirewallRequest;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.FirewallStatus;
import dev.cloudrun.egress.api.v1alpha1.FirewallSpec;
import dev.cloudrun.egress.gcp.Operations;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The EGRESS firewall rules: one allow rule per spec.egress.firewall.allow entry and, with
 * leastPrivilege, a deny-all below them (with a connector, also an allow that keeps the connector's
 * path to Google's serverless infrastructure open above the deny); all target the job's network
 * tag. Rules the spec no longer lists are deleted from the ledger ({@link Release}).
 */
final class FirewallPart {
  static final String PART = "firewall";
  /**
   * Google's serverless infrastructure and the ports a connector needs to it: Google's
   * {@code vpc-connector-to-serverless} and the implicit {@code aet-...-earfw} (docs/gcp-fidelity.md 3a, 3b).
   */
  static final String SERVERLESS_RANGE = "35.199.224.0/19";

  private FirewallPart() {}

  static Map<String, Firewall> desired(Pass pass) {
    FirewallSpec spec = pass.cr.getSpec().getEgress().getFirewall();
    Map<String, Firewall> rules = new LinkedHashMap<>();
    if (spec == null) {
      return rules;
    }
    List<String> tags = targetTags(pass);
    for (FirewallSpec.AllowRule allow : spec.getAllow() == null ? List.<FirewallSpec.AllowRule>of() : spec.getAllow()) {
      String name = pass.targets.allowRuleName(allow);
      Allowed.Builder allowed = Allowed.newBuilder().setIPProtocol(protocol(allow.getProtocol()));
      if (allow.getPorts() != null) {
        allowed.addAllPorts(allow.getPorts());
      }
      rules.put(name, base(pass, name, spec.getAllowPriority(), tags)
          .addAllDestinationRanges(allow.getDestinationRanges())
          .addAllowed(allowed)
          .build());
    }
    if (spec.getLeastPrivilege() && pass.cr.getSpec().getEgress().getConnector() != null) {
      // The deny would otherwise beat the connector's own rule (the Shared VPC admin's at 1000, or
      // the implicit one at 100 with denyPriority <= 100) and cut it off (ledger 3b).
      String name = pass.targets.serverlessRuleName();
      rules.put(name, base(pass, name, spec.getAllowPriority(), tags)
          .addDestinationRanges(SERVERLESS_RANGE)
          .addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("667"))
          .addAllowed(Allowed.newBuilder().setIPProtocol("udp").addPorts("665-666"))
          .addAllowed(Allowed.newBuilder().setIPProtocol("icmp"))
          .build());
    }
    if (spec.getLeastPrivilege()) {
      String name = pass.targets.denyRuleName();
      rules.put(name, base(pass, name, spec.getDenyPriority(), tags)
          .addDestinationRanges("0.0.0.0/0")
          .addDenied(Denied.newBuilder().setIPProtocol("all"))
          .build());
    }
    return rules;
  }

  private static Firewall.Builder base(Pass pass, String name, int priority, List<String> tags) {
    return Firewall.newBuilder()
        .setName(name)
        .setNetwork(pass.targets.networkPath())
        .setDescription(Ownership.description(pass.cr))
        .setDirection("EGRESS")
        .setPriority(priority)
        .setDisabled(false) // sent, so a patch re-enables a rule disabled out of band (ledger row 2: merge patch)
        .addAllTargetTags(tags);
  }

  /** The connector's unique tag, or the Direct VPC network tags. */
  static List<String> targetTags(Pass pass) {
    if (pass.cr.getSpec().getEgress().getConnector() != null) {
      return List.of(pass.targets.connectorTag());
    }
    List<String> tags = pass.cr.getSpec().getEgress().getDirectVpc().getNetworkTags();
    return tags == null ? List.of() : tags;
  }

  /** The names of the rules the spec asks for. */
  static List<String> ruleNames(CloudRunEgressJob cr, Targets targets) {
    FirewallSpec spec = cr.getSpec().getEgress().getFirewall();
    List<String> names = new ArrayList<>();
    if (spec == null) {
      return names;
    }
    if (spec.getAllow() != null) {
      spec.getAllow().forEach(allow -> names.add(targets.allowRuleName(allow)));
    }
    if (spec.getLeastPrivilege() && cr.getSpec().getEgress().getConnector() != null) {
      names.add(targets.serverlessRuleName());
    }
    if (spec.getLeastPrivilege()) {
      names.add(targets.denyRuleName());
    }
    return names;
  }

  static PartResult reconcile(Pass pass) {
    Map<String, Firewall> desired = desired(pass);
    FirewallStatus status = new FirewallStatus();
    status.setRules(new ArrayList<>(desired.keySet()));
    pass.status.setFirewall(desired.isEmpty() ? null : status);
    PartResult pending = null;
    for (Firewall rule : desired.values()) {
      PartResult result = reconcileOne(pass, rule);
      if (!result.isReady() && (pending == null || result.progress() == PartResult.Progress.BLOCKED)) {
        pending = result;
      }
    }
    if (pending != null) {
      return pending;
    }
    return desired.isEmpty()
        ? PartResult.ready("NotUsed", "spec.egress.firewall is not set: only the connector's implicit rules apply.")
        : PartResult.ready("Ready", "Firewall rules " + String.join(", ", desired.keySet()) + " are in place.");
  }

  private static PartResult reconcileOne(Pass pass, Firewall desired) {
    String target = pass.targets.firewallPath(desired.getName());
    Optional<PartResult> settling = KIND.settle(pass, target);
    if (settling.isPresent()) {
      return settling.get();
    }
    return KIND.converge(pass, target, desired, KIND.observe(pass, target));
  }

  /** Firewall rules, by their path projects/P/global/firewalls/NAME; listed per project. */
  static final ObjectKind<Firewall> KIND = new ObjectKind<>(Ledger.Kind.FIREWALL, PART, Operations.Api.COMPUTE, "Firewall rule", true) {
    @Override
    Firewall observe(Pass pass, String name) {
      return pass.inventory.firewalls(ResourceNames.project(name)).get(ResourceNames.id(name));
    }

    @Override
    void reread(Pass pass, String name) {
      Pass.reread(pass.inventory.firewalls(ResourceNames.project(name)), ResourceNames.id(name), () -> pass.services.gcp().firewalls.get(ResourceNames.project(name), ResourceNames.id(name)));
    }

    @Override
    String marker(Firewall observed) {
      return Ownership.markerOf(observed.getDescription());
    }

    @Override
    String startCreate(Pass pass, String name, Firewall desired) {
      String project = ResourceNames.project(name);
      return pass.globalOperation(project, pass.services.gcp().firewalls.insertCallable().call(InsertFirewallRequest.newBuilder()
          .setProject(project)
          .setFirewallResource(desired)
          .setRequestId(pass.requestId(PART, name))
          .build()).getName());
    }

    @Override
    String startUpdate(Pass pass, String name, Firewall desired, Firewall observed, List<String> fields) {
      String project = ResourceNames.project(name);
      return pass.globalOperation(project, pass.services.gcp().firewalls.patchCallable().call(PatchFirewallRequest.newBuilder()
          .setProject(project)
          .setFirewall(desired.getName())
          .setFirewallResource(desired)
          .setRequestId(pass.requestId(PART, name))
          .build()).getName());
    }

    @Override
    String startDelete(Pass pass, String name) {
      return pass.globalOperation(ResourceNames.project(name), pass.services.gcp().firewalls.deleteCallable().call(DeleteFirewallRequest.newBuilder()
          .setProject(ResourceNames.project(name)).setFirewall(ResourceNames.id(name)).setRequestId(pass.requestId(PART, name)).build()).getName());
    }

    @Override
    List<String> differences(Firewall desired, Firewall observed) {
      return FirewallPart.differences(desired, observed);
    }

    @Override
    String notOwnedFix() {
      return "Rename or delete it, or set spec.adoptExisting: true to manage it.";
    }
  };

  /** Only the fields this operator sets (disabled included: it sends false); server defaults (logging, ids) never count as drift. */
  private static List<String> differences(Firewall desired, Firewall observed) {
    List<String> fields = new ArrayList<>();
    if (!observed.getNetwork().endsWith(desired.getNetwork())) {
      fields.add("network");
    }
    if (!desired.getDirection().equals(observed.getDirection())) {
      fields.add("direction");
    }
    if (desired.getPriority() != observed.getPriority()) {
      fields.add("priority");
    }
    if (!sorted(desired.getTargetTagsList()).equals(sorted(observed.getTargetTagsList()))) {
      fields.add("targetTags");
    }
    if (!sorted(desired.getDestinationRangesList()).equals(sorted(observed.getDestinationRangesList()))) {
      fields.add("destinationRanges");
    }
    if (!desired.getAllowedList().equals(observed.getAllowedList())) {
      fields.add("allowed");
    }
    if (!desired.getDeniedList().equals(observed.getDeniedList())) {
      fields.add("denied");
    }
    if (observed.getDisabled()) {
      fields.add("disabled");
    }
    return fields;
  }

  private static List<String> sorted(List<String> values) {
    return values.stream().sorted().toList();
  }

  private static String protocol(FirewallSpec.Protocol protocol) {
    return protocol == null ? "tcp" : protocol.name().toLowerCase();
  }
}
