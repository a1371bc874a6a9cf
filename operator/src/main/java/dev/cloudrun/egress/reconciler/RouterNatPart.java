package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.DeleteRouterRequest;
import com.google.cloud.compute.v1.InsertRouterRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterNatLogConfig;
import com.google.cloud.compute.v1.RouterNatSubnetworkToNat;
import com.google.cloud.compute.v1.UpdateRouterRequest;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.NatStatus;
import dev.cloudrun.egress.api.v1alpha1.ConnectorSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.Operations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The Cloud Router and its NAT gateway. NATs live inside the router (there is no NAT resource), so
 * every NAT change rewrites the router's nats[] from a fresh read.
 */
final class RouterNatPart {
  static final String PART = "router";

  private RouterNatPart() {}

  static RouterNat desiredNat(Pass pass, List<String> addressLinks) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    boolean manual = spec.getIpAllocation() == NatSpec.IpAllocation.Static;
    RouterNat.Builder nat = RouterNat.newBuilder()
        .setName(spec.getName())
        .setNatIpAllocateOption(manual ? "MANUAL_ONLY" : "AUTO_ONLY")
        .addAllNatIps(manual ? addressLinks : List.of());
    List<String> subnets = coveredSubnets(pass);
    if (subnets.isEmpty()) {
      nat.setSourceSubnetworkIpRangesToNat(spec.getCovers() == NatSpec.Coverage.AllPrimaryRanges
          ? "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES" : "ALL_SUBNETWORKS_ALL_IP_RANGES");
    } else {
      nat.setSourceSubnetworkIpRangesToNat("LIST_OF_SUBNETWORKS");
      subnets.forEach(s -> nat.addSubnetworks(RouterNatSubnetworkToNat.newBuilder()
          .setName("projects/" + pass.targets.networkProject() + "/regions/" + pass.targets.region() + "/subnetworks/" + s)
          .addSourceIpRangesToNat("ALL_IP_RANGES")));
    }
    RouterNatLogConfig.Builder log = RouterNatLogConfig.newBuilder().setEnable(spec.getLogging() != NatSpec.Logging.None);
    switch (spec.getLogging()) {
      case ErrorsOnly -> log.setFilter("ERRORS_ONLY");
      case TranslationsOnly -> log.setFilter("TRANSLATIONS_ONLY");
      case All -> log.setFilter("ALL");
      case None -> { }
    }
    return nat.setLogConfig(log).build();
  }

  /**
   * The subnets a NAT must list, or none for "all subnetworks". A connector on an ipCidrRange has a
   * hidden subnet that cannot be listed, so by default its NAT covers all subnetworks.
   */
  static List<String> coveredSubnets(Pass pass) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    if (spec.getCovers() != null) {
      return spec.getCovers() == NatSpec.Coverage.ListedSubnetworks ? spec.getSubnetworks() : List.of();
    }
    ConnectorSpec connector = pass.cr.getSpec().getEgress().getConnector();
    if (connector != null) {
      return connector.getSubnet() != null ? List.of(connector.getSubnet().getName()) : List.of();
    }
    return List.of(pass.cr.getSpec().getEgress().getDirectVpc().getSubnet());
  }

  static PartResult reconcile(Pass pass, Claims claims, AddressPart.Addresses addresses) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    if (spec == null) {
      pass.status.setNat(null);
      return PartResult.ready("NotUsed", "spec.egress.nat is not set: no Cloud NAT; public traffic that enters the VPC has no way out.");
    }
    String routerPath = pass.targets.routerPath(spec.getRouter());
    Map<String, Router> routers = pass.inventory.routers(pass.targets.networkProject(), pass.targets.region());
    Optional<PartResult> settling = pass.settle(PART, routerPath, Operations.Api.COMPUTE, () -> Pass.reread(routers, spec.getRouter(), () -> pass.services.gcp().routers.get(pass.targets.networkProject(), pass.targets.region(), spec.getRouter())));
    Router router = routers.get(spec.getRouter());
    RouterNat observed = router == null ? null : natOf(router, spec.getName());
    NatStatus status = report(pass, claims, routerPath, observed, addresses);
    if (settling.isPresent()) {
      return settling.get();
    }
    String natName = "NAT " + spec.getName() + " on router " + routerPath;
    if (spec.getExisting()) {
      status.setManaged(false);
      return observed == null
          ? PartResult.blocked("NotFound", natName + " does not exist, and spec.egress.nat.existing is true: create it, or set existing: false.")
          : PartResult.ready("Ready", natName + " exists and is used as it is.");
    }
    var definer = claims.conflictingDefiner(Claims.NAT, pass.cr);
    if (definer != null) {
      return PartResult.blocked("SharedSpecConflict", natName + " is shared with " + Ownership.owner(definer)
          + ", which defined it first with different settings; make spec.egress.nat and spec.egress.network match it, or name another NAT.");
    }
    if (!addresses.result().isReady()) {
      return addresses.result().progress() == PartResult.Progress.BLOCKED ? addresses.result()
          : PartResult.progressing("WaitingForAddresses", "Waiting for the static addresses before configuring " + natName + ": " + addresses.result().message());
    }
    if (observed == null && !claims.isDefiner(Claims.NAT, pass.cr)) {
      return PartResult.progressing("WaitingForSharedNat", natName + " is being created for "
          + Ownership.owner(claims.definer(Claims.NAT, pass.cr)) + ", which shares it; this job uses it once it is there.");
    }
    RouterNat desired = desiredNat(pass, addresses.selfLinks());
    if (router == null) {
      if (spec.getUseExistingRouter()) {
        return PartResult.blocked("NotFound", "Router " + routerPath + " does not exist, and spec.egress.nat.useExistingRouter is true:"
            + " create it, or set useExistingRouter: false to let the operator create it.");
      }
      Router create = Router.newBuilder()
          .setName(spec.getRouter())
          .setNetwork(pass.targets.networkPath())
          .setDescription(Ownership.description(pass.cr))
          .addNats(desired)
          .build();
      return markedManagedOnceStarted(pass, status, routerPath, pass.create(PART, routerPath, () -> pass.regionalOperation(
          pass.services.gcp().routers.insertCallable().call(InsertRouterRequest.newBuilder()
              .setProject(pass.targets.networkProject())
              .setRegion(pass.targets.region())
              .setRouterResource(create)
              .setRequestId(pass.requestId(PART, routerPath))
              .build()).getName())));
    }
    boolean routerOurs = Ownership.managed(router.getDescription());
    if (!spec.getUseExistingRouter() && !routerOurs && !pass.cr.getSpec().getAdoptExisting()) {
      return PartResult.blocked("NotOwned", "Router " + routerPath + " exists but this operator did not create it; it is left untouched."
          + " Set spec.egress.nat.useExistingRouter: true to add the NAT to it, or spec.adoptExisting: true to manage it.");
    }
    // A NAT carries no marker: found while this resource's create is recorded, it is ours if it is
    // what that create asked for.
    boolean createdByUs = observed != null && pass.intendedToCreate(PART, routerPath) && differences(desired, observed).isEmpty();
    boolean natOurs = routerOurs || Boolean.TRUE.equals(status.getManaged()) || createdByUs
        || claims.recordedAsManaged(Claims.NAT, pass.cr, s -> s.getNat() != null && Boolean.TRUE.equals(s.getNat().getManaged()))
        || pass.cr.getSpec().getAdoptExisting();
    if (observed != null && !natOurs) {
      return PartResult.blocked("NotOwned", natName + " exists but this operator did not create it; it is left untouched."
          + " Set spec.egress.nat.existing: true to use it as it is, or spec.adoptExisting: true to manage it.");
    }
    Supplier<String> write = () -> rewriteNats(pass, spec.getRouter(), nats -> {
      nats.removeIf(n -> n.getName().equals(spec.getName()));
      nats.add(desired);
    });
    if (observed == null) {
      // Added by a routers.update, whose 409 is a concurrent change of the router, never "already there".
      return markedManagedOnceStarted(pass, status, routerPath, pass.change(PART, Pass.CREATE, routerPath, write));
    }
    status.setManaged(true); // a claimant of a NAT the operator manages deletes it if it is the last one
    List<String> drift = differences(desired, observed);
    if (drift.isEmpty()) {
      return PartResult.ready("Ready", natName + " translates " + desired.getSourceSubnetworkIpRangesToNat()
          + (addresses.ips().isEmpty() ? " with automatically allocated IPs." : " to " + String.join(", ", addresses.ips()) + "."));
    }
    return pass.correctDrift(PART, natName, drift, routerPath, write);
  }

  /** The NAT is recorded as managed once GCP accepted this resource's create, not when the intent is recorded. */
  private static PartResult markedManagedOnceStarted(Pass pass, NatStatus status, String routerPath, PartResult creating) {
    if (pass.started(PART, routerPath)) {
      status.setManaged(true);
    }
    return creating;
  }

  /** Removes the NAT (and the router, when the operator created it and nothing else is on it). */
  static PartResult delete(Pass pass, Claims claims) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    if (spec == null || spec.getExisting()) {
      return PartResult.ready("Deleted", "No NAT to delete.");
    }
    String routerPath = pass.targets.routerPath(spec.getRouter());
    Map<String, Router> routers = pass.inventory.routers(pass.targets.networkProject(), pass.targets.region());
    Optional<PartResult> settling = pass.settle(PART, routerPath, Operations.Api.COMPUTE, () -> Pass.reread(routers, spec.getRouter(), () -> pass.services.gcp().routers.get(pass.targets.networkProject(), pass.targets.region(), spec.getRouter())));
    if (settling.isPresent()) {
      return settling.get();
    }
    Router router = routers.get(spec.getRouter());
    boolean managed = pass.status.getNat() != null && Boolean.TRUE.equals(pass.status.getNat().getManaged());
    if (router == null || !managed || natOf(router, spec.getName()) == null && !Ownership.managed(router.getDescription())) {
      return PartResult.ready("Deleted", "Router " + routerPath + " holds no NAT of this resource.");
    }
    long others = claims.remainingOthers(Claims.NAT, pass.cr);
    if (others > 0) {
      return PartResult.ready("Kept", "NAT " + spec.getName() + " is kept: " + others + " other CloudRunEgressJob(s) still use it.");
    }
    boolean onlyOurNat = router.getNatsList().stream().allMatch(n -> n.getName().equals(spec.getName()));
    if (Ownership.managed(router.getDescription()) && onlyOurNat) {
      return pass.change(PART, Pass.DELETE, routerPath, () -> pass.regionalOperation(pass.services.gcp().routers.deleteCallable().call(
          DeleteRouterRequest.newBuilder()
              .setProject(pass.targets.networkProject())
              .setRegion(pass.targets.region())
              .setRouter(spec.getRouter())
              .setRequestId(pass.requestId(PART, routerPath))
              .build()).getName()));
    }
    if (natOf(router, spec.getName()) == null) {
      return PartResult.ready("Deleted", "NAT " + spec.getName() + " is gone.");
    }
    return pass.change(PART, Pass.UPDATE, routerPath,
        () -> rewriteNats(pass, spec.getRouter(), nats -> nats.removeIf(n -> n.getName().equals(spec.getName()))));
  }

  /**
   * Reads the router afresh and writes it back whole (routers.update) with its nats changed: a
   * merge patch cannot express an empty nats[], and other NATs on a shared router must survive.
   * One router is rewritten by one thread at a time.
   */
  private static String rewriteNats(Pass pass, String routerName, java.util.function.Consumer<List<RouterNat>> edit) {
    String key = pass.targets.routerPath(routerName);
    synchronized (key.intern()) {
      Router current = pass.services.gcp().routers.get(pass.targets.networkProject(), pass.targets.region(), routerName);
      List<RouterNat> nats = new ArrayList<>(current.getNatsList());
      edit.accept(nats);
      Router updated = current.toBuilder().clearNats().addAllNats(nats).build();
      return pass.regionalOperation(pass.services.gcp().routers.updateCallable().call(UpdateRouterRequest.newBuilder()
          .setProject(pass.targets.networkProject())
          .setRegion(pass.targets.region())
          .setRouter(routerName)
          .setRouterResource(updated)
          .setRequestId(pass.requestId(PART, key))
          .build()).getName());
    }
  }

  private static NatStatus report(Pass pass, Claims claims, String routerPath, RouterNat observed, AddressPart.Addresses addresses) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    NatStatus status = pass.status.getNat() != null ? pass.status.getNat() : new NatStatus();
    pass.status.setNat(status);
    status.setRouter(routerPath);
    status.setName(spec.getName());
    status.setSharedBy(claims.claimants(Claims.NAT, pass.cr).size());
    status.setSourceRanges(observed == null ? null : observed.getSourceSubnetworkIpRangesToNat());
    status.setNatIPs(observed == null || observed.getNatIpsCount() == 0 ? new ArrayList<>() : new ArrayList<>(addresses.ips()));
    return status;
  }

  private static List<String> differences(RouterNat desired, RouterNat observed) {
    List<String> fields = new ArrayList<>();
    if (!desired.getNatIpAllocateOption().equals(observed.getNatIpAllocateOption())) {
      fields.add("natIpAllocateOption");
    }
    if (!lastSegments(desired.getNatIpsList()).equals(lastSegments(observed.getNatIpsList()))) {
      fields.add("natIps");
    }
    if (!desired.getSourceSubnetworkIpRangesToNat().equals(observed.getSourceSubnetworkIpRangesToNat())) {
      fields.add("sourceSubnetworkIpRangesToNat");
    }
    if (!lastSegments(desired.getSubnetworksList().stream().map(RouterNatSubnetworkToNat::getName).toList())
        .equals(lastSegments(observed.getSubnetworksList().stream().map(RouterNatSubnetworkToNat::getName).toList()))) {
      fields.add("subnetworks");
    }
    boolean enabled = desired.getLogConfig().getEnable();
    if (enabled != observed.getLogConfig().getEnable()
        || enabled && !desired.getLogConfig().getFilter().equals(observed.getLogConfig().getFilter())) {
      fields.add("logConfig");
    }
    return fields;
  }

  /** Compute answers with full URLs where we sent partial ones: compare names only. */
  private static List<String> lastSegments(List<String> urls) {
    return urls.stream().map(u -> u.substring(u.lastIndexOf('/') + 1)).sorted().toList();
  }

  private static RouterNat natOf(Router router, String name) {
    return router.getNatsList().stream().filter(n -> n.getName().equals(name)).findFirst().orElse(null);
  }


}
