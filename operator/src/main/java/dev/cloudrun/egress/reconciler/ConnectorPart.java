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

  static PartResult reconcile(Pass pass, Claims claims) {
    ConnectorSpec spec = pass.cr.getSpec().getEgress().getConnector();
    if (spec == null) {
      pass.status.setConnector(null);
      return PartResult.ready("NotUsed", "Direct VPC egress: no connector is needed.");
    }
    String name = pass.targets.connectorPath();
    Ledger.Key key = new Ledger.Key(Ledger.Kind.CONNECTOR, name);
    Map<String, Connector> connectors = pass.inventory.connectors(pass.targets.connectorProject(), pass.targets.region());
    Optional<PartResult> settling = pass.settle(PART, name, Operations.Api.VPC_ACCESS, () -> Pass.reread(connectors, name, () -> pass.services.gcp().connectors.getConnector(name)));
    Connector observed = connectors.get(name);
    report(pass, claims, observed);
    if (settling.isPresent()) {
      return settling.get();
    }
    if (spec.getExisting()) {
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
      return claims.waitingFor(Claims.CONNECTOR, pass.cr, "WaitingForSharedConnector", "Connector " + name + " is being created for "
          + Ownership.owner(claims.definer(Claims.CONNECTOR, pass.cr)) + ", which shares it; this job uses it once it is READY.");
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
      if (!pass.ledger.recordCreating(key, desired)) {
        return Pass.ledgerFull(key);
      }
      PartResult creating = pass.create(PART, name, () -> pass.services.gcp().connectors.createConnectorCallable().call(
          CreateConnectorRequest.newBuilder()
              .setParent("projects/" + pass.targets.connectorProject() + "/locations/" + pass.targets.region())
              .setConnectorId(pass.targets.connectorName())
              .setConnector(desired.toBuilder().clearName())
              .build()).getName());
      if (pass.started(PART, name)) {
        pass.ledger.record(key, Ledger.State.Created); // GCP accepted this resource's create: the connector is ours
      }
      return creating;
    }
    List<String> immutable = immutableDifferences(desired, observed);
    if (!Ownership.mayManage(pass, key, Ownership.NO_MARKER_POSSIBLE, foundAsAsked(pass, key, observed))) {
      return PartResult.blocked("NotOwned", "Connector " + name + " exists but this operator did not create it; it is left untouched."
          + " Set spec.egress.connector.existing: true to use it as it is, or spec.adoptExisting: true to manage it.");
    }
    if (!immutable.isEmpty()) {
      return replace(pass, observed, immutable);
    }
    List<String> mask = mutableDifferences(desired, observed);
    if (!mask.isEmpty() && observed.getState() == Connector.State.READY) {
      return pass.correctDrift(PART, "Connector " + name, mask, name, () -> pass.services.gcp().connectorPatcher.patch(desired, mask));
    }
    return byState(observed, "connector");
  }

  /** A connector of the ledger the spec no longer names that occupies the subnet or range {@code desired} needs. */
  private static Optional<Connector> oldConnectorInTheWay(Pass pass, Connector desired) {
    return pass.stale(Ledger.Kind.CONNECTOR).stream()
        .map(k -> {
          String[] path = k.name().split("/");
          return pass.inventory.connectors(path[1], path[3]).get(k.name());
        })
        .filter(c -> c != null && (!desired.getIpCidrRange().isEmpty() && desired.getIpCidrRange().equals(c.getIpCidrRange())
            || !desired.getSubnet().getName().isEmpty() && desired.getSubnet().getName().equals(c.getSubnet().getName())))
        .findFirst();
  }

  /**
   * A connector whose range, subnet or size must change is deleted and created anew under the same
   * name (the job keeps its reference and has no egress meanwhile), when spec.egress.connector
   * .replacePolicy is Recreate and no other resource, in any namespace, uses it.
   */
  private static PartResult replace(Pass pass, Connector observed, List<String> immutable) {
    String name = observed.getName();
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
    long others = usedBy.getAsLong();
    if (others > 0) {
      return PartResult.blocked("ReplacementRequired", "Connector " + name + " cannot change " + differences + " in place, and "
          + others + " other CloudRunEgressJob(s) use it, so it is not recreated: give this job's connector a new name, or make the others move first.");
    }
    if (observed.getState() == Connector.State.CREATING || observed.getState() == Connector.State.UPDATING) {
      return byState(observed, "connector"); // deleted once GCP has finished with it
    }
    boolean starting = !pass.started(PART, name);
    PartResult deleting = pass.change(PART, Pass.DELETE, name, () -> pass.services.gcp().connectors.deleteConnectorCallable()
        .call(DeleteConnectorRequest.newBuilder().setName(name).build()).getName());
    if (starting && pass.started(PART, name)) {
      pass.services.events().normal(pass.cr, "ReplacingConnector", "Connector " + name + " is deleted to be created again with "
          + differences + " (replacePolicy: Recreate); the job has no egress until the new one is READY.");
    }
    return PartResult.progressing("Replacing", "Connector " + name + " is being replaced (" + differences + "): " + deleting.message());
  }

  /** The connector of the ledger named {@code name}, as {@link Release} deletes it. */
  static OwnedObject owned(Pass pass, String name) {
    String[] path = name.split("/");
    Map<String, Connector> connectors = pass.inventory.connectors(path[1], path[3]);
    return new OwnedObject(pass, PART, name, Operations.Api.VPC_ACCESS,
        () -> Pass.reread(connectors, name, () -> pass.services.gcp().connectors.getConnector(name))) {
      @Override
      boolean exists() {
        return connectors.containsKey(name);
      }

      @Override
      String marker() {
        return Ownership.NO_MARKER_POSSIBLE;
      }

      @Override
      boolean foundAsAsked() {
        return ConnectorPart.foundAsAsked(pass, new Ledger.Key(Ledger.Kind.CONNECTOR, name), connectors.get(name));
      }

      @Override
      String startDelete() {
        return pass.services.gcp().connectors.deleteConnectorCallable().call(DeleteConnectorRequest.newBuilder().setName(name).build()).getName();
      }
    };
  }

  private static void report(Pass pass, Claims claims, Connector observed) {
    ConnectorStatus status = pass.status.getConnector() != null ? pass.status.getConnector() : new ConnectorStatus();
    pass.status.setConnector(status);
    status.setName(pass.targets.connectorPath());
    status.setNetworkTag(pass.targets.connectorTag());
    status.setSharedBy(claims.claimants(Claims.CONNECTOR, pass.cr).size());
    status.setState(observed == null ? null : observed.getState().name());
    status.setIpCidrRange(observed == null ? null : observed.hasSubnet() && !observed.getSubnet().getName().isEmpty()
        ? "subnet " + observed.getSubnet().getName() : observed.getIpCidrRange());
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

  /** Whether {@code observed} is exactly what this resource's recorded create of it asked for. */
  private static boolean foundAsAsked(Pass pass, Ledger.Key key, Connector observed) {
    return pass.ledger.request(key, Connector.newBuilder()).map(Connector.Builder::build)
        .filter(asked -> immutableDifferences(asked, observed).isEmpty() && mutableDifferences(asked, observed).isEmpty())
        .isPresent();
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
