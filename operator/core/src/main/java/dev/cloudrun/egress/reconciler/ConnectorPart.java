package dev.cloudrun.egress.reconciler;

import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.Connector.Subnet;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import com.google.cloud.vpcaccess.v1.DeleteConnectorRequest;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ConnectorStatus;
import dev.cloudrun.egress.api.v1alpha1.ConnectorSpec;
import dev.cloudrun.egress.gcp.Operations;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The Serverless VPC Access connector: desired from the spec, observed by list, created, patched, deleted. */
final class ConnectorPart {
  static final String PART = "connector";
  /** The reason while a connector of the ledger holds what the new one needs: it is deleted first, although the job still uses it. */
  static final String WAITING_FOR_OLD_CONNECTOR = "WaitingForOldConnector";
  private static final int DEFAULT_MIN = 2;
  private static final int DEFAULT_MAX = 10;

  private ConnectorPart() {}

  static Connector desired(Pass pass) {
    ConnectorSpec spec = pass.cr.getSpec().getEgress().getConnector();
    Connector.Builder c = Connector.newBuilder()
        .setName(pass.targets.connectorPath())
        .setMachineType(machineType(spec))
        .setMinInstances(spec.getMinInstances() != null ? spec.getMinInstances() : DEFAULT_MIN)
        .setMaxInstances(spec.getMaxInstances() != null ? spec.getMaxInstances() : DEFAULT_MAX);
    if (spec.getSubnet() != null) {
      c.setSubnet(Subnet.newBuilder().setName(spec.getSubnet().getName())
          .setProjectId(spec.getSubnet().getProject() != null ? spec.getSubnet().getProject() : pass.targets.networkProject()));
    } else {
      c.setNetwork(pass.targets.networkName()).setIpCidrRange(spec.getIpCidrRange());
    }
    return c.build();
  }

  static PartResult reconcile(Pass pass) {
    ConnectorSpec spec = pass.cr.getSpec().getEgress().getConnector();
    if (spec == null) {
      pass.status.setConnector(null);
      return PartResult.ready("NotUsed", "Direct VPC egress: no connector is needed.");
    }
    String name = pass.targets.connectorPath();
    Optional<PartResult> settling = KIND.settle(pass, name);
    Connector observed = KIND.observe(pass, name);
    report(pass, observed);
    if (settling.isPresent()) {
      return settling.get();
    }
    if (spec.getExisting()) {
      if (observed == null) {
        return PartResult.blocked("NotFound", "Connector " + name + " does not exist, and spec.egress.connector.existing is true:"
            + " create it, or set existing: false to let the operator create it.");
      }
      return KIND.state(name, observed);
    }
    var definer = pass.claims.conflictingDefiner(Claims.CONNECTOR, pass.cr);
    if (definer != null) {
      return PartResult.blocked("SharedSpecConflict", "Connector " + name + " is shared with " + Ownership.owner(definer)
          + ", which defined it first with different settings; make spec.egress.connector and spec.egress.network match it, or name another connector.");
    }
    if (observed == null && !pass.claims.isDefiner(Claims.CONNECTOR, pass.cr)) {
      return pass.claims.waitingFor(Claims.CONNECTOR, pass.cr, "WaitingForSharedConnector", "Connector " + name + " is being created for "
          + Ownership.owner(pass.claims.definer(Claims.CONNECTOR, pass.cr)) + ", which shares it; this job uses it once it is READY.");
    }
    Connector desired = desired(pass);
    if (observed == null) {
      Optional<Connector> old = oldConnectorInTheWay(pass, desired);
      if (old.isPresent()) {
        // GCP puts one connector on a subnet, and connector ranges may not overlap: the old one goes first.
        return PartResult.progressing(WAITING_FOR_OLD_CONNECTOR, "Waiting for connector " + old.get().getName()
            + ", which the spec no longer names and which holds the same " + (desired.getIpCidrRange().isEmpty() ? "subnet" : "range")
            + ", to be deleted before " + name + " is created; the job has no egress meanwhile.");
      }
    }
    return KIND.converge(pass, name, desired, observed);
  }

  /** A connector of the ledger the spec no longer names that occupies the subnet or range {@code desired} needs. */
  private static Optional<Connector> oldConnectorInTheWay(Pass pass, Connector desired) {
    return pass.stale(Ledger.Kind.CONNECTOR).stream()
        .map(k -> KIND.observe(pass, k.name()))
        .filter(c -> c != null && (!desired.getIpCidrRange().isEmpty() && desired.getIpCidrRange().equals(c.getIpCidrRange())
            || !desired.getSubnet().getName().isEmpty() && desired.getSubnet().getName().equals(c.getSubnet().getName())))
        .findFirst();
  }

  /**
   * A connector whose range, subnet or size must change is deleted and created anew under the same
   * name (the job keeps its reference and has no egress meanwhile), when spec.egress.connector
   * .replacePolicy is Recreate and no other resource, in any namespace, uses it.
   */
  private static PartResult replace(Pass pass, String name, Connector observed, List<String> immutable) {
    String differences = String.join(", ", immutable);
    if (pass.cr.getSpec().getEgress().getConnector().getReplacePolicy() != ConnectorSpec.ReplacePolicy.Recreate) {
      return PartResult.blocked("ReplacementRequired", "Connector " + name + " cannot change " + differences
          + " in place. Set spec.egress.connector.replacePolicy: Recreate to delete and recreate it once no other job uses it,"
          + " or give the connector a new name.");
    }
    Ledger.Key key = new Ledger.Key(Ledger.Kind.CONNECTOR, name);
    var usedBy = pass.othersUsing(key);
    if (usedBy.isEmpty()) {
      return Pass.sharingUnknown(key);
    }
    long others = usedBy.get().count();
    if (others > 0) {
      return PartResult.blocked("ReplacementRequired", "Connector " + name + " cannot change " + differences + " in place, and "
          + others + " other CloudRunEgressJob(s) use it, so it is not recreated: give this job's connector a new name, or make the others move first.");
    }
    if (observed.getState() == Connector.State.CREATING || observed.getState() == Connector.State.UPDATING) {
      return KIND.state(name, observed); // deleted once GCP has finished with it
    }
    boolean starting = !pass.started(PART, name);
    PartResult deleting = KIND.owned(pass, name).delete();
    if (starting && pass.started(PART, name)) {
      pass.services.events().normal(pass.cr, "ReplacingConnector", "Connector " + name + " is deleted to be created again with "
          + differences + " (replacePolicy: Recreate); the job has no egress until the new one is READY.");
    }
    return PartResult.progressing("Replacing", "Connector " + name + " is being replaced (" + differences + "): " + deleting.message());
  }

  /** Serverless VPC Access connectors, by their path projects/P/locations/R/connectors/NAME. They carry no marker. */
  static final ObjectKind<Connector> KIND = new ObjectKind<>(Ledger.Kind.CONNECTOR, PART, Operations.Api.VPC_ACCESS, "Connector", false) {
    @Override
    Connector observe(Pass pass, String name) {
      return pass.inventory.connectors(ResourceNames.project(name), ResourceNames.region(name)).get(name);
    }

    @Override
    void reread(Pass pass, String name) {
      Pass.reread(pass.inventory.connectors(ResourceNames.project(name), ResourceNames.region(name)), name, () -> pass.services.gcp().connectors.getConnector(name));
    }

    @Override
    String startCreate(Pass pass, String name, Connector desired) {
      return pass.services.gcp().connectors.createConnectorCallable().call(CreateConnectorRequest.newBuilder()
          .setParent(ResourceNames.parent(name))
          .setConnectorId(ResourceNames.id(name))
          .setConnector(desired.toBuilder().clearName())
          .build()).getName();
    }

    @Override
    String startUpdate(Pass pass, String name, Connector desired, Connector observed, List<String> fields) {
      return pass.services.gcp().connectorPatcher.patch(desired, fields);
    }

    @Override
    String startDelete(Pass pass, String name) {
      return pass.services.gcp().connectors.deleteConnectorCallable().call(DeleteConnectorRequest.newBuilder().setName(name).build()).getName();
    }

    @Override
    List<String> differences(Connector desired, Connector observed) {
      return mutableDifferences(desired, observed);
    }

    @Override
    List<String> immutableDifferences(Connector desired, Connector observed) {
      return ConnectorPart.immutableDifferences(desired, observed);
    }

    @Override
    PartResult replace(Pass pass, String name, Connector observed, List<String> immutable) {
      return ConnectorPart.replace(pass, name, observed, immutable);
    }

    /** GCP patches a connector only while it is READY. */
    @Override
    boolean updatable(Connector observed) {
      return observed.getState() == Connector.State.READY;
    }

    @Override
    PartResult state(String name, Connector observed) {
      return switch (observed.getState()) {
        case READY -> PartResult.ready("Ready", "Connector " + name + " is READY.");
        case CREATING, UPDATING -> PartResult.progressing(observed.getState() == Connector.State.CREATING ? "Creating" : "Updating",
            "Connector " + name + " is " + observed.getState() + ".");
        case DELETING -> PartResult.progressing("Deleting", "Connector " + name + " is being deleted.");
        default -> PartResult.blocked("ConnectorError", "Connector " + name + " is in state " + observed.getState()
            + ". Common causes: its range overlaps a subnet, the Serverless VPC Access service agent lacks roles/vpcaccess.serviceAgent,"
            + " or an organization policy restricts the connector's VM images. Fix the cause, then delete the connector so it is recreated.");
      };
    }

    @Override
    String notOwnedFix() {
      return "Set spec.egress.connector.existing: true to use it as it is, or spec.adoptExisting: true to manage it.";
    }
  };

  private static void report(Pass pass, Connector observed) {
    ConnectorStatus status = pass.status.getConnector() != null ? pass.status.getConnector() : new ConnectorStatus();
    pass.status.setConnector(status);
    status.setName(pass.targets.connectorPath());
    status.setNetworkTag(pass.targets.connectorTag());
    status.setSharedBy(pass.claims.claimants(Claims.CONNECTOR, pass.cr).size());
    status.setState(observed == null ? null : observed.getState().name());
    status.setIpCidrRange(observed == null ? null : observed.hasSubnet() && !observed.getSubnet().getName().isEmpty()
        ? "subnet " + observed.getSubnet().getName() : observed.getIpCidrRange());
  }

  private static List<String> immutableDifferences(Connector desired, Connector observed) {
    List<String> fields = new ArrayList<>();
    // A subnet connector sets neither network nor range: GCP fills network from the subnet (ledger row 1)
    // and may fill the range (9e). The subnet comparison below still catches a switch between the two forms.
    if (!desired.getIpCidrRange().isEmpty() && !desired.getIpCidrRange().equals(observed.getIpCidrRange())) {
      fields.add("ipCidrRange (" + observed.getIpCidrRange() + " → " + desired.getIpCidrRange() + ")");
    }
    if (!desired.getNetwork().isEmpty() && !desired.getNetwork().equals(observed.getNetwork())) {
      fields.add("network (" + observed.getNetwork() + " → " + desired.getNetwork() + ")");
    }
    if (!desired.getSubnet().getName().equals(observed.getSubnet().getName())) {
      fields.add("subnet (" + observed.getSubnet().getName() + " → " + desired.getSubnet().getName() + ")");
    }
    if (desired.getMinInstances() < observed.getMinInstances() || desired.getMaxInstances() < observed.getMaxInstances()) {
      fields.add("instances (" + observed.getMinInstances() + "-" + observed.getMaxInstances() + " → "
          + desired.getMinInstances() + "-" + desired.getMaxInstances() + ", a connector never scales in)");
    }
    return fields;
  }

  private static List<String> mutableDifferences(Connector desired, Connector observed) {
    List<String> mask = new ArrayList<>();
    if (!desired.getMachineType().equals(observed.getMachineType())) {
      mask.add("machineType");
    }
    // Both bounds together, as gcloud asks and Terraform sends (ledger row 4).
    if (desired.getMinInstances() != observed.getMinInstances() || desired.getMaxInstances() != observed.getMaxInstances()) {
      mask.add("minInstances");
      mask.add("maxInstances");
    }
    return mask;
  }

  private static String machineType(ConnectorSpec spec) {
    if (spec.getMachineType() == null) {
      return "e2-micro";
    }
    return switch (spec.getMachineType()) {
      case F1_MICRO -> "f1-micro";
      case E2_MICRO -> "e2-micro";
      case E2_STANDARD_4 -> "e2-standard-4";
    };
  }
}
