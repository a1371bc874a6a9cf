package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.DeleteRouterRequest;
import com.google.cloud.compute.v1.InsertRouterRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterNatLogConfig;
import com.google.cloud.compute.v1.RouterNatSubnetworkToNat;
import com.google.cloud.compute.v1.UpdateRouterRequest;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.NatStatus;
import dev.cloudrun.egress.api.v1alpha1.ConnectorSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.Operations;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    List<String> subnets = coveredSubnets(pass.cr);
    if (subnets.isEmpty()) {
      nat.setSourceSubnetworkIpRangesToNat(spec.getCovers() == NatSpec.Coverage.AllPrimaryRanges
          ? "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES" : "ALL_SUBNETWORKS_ALL_IP_RANGES");
    } else {
      nat.setSourceSubnetworkIpRangesToNat("LIST_OF_SUBNETWORKS");
      subnets.forEach(s -> nat.addSubnetworks(RouterNatSubnetworkToNat.newBuilder()
          .setName(pass.targets.subnetworkPath(s))
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
  static List<String> coveredSubnets(CloudRunEgressJob cr) {
    NatSpec spec = cr.getSpec().getEgress().getNat();
    if (spec.getCovers() != null) {
      return spec.getCovers() == NatSpec.Coverage.ListedSubnetworks ? spec.getSubnetworks() : List.of();
    }
    ConnectorSpec connector = cr.getSpec().getEgress().getConnector();
    if (connector != null) {
      return connector.getSubnet() != null ? List.of(connector.getSubnet().getName()) : List.of();
    }
    return List.of(cr.getSpec().getEgress().getDirectVpc().getSubnet());
  }

  static PartResult reconcile(Pass pass, AddressPart.Addresses addresses) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    if (spec == null) {
      pass.status.setNat(null);
      return PartResult.ready("NotUsed", "spec.egress.nat is not set: no Cloud NAT; public traffic that enters the VPC has no way out.");
    }
    String routerPath = pass.targets.routerPath(spec.getRouter());
    String natPath = pass.targets.natPath(spec.getRouter(), spec.getName());
    Optional<PartResult> settling = NATS.settle(pass, natPath);
    Router router = ROUTERS.observe(pass, routerPath);
    RouterNat observed = NATS.observe(pass, natPath);
    report(pass, routerPath, observed, addresses);
    if (settling.isPresent()) {
      return settling.get();
    }
    String natName = "NAT " + spec.getName() + " on router " + routerPath;
    if (spec.getExisting()) {
      return observed == null
          ? PartResult.blocked("NotFound", natName + " does not exist, and spec.egress.nat.existing is true: create it, or set existing: false.")
          : PartResult.ready("Ready", natName + " exists and is used as it is.");
    }
    var definer = pass.claims.conflictingDefiner(Claims.NAT, pass.cr);
    if (definer != null) {
      return PartResult.blocked("SharedSpecConflict", natName + " is shared with " + Ownership.owner(definer)
          + ", which defined it first with different settings; make spec.egress.nat and spec.egress.network match it, or name another NAT.");
    }
    if (!addresses.result().isReady()) {
      return addresses.result().progress() == PartResult.Progress.BLOCKED ? addresses.result()
          : PartResult.progressing("WaitingForAddresses", "Waiting for the static addresses before configuring " + natName + ": " + addresses.result().message());
    }
    if (observed == null && !pass.claims.isDefiner(Claims.NAT, pass.cr)) {
      return pass.claims.waitingFor(Claims.NAT, pass.cr, "WaitingForSharedNat", natName + " is being created for "
          + Ownership.owner(pass.claims.definer(Claims.NAT, pass.cr)) + ", which shares it; this job uses it once it is there.");
    }
    Optional<Ledger.Key> oldNat = pass.stale(Ledger.Kind.NAT).stream().findFirst();
    if (observed == null && oldNat.isPresent()) {
      // GCP allows one all-subnetworks NAT per network and region, and an address serves one NAT.
      return PartResult.progressing("WaitingForOldNat", "Waiting for " + oldNat.get() + ", which the spec no longer names, to be deleted before "
          + natName + " is created.");
    }
    Optional<Address> taken = addressInUse(pass, addresses, routerPath);
    if (taken.isPresent()) {
      return PartResult.blocked("AddressInUse", "Static address " + taken.get().getName() + " (" + taken.get().getAddress() + ") is used by "
          + String.join(", ", taken.get().getUsersList()) + ", and GCP lets an address serve one NAT: name another address in"
          + " spec.egress.nat.addresses, or put this NAT on the router that uses it.");
    }
    RouterNat desired = desiredNat(pass, addresses.selfLinks());
    Router desiredRouter = Router.newBuilder()
        .setName(spec.getRouter())
        .setNetwork(pass.targets.networkPath())
        .setDescription(Ownership.description(pass.cr))
        .addNats(desired) // a new router is made with its NAT in one insert
        .build();
    if (router == null && spec.getUseExistingRouter()) {
      return PartResult.blocked("NotFound", "Router " + routerPath + " does not exist, and spec.egress.nat.useExistingRouter is true:"
          + " create it, or set useExistingRouter: false to let the operator create it.");
    }
    if (router == null) {
      Ledger.Key natKey = NATS.key(natPath);
      if (!pass.ledger.recordCreating(natKey, desired)) {
        return Pass.ledgerFull(natKey);
      }
      return ROUTERS.converge(pass, routerPath, desiredRouter, null, natKey);
    }
    if (!spec.getUseExistingRouter()) {
      PartResult ours = ROUTERS.converge(pass, routerPath, desiredRouter, router);
      if (!ours.isReady()) {
        return ours;
      }
    }
    PartResult nat = NATS.converge(pass, natPath, desired, observed);
    return !nat.isReady() ? nat : PartResult.ready("Ready", natName + " translates " + desired.getSourceSubnetworkIpRangesToNat()
        + (addresses.ips().isEmpty() ? " with automatically allocated IPs." : " to " + String.join(", ", addresses.ips()) + "."));
  }

  /**
   * A static address that another router's NAT holds, confirmed by a GET: the cached list may still
   * show the user of a moment ago (a stale NAT of this resource, just deleted).
   */
  private static Optional<Address> addressInUse(Pass pass, AddressPart.Addresses addresses, String routerPath) {
    return addresses.usedByAnotherRouter(routerPath).flatMap(listed -> {
      String path = pass.targets.addressPath(listed.getName());
      AddressPart.KIND.reread(pass, path);
      return Optional.ofNullable(AddressPart.KIND.observe(pass, path)).filter(fresh -> AddressPart.Addresses.usedByAnotherRouter(fresh, routerPath));
    });
  }

  /**
   * Cloud Routers, by their path projects/P/regions/R/routers/NAME. The operator sets nothing on a
   * router it made but its NATs; it deletes one only once nothing is on it (no NAT, interface or
   * BGP peer: its own NATs are deleted first), since anything else on it is someone else's configuration.
   */
  static final ObjectKind<Router> ROUTERS = new RegionalComputeKind<>(Ledger.Kind.ROUTER, PART, "Router") {
    @Override
    Map<String, Router> listed(Pass pass, String project, String region) {
      return pass.inventory.routers(project, region);
    }

    @Override
    Router get(Pass pass, String project, String region, String name) {
      return pass.services.gcp().routers.get(project, region, name);
    }

    @Override
    String descriptionOf(Router router) {
      return router.getDescription();
    }

    @Override
    String insert(Pass pass, String project, String region, Router desired, String requestId) {
      return pass.services.gcp().routers.insertCallable().call(InsertRouterRequest.newBuilder()
          .setProject(project).setRegion(region).setRouterResource(desired).setRequestId(requestId).build()).getName();
    }

    @Override
    String delete(Pass pass, String project, String region, String name, String requestId) {
      return pass.services.gcp().routers.deleteCallable().call(DeleteRouterRequest.newBuilder()
          .setProject(project).setRegion(region).setRouter(name).setRequestId(requestId).build()).getName();
    }

    @Override
    String keptBecause(Router router) {
      List<String> others = new ArrayList<>();
      router.getNatsList().forEach(n -> others.add("NAT " + n.getName()));
      router.getInterfacesList().forEach(i -> others.add("interface " + i.getName()));
      router.getBgpPeersList().forEach(p -> others.add("BGP peer " + p.getName()));
      return others.isEmpty() ? null : "it also carries " + String.join(", ", others) + ", which this resource did not put there.";
    }

    @Override
    String notOwnedFix() {
      return "Set spec.egress.nat.useExistingRouter: true to add the NAT to it, or spec.adoptExisting: true to manage it.";
    }
  };

  /**
   * Cloud NATs, by their path ROUTER_PATH/nats/NAME. A NAT is no resource of its own but an entry
   * of its router's nats[]: it is created, changed and deleted by rewriting the router, and carries
   * no marker.
   */
  static final ObjectKind<RouterNat> NATS = new ObjectKind<>(Ledger.Kind.NAT, PART, Operations.Api.COMPUTE, "NAT", false) {
    @Override
    RouterNat observe(Pass pass, String name) {
      Router router = ROUTERS.observe(pass, routerOf(name));
      return router == null ? null : natOf(router, natNameOf(name));
    }

    @Override
    void reread(Pass pass, String name) {
      ROUTERS.reread(pass, routerOf(name));
    }

    /** A router insert in flight makes the NAT too: it is settled first. */
    @Override
    Optional<PartResult> settle(Pass pass, String name) {
      return ROUTERS.settle(pass, routerOf(name)).or(() -> super.settle(pass, name));
    }

    @Override
    boolean createsByInsert() {
      return false;
    }

    /** Added to the router read afresh; one of its name there already (the listed router was older) is replaced. */
    @Override
    String startCreate(Pass pass, String name, RouterNat desired) {
      return startUpdate(pass, name, desired, null, List.of());
    }

    @Override
    String startUpdate(Pass pass, String name, RouterNat desired, RouterNat observed, List<String> fields) {
      return rewriteNats(pass, routerOf(name), name, nats -> {
        nats.removeIf(n -> n.getName().equals(desired.getName()));
        nats.add(desired);
      });
    }

    @Override
    String startDelete(Pass pass, String name) {
      return rewriteNats(pass, routerOf(name), name, nats -> nats.removeIf(n -> n.getName().equals(natNameOf(name))));
    }

    @Override
    List<String> differences(RouterNat desired, RouterNat observed) {
      return RouterNatPart.differences(desired, observed);
    }

    @Override
    String notOwnedFix() {
      return "Set spec.egress.nat.existing: true to use it as it is, or spec.adoptExisting: true to manage it.";
    }
  };

  private static String routerOf(String natPath) {
    return ResourceNames.parent(natPath);
  }

  private static String natNameOf(String natPath) {
    return ResourceNames.id(natPath);
  }

  /**
   * Reads the router afresh and writes it back whole (routers.update) with its nats changed: a
   * merge patch cannot express an empty nats[], and other NATs on a shared router must survive.
   * One router is rewritten by one thread at a time.
   */
  private static String rewriteNats(Pass pass, String routerPath, String target, java.util.function.Consumer<List<RouterNat>> edit) {
    String project = ResourceNames.project(routerPath);
    String region = ResourceNames.region(routerPath);
    String router = ResourceNames.id(routerPath);
    synchronized (routerPath.intern()) {
      Router current = pass.services.gcp().routers.get(project, region, router);
      List<RouterNat> nats = new ArrayList<>(current.getNatsList());
      edit.accept(nats);
      Router updated = current.toBuilder().clearNats().addAllNats(nats).build();
      return pass.regionalOperation(project, region, pass.services.gcp().routers.updateCallable().call(UpdateRouterRequest.newBuilder()
          .setProject(project)
          .setRegion(region)
          .setRouter(router)
          .setRouterResource(updated)
          .setRequestId(pass.requestId(PART, target))
          .build()).getName());
    }
  }

  private static void report(Pass pass, String routerPath, RouterNat observed, AddressPart.Addresses addresses) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    NatStatus status = pass.status.getNat() != null ? pass.status.getNat() : new NatStatus();
    pass.status.setNat(status);
    status.setRouter(routerPath);
    status.setName(spec.getName());
    status.setSharedBy(pass.claims.claimants(Claims.NAT, pass.cr).size());
    status.setSourceRanges(observed == null ? null : observed.getSourceSubnetworkIpRangesToNat());
    status.setNatIPs(observed == null || observed.getNatIpsCount() == 0 ? new ArrayList<>() : new ArrayList<>(addresses.ips()));
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
    return urls.stream().map(ResourceNames::id).sorted().toList();
  }

  private static RouterNat natOf(Router router, String name) {
    return router.getNatsList().stream().filter(n -> n.getName().equals(name)).findFirst().orElse(null);
  }


}
