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
    List<String> subnets = coveredSubnets(pass.cr);
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

  static PartResult reconcile(Pass pass, Claims claims, AddressPart.Addresses addresses) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    if (spec == null) {
      pass.status.setNat(null);
      return PartResult.ready("NotUsed", "spec.egress.nat is not set: no Cloud NAT; public traffic that enters the VPC has no way out.");
    }
    String routerPath = pass.targets.routerPath(spec.getRouter());
    String natPath = pass.targets.natPath(spec.getRouter(), spec.getName());
    Ledger.Key routerKey = new Ledger.Key(Ledger.Kind.ROUTER, routerPath);
    Ledger.Key natKey = new Ledger.Key(Ledger.Kind.NAT, natPath);
    Map<String, Router> routers = pass.inventory.routers(pass.targets.networkProject(), pass.targets.region());
    Runnable reread = () -> Pass.reread(routers, spec.getRouter(), () -> pass.services.gcp().routers.get(pass.targets.networkProject(), pass.targets.region(), spec.getRouter()));
    Optional<PartResult> settling = pass.settle(PART, routerPath, Operations.Api.COMPUTE, reread)
        .or(() -> pass.settle(PART, natPath, Operations.Api.COMPUTE, reread));
    Router router = routers.get(spec.getRouter());
    RouterNat observed = router == null ? null : natOf(router, spec.getName());
    report(pass, claims, routerPath, observed, addresses);
    if (settling.isPresent()) {
      return settling.get();
    }
    String natName = "NAT " + spec.getName() + " on router " + routerPath;
    if (spec.getExisting()) {
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
      return claims.waitingFor(Claims.NAT, pass.cr, "WaitingForSharedNat", natName + " is being created for "
          + Ownership.owner(claims.definer(Claims.NAT, pass.cr)) + ", which shares it; this job uses it once it is there.");
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
    if (router == null) {
      if (spec.getUseExistingRouter()) {
        return PartResult.blocked("NotFound", "Router " + routerPath + " does not exist, and spec.egress.nat.useExistingRouter is true:"
            + " create it, or set useExistingRouter: false to let the operator create it.");
      }
      if (!pass.ledger.record(routerKey, Ledger.State.Creating) || !pass.ledger.recordCreating(natKey, desired)) {
        return Pass.ledgerFull(routerKey);
      }
      Router create = Router.newBuilder()
          .setName(spec.getRouter())
          .setNetwork(pass.targets.networkPath())
          .setDescription(Ownership.description(pass.cr))
          .addNats(desired)
          .build();
      return confirmedOnceStarted(pass, routerPath, List.of(routerKey, natKey), pass.create(PART, routerPath, () -> pass.regionalOperation(
          pass.services.gcp().routers.insertCallable().call(InsertRouterRequest.newBuilder()
              .setProject(pass.targets.networkProject())
              .setRegion(pass.targets.region())
              .setRouterResource(create)
              .setRequestId(pass.requestId(PART, routerPath))
              .build()).getName())));
    }
    if (!spec.getUseExistingRouter() && !Ownership.mayManage(pass, routerKey, Ownership.markerOf(router.getDescription()), false)) {
      return PartResult.blocked("NotOwned", "Router " + routerPath + " exists but this operator did not create it; it is left untouched."
          + " Set spec.egress.nat.useExistingRouter: true to add the NAT to it, or spec.adoptExisting: true to manage it.");
    }
    Supplier<String> write = () -> rewriteNats(pass, routerPath, natPath, nats -> {
      nats.removeIf(n -> n.getName().equals(spec.getName()));
      nats.add(desired);
    });
    if (observed == null) {
      if (!pass.ledger.recordCreating(natKey, desired)) {
        return Pass.ledgerFull(natKey);
      }
      // Added by a routers.update, whose 409 is a concurrent change of the router, never "already there".
      return confirmedOnceStarted(pass, natPath, List.of(natKey), pass.change(PART, Pass.CREATE, natPath, write));
    }
    List<String> drift = differences(desired, observed);
    if (!Ownership.mayManage(pass, natKey, Ownership.NO_MARKER_POSSIBLE, foundAsAsked(pass, natKey, observed))) {
      return PartResult.blocked("NotOwned", natName + " exists but this operator did not create it; it is left untouched."
          + " Set spec.egress.nat.existing: true to use it as it is, or spec.adoptExisting: true to manage it.");
    }
    if (drift.isEmpty()) {
      return PartResult.ready("Ready", natName + " translates " + desired.getSourceSubnetworkIpRangesToNat()
          + (addresses.ips().isEmpty() ? " with automatically allocated IPs." : " to " + String.join(", ", addresses.ips()) + "."));
    }
    return pass.correctDrift(PART, natName, drift, natPath, write);
  }

  /**
   * A static address that another router's NAT holds, confirmed by a GET: the cached list may still
   * show the user of a moment ago (a stale NAT of this resource, just deleted).
   */
  private static Optional<Address> addressInUse(Pass pass, AddressPart.Addresses addresses, String routerPath) {
    Map<String, Address> cached = pass.inventory.addresses(pass.targets.networkProject(), pass.targets.region());
    return addresses.usedByAnotherRouter(routerPath).flatMap(listed -> {
      Pass.reread(cached, listed.getName(), () -> pass.services.gcp().addresses.get(pass.targets.networkProject(), pass.targets.region(), listed.getName()));
      return Optional.ofNullable(cached.get(listed.getName())).filter(fresh -> AddressPart.Addresses.usedByAnotherRouter(fresh, routerPath));
    });
  }

  /** Whether {@code observed} is exactly the NAT this resource's recorded create of it asked for. */
  private static boolean foundAsAsked(Pass pass, Ledger.Key key, RouterNat observed) {
    return pass.ledger.request(key, RouterNat.newBuilder()).filter(asked -> differences(asked.build(), observed).isEmpty()).isPresent();
  }

  /** What a create makes is recorded as this resource's once GCP accepted the create, not when the intent is recorded. */
  private static PartResult confirmedOnceStarted(Pass pass, String target, List<Ledger.Key> made, PartResult creating) {
    if (pass.started(PART, target)) {
      made.forEach(key -> pass.ledger.record(key, Ledger.State.Created));
    }
    return creating;
  }

  /** The NAT of the ledger named {@code name} (ROUTER_PATH/nats/NAT), removed from its router as {@link Release} deletes it. */
  static OwnedObject ownedNat(Pass pass, String name) {
    String routerPath = name.substring(0, name.indexOf("/nats/"));
    String natName = name.substring(name.indexOf("/nats/") + "/nats/".length());
    RouterRef ref = RouterRef.of(pass, routerPath);
    return new OwnedObject(pass, PART, name, Operations.Api.COMPUTE, ref.reread) {
      @Override
      Optional<PartResult> settle() {
        // A router insert in flight makes the NAT too.
        return pass.settle(PART, routerPath, Operations.Api.COMPUTE, ref.reread).or(super::settle);
      }

      @Override
      boolean exists() {
        Router router = ref.routers.get(ref.name);
        return router != null && natOf(router, natName) != null;
      }

      @Override
      boolean foundAsAsked() {
        return RouterNatPart.foundAsAsked(pass, new Ledger.Key(Ledger.Kind.NAT, name), natOf(ref.routers.get(ref.name), natName));
      }

      @Override
      String marker() {
        return Ownership.NO_MARKER_POSSIBLE;
      }

      @Override
      String startDelete() {
        return rewriteNats(pass, routerPath, name, nats -> nats.removeIf(n -> n.getName().equals(natName)));
      }
    };
  }

  /**
   * The router of the ledger named {@code name}, as {@link Release} deletes it: only once nothing is
   * on it (no NAT, interface or BGP peer: its own NATs are deleted first), since anything else on it
   * is someone else's configuration.
   */
  static OwnedObject ownedRouter(Pass pass, String name) {
    RouterRef ref = RouterRef.of(pass, name);
    return new OwnedObject(pass, PART, name, Operations.Api.COMPUTE, ref.reread) {
      @Override
      boolean exists() {
        return ref.routers.containsKey(ref.name);
      }

      @Override
      String marker() {
        return Ownership.markerOf(ref.routers.get(ref.name).getDescription());
      }

      @Override
      String keptBecause() {
        Router router = ref.routers.get(ref.name);
        List<String> others = new ArrayList<>();
        router.getNatsList().forEach(n -> others.add("NAT " + n.getName()));
        router.getInterfacesList().forEach(i -> others.add("interface " + i.getName()));
        router.getBgpPeersList().forEach(p -> others.add("BGP peer " + p.getName()));
        return others.isEmpty() ? null : "it also carries " + String.join(", ", others) + ", which this resource did not put there.";
      }

      @Override
      String startDelete() {
        return pass.regionalOperation(ref.project, ref.region, pass.services.gcp().routers.deleteCallable().call(DeleteRouterRequest.newBuilder()
            .setProject(ref.project).setRegion(ref.region).setRouter(ref.name).setRequestId(pass.requestId(PART, name)).build()).getName());
      }
    };
  }

  /** A router named by its full path: its project, region and name, and the listed routers of that region. */
  private record RouterRef(String project, String region, String name, Map<String, Router> routers, Runnable reread) {
    static RouterRef of(Pass pass, String routerPath) {
      String[] path = routerPath.split("/");
      Map<String, Router> routers = pass.inventory.routers(path[1], path[3]);
      return new RouterRef(path[1], path[3], path[5], routers,
          () -> Pass.reread(routers, path[5], () -> pass.services.gcp().routers.get(path[1], path[3], path[5])));
    }
  }

  /**
   * Reads the router afresh and writes it back whole (routers.update) with its nats changed: a
   * merge patch cannot express an empty nats[], and other NATs on a shared router must survive.
   * One router is rewritten by one thread at a time.
   */
  private static String rewriteNats(Pass pass, String routerPath, String target, java.util.function.Consumer<List<RouterNat>> edit) {
    String[] path = routerPath.split("/");
    synchronized (routerPath.intern()) {
      Router current = pass.services.gcp().routers.get(path[1], path[3], path[5]);
      List<RouterNat> nats = new ArrayList<>(current.getNatsList());
      edit.accept(nats);
      Router updated = current.toBuilder().clearNats().addAllNats(nats).build();
      return pass.regionalOperation(path[1], path[3], pass.services.gcp().routers.updateCallable().call(UpdateRouterRequest.newBuilder()
          .setProject(path[1])
          .setRegion(path[3])
          .setRouter(path[5])
          .setRouterResource(updated)
          .setRequestId(pass.requestId(PART, target))
          .build()).getName());
    }
  }

  private static void report(Pass pass, Claims claims, String routerPath, RouterNat observed, AddressPart.Addresses addresses) {
    NatSpec spec = pass.cr.getSpec().getEgress().getNat();
    NatStatus status = pass.status.getNat() != null ? pass.status.getNat() : new NatStatus();
    pass.status.setNat(status);
    status.setRouter(routerPath);
    status.setName(spec.getName());
    status.setSharedBy(claims.claimants(Claims.NAT, pass.cr).size());
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
    return urls.stream().map(u -> u.substring(u.lastIndexOf('/') + 1)).sorted().toList();
  }

  private static RouterNat natOf(Router router, String name) {
    return router.getNatsList().stream().filter(n -> n.getName().equals(name)).findFirst().orElse(null);
  }


}
