package dev.cloudrun.egress.reconciler;

import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import com.google.cloud.vpcaccess.v1.DeleteConnectorRequest;
import com.google.cloud.vpcaccess.v1.Connector.Subnet;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ConnectorStatus;
import dev.cloudrun.egress.api.v1alpha1.ConnectorSpec;
import dev.cloudrun.egress.gcp.Operations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The Serverless VPC Access connector: desired from the spec, observed by list, created, patched, deleted. */
final class ConnectorPart {
  static final String PART = "connector";
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

  static PartResult reconcile(Pass pass, Claims claims) {
    ConnectorSpec spec = pass.cr.getSpec().getEgress().getConnector();
    if (spec == null) {
      pass.status.setConnector(null);
      return PartResult.ready("NotUsed", "Direct VPC egress: no connector is needed.");
    }
    String name = pass.targets.connectorPath();
    Map<String, Connector> connectors = pass.inventory.connectors(pass.targets.connectorProject(), pass.targets.region());
    Optional<PartResult> settling = pass.settle(PART, name, Operations.Api.VPC_ACCESS, () -> Pass.reread(connectors, name, () -> pass.services.gcp().connectors.getConnector(name)));
    Connector observed = connectors.get(name);
    ConnectorStatus status = report(pass, claims, observed);
    if (settling.isPresent()) {
      return settling.get();
    }
    if (spec.getExisting()) {
      status.setManaged(false);
      if (observed == null) {
        return PartResult.blocked("NotFound", "Connector " + name + " does not exist, and spec.egress.connector.existing is true:"
            + " create it, or set existing: false to let the operator create it.");
      }
      return byState(observed, "existing connector");
    }
    var definer = claims.conflictingDefiner(Claims.CONNECTOR, pass.cr);
    if (definer != null) {
      return PartResult.blocked("SharedSpecConflict", "Connector " + name + " is shared with " + Ownership.owner(definer)
          + ", which defined it first with different settings; make spec.egress.connector and spec.egress.network match it, or name another connector.");
    }
    if (observed == null && !claims.isDefiner(Claims.CONNECTOR, pass.cr)) {
      return PartResult.progressing("WaitingForSharedConnector", "Connector " + name + " is being created for "
          + Ownership.owner(claims.definer(Claims.CONNECTOR, pass.cr)) + ", which shares it; this job uses it once it is READY.");
    }
    Connector desired = desired(pass);
    if (observed == null) {
      PartResult creating = pass.create(PART, name, () -> pass.services.gcp().connectors.createConnectorCallable().call(
          CreateConnectorRequest.newBuilder()
              .setParent("projects/" + pass.targets.connectorProject() + "/locations/" + pass.targets.region())
              .setConnectorId(pass.targets.connectorName())
              .setConnector(desired.toBuilder().clearName())
              .build()).getName());
      if (pass.started(PART, name)) {
        status.setManaged(true); // GCP accepted this resource's create: the connector is ours
      }
      return creating;
    }
    // A connector carries no marker: found while this resource's create is recorded, it is ours if
    // it is what that create asked for (the create started, then the record of it was lost); one that
    // differs was made by someone else in between, even if our create was answered 409.
    boolean createdByUs = pass.intendedToCreate(PART, name)
        && immutableDifferences(desired, observed).isEmpty() && mutableDifferences(desired, observed).isEmpty();
    boolean managed = Boolean.TRUE.equals(status.getManaged()) || createdByUs
        || claims.recordedAsManaged(Claims.CONNECTOR, pass.cr, s -> s.getConnector() != null && Boolean.TRUE.equals(s.getConnector().getManaged()))
        || pass.cr.getSpec().getAdoptExisting();
    status.setManaged(managed);
    if (!managed) {
      return PartResult.blocked("NotOwned", "Connector " + name + " exists but this operator did not create it; it is left untouched."
          + " Set spec.egress.connector.existing: true to use it as it is, or spec.adoptExisting: true to manage it.");
    }
    List<String> immutable = immutableDifferences(desired, observed);
    if (!immutable.isEmpty()) {
      return PartResult.blocked("ReplacementRequired", "Connector " + name + " cannot change " + String.join(", ", immutable)
          + " in place. Set spec.egress.connector.replacePolicy: Recreate to delete and recreate it once no other job uses it,"
          + " or give the connector a new name.");
    }
    List<String> mask = mutableDifferences(desired, observed);
    if (!mask.isEmpty() && observed.getState() == Connector.State.READY) {
      return pass.correctDrift(PART, "Connector " + name, mask, name, () -> pass.services.gcp().connectorPatcher.patch(desired, mask));
    }
    return byState(observed, "connector");
  }

  /** Deletes the connector when this resource is the last claimant and the operator manages it. */
  static PartResult delete(Pass pass, Claims claims) {
    ConnectorSpec spec = pass.cr.getSpec().getEgress().getConnector();
    if (spec == null || spec.getExisting()) {
      return PartResult.ready("NotManaged", "No connector to delete.");
    }
    String name = pass.targets.connectorPath();
    Map<String, Connector> connectors = pass.inventory.connectors(pass.targets.connectorProject(), pass.targets.region());
    Optional<PartResult> settling = pass.settle(PART, name, Operations.Api.VPC_ACCESS, () -> Pass.reread(connectors, name, () -> pass.services.gcp().connectors.getConnector(name)));
    if (settling.isPresent()) {
      return settling.get();
    }
    Connector observed = connectors.get(name);
    boolean managed = pass.status.getConnector() != null && Boolean.TRUE.equals(pass.status.getConnector().getManaged());
    if (observed == null || !managed) {
      return PartResult.ready("Deleted", "Connector " + name + (observed == null ? " is gone." : " is not managed by the operator and was left in place."));
    }
    long others = claims.remainingOthers(Claims.CONNECTOR, pass.cr);
    if (others > 0) {
      return PartResult.ready("Kept", "Connector " + name + " is kept: " + others + " other CloudRunEgressJob(s) still use it.");
    }
    return pass.change(PART, Pass.DELETE, name, () -> pass.services.gcp().connectors.deleteConnectorCallable()
        .call(DeleteConnectorRequest.newBuilder().setName(name).build()).getName());
  }


  private static ConnectorStatus report(Pass pass, Claims claims, Connector observed) {
    ConnectorStatus status = pass.status.getConnector() != null ? pass.status.getConnector() : new ConnectorStatus();
    pass.status.setConnector(status);
    status.setName(pass.targets.connectorPath());
    status.setNetworkTag(pass.targets.connectorTag());
    status.setSharedBy(claims.claimants(Claims.CONNECTOR, pass.cr).size());
    status.setState(observed == null ? null : observed.getState().name());
    status.setIpCidrRange(observed == null ? null : observed.hasSubnet() && !observed.getSubnet().getName().isEmpty()
        ? "subnet " + observed.getSubnet().getName() : observed.getIpCidrRange());
    return status;
  }

  private static PartResult byState(Connector observed, String what) {
    return switch (observed.getState()) {
      case READY -> PartResult.ready("Ready", "Connector " + observed.getName() + " is READY.");
      case CREATING, UPDATING -> PartResult.progressing(observed.getState() == Connector.State.CREATING ? "Creating" : "Updating",
          "Connector " + observed.getName() + " is " + observed.getState() + ".");
      case DELETING -> PartResult.progressing("Deleting", "Connector " + observed.getName() + " is being deleted.");
      default -> PartResult.blocked("ConnectorError", "The " + what + " " + observed.getName() + " is in state " + observed.getState()
          + ". Common causes: its range overlaps a subnet, the Serverless VPC Access service agent lacks roles/vpcaccess.serviceAgent,"
          + " or an organization policy restricts the connector's VM images. Fix the cause, then delete the connector so it is recreated.");
    };
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
