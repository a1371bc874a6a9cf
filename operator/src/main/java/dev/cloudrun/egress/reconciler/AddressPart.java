package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.DeleteAddressRequest;
import com.google.cloud.compute.v1.InsertAddressRequest;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.Operations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The static external addresses of a Static NAT: reserved before the NAT uses them, released after. */
final class AddressPart {
  static final String PART = "address";

  private AddressPart() {}

  /** The addresses once all are reserved; otherwise why not yet. */
  record Addresses(PartResult result, List<Address> reserved) {
    static Addresses none(PartResult result) {
      return new Addresses(result, List.of());
    }

    List<String> ips() {
      return reserved.stream().map(Address::getAddress).toList();
    }

    List<String> selfLinks() {
      return reserved.stream().map(Address::getSelfLink).toList();
    }

    /**
     * A reserved address that a router other than {@code routerPath} uses: GCP lets an address
     * serve one NAT, and refuses a second with resourceInUseByAnotherResource.
     */
    Optional<Address> usedByAnotherRouter(String routerPath) {
      return reserved.stream().filter(a -> usedByAnotherRouter(a, routerPath)).findFirst();
    }

    static boolean usedByAnotherRouter(Address address, String routerPath) {
      return address.getUsersList().stream().anyMatch(user -> !user.endsWith("/" + routerPath));
    }
  }

  static Addresses reconcile(Pass pass, Claims claims) {
    NatSpec nat = pass.cr.getSpec().getEgress().getNat();
    if (nat == null || nat.getExisting() || nat.getIpAllocation() != NatSpec.IpAllocation.Static) {
      return Addresses.none(PartResult.ready("NotUsed", "No static addresses."));
    }
    Map<String, Address> addresses = pass.inventory.addresses(pass.targets.networkProject(), pass.targets.region());
    List<Address> reserved = new ArrayList<>();
    PartResult pending = null;
    for (NatSpec.AddressRef ref : nat.getAddresses()) {
      PartResult result = reconcileOne(pass, claims, addresses, ref);
      if (result.isReady()) {
        reserved.add(addresses.get(ref.getName()));
      } else if (pending == null || result.progress() == PartResult.Progress.BLOCKED) {
        pending = result;
      }
    }
    return new Addresses(pending != null ? pending : PartResult.ready("Ready", "Static addresses "
        + reserved.stream().map(Address::getAddress).collect(Collectors.joining(", ")) + " are reserved."), reserved);
  }

  private static PartResult reconcileOne(Pass pass, Claims claims, Map<String, Address> addresses, NatSpec.AddressRef ref) {
    String target = pass.targets.addressPath(ref.getName());
    Ledger.Key key = new Ledger.Key(Ledger.Kind.ADDRESS, target);
    Optional<PartResult> settling = pass.settle(PART, target, Operations.Api.COMPUTE, () -> Pass.reread(addresses, ref.getName(), () -> pass.services.gcp().addresses.get(pass.targets.networkProject(), pass.targets.region(), ref.getName())));
    if (settling.isPresent()) {
      return settling.get();
    }
    Address observed = addresses.get(ref.getName());
    if (observed == null) {
      if (ref.getExisting()) {
        return PartResult.blocked("AddressNotFound", "Address " + target + " does not exist and is marked existing:"
            + " reserve it, or remove existing: true to let the operator reserve it.");
      }
      if (!claims.isDefiner(Claims.NAT, pass.cr)) {
        return claims.waitingFor(Claims.NAT, pass.cr, "WaitingForSharedNat", "Address " + target + " is being reserved for "
            + Ownership.owner(claims.definer(Claims.NAT, pass.cr)) + ", which shares the NAT that uses it.");
      }
      if (!pass.ledger.record(key, Ledger.State.Creating)) {
        return Pass.ledgerFull(key);
      }
      Address desired = Address.newBuilder()
          .setName(ref.getName())
          .setAddressType("EXTERNAL")
          .setNetworkTier("PREMIUM")
          .setDescription(Ownership.description(pass.cr))
          .build();
      PartResult creating = pass.create(PART, target, () -> pass.regionalOperation(pass.services.gcp().addresses.insertCallable().call(
          InsertAddressRequest.newBuilder()
              .setProject(pass.targets.networkProject())
              .setRegion(pass.targets.region())
              .setAddressResource(desired)
              .setRequestId(pass.requestId(PART, target))
              .build()).getName()));
      if (pass.started(PART, target)) {
        pass.ledger.record(key, Ledger.State.Created); // GCP accepted this resource's create: the others sharing the NAT may claim it
      }
      return creating;
    }
    if (!ref.getExisting() && !Ownership.mayManage(pass, key, Ownership.markerOf(observed.getDescription()), false)) {
      return PartResult.blocked("NotOwned", "Address " + target + " exists but this operator did not reserve it; it is left untouched."
          + " Mark it existing: true in spec.egress.nat.addresses to use it, or set spec.adoptExisting: true.");
    }
    if (observed.getAddress().isEmpty()) {
      return PartResult.progressing("Reserving", "Address " + target + " is " + observed.getStatus() + ".");
    }
    return PartResult.ready("Ready", "Address " + target + " is " + observed.getAddress() + ".");
  }

  /** The address of the ledger named {@code name}, released as {@link Release} deletes it (after the NAT that used it). */
  static OwnedObject owned(Pass pass, String name) {
    String[] path = name.split("/");
    Map<String, Address> addresses = pass.inventory.addresses(path[1], path[3]);
    return new OwnedObject(pass, PART, name, Operations.Api.COMPUTE,
        () -> Pass.reread(addresses, path[5], () -> pass.services.gcp().addresses.get(path[1], path[3], path[5]))) {
      @Override
      boolean exists() {
        return addresses.containsKey(path[5]);
      }

      @Override
      String marker() {
        return Ownership.markerOf(addresses.get(path[5]).getDescription());
      }

      @Override
      String startDelete() {
        return pass.regionalOperation(path[1], path[3], pass.services.gcp().addresses.deleteCallable().call(DeleteAddressRequest.newBuilder()
            .setProject(path[1]).setRegion(path[3]).setAddress(path[5]).setRequestId(pass.requestId(PART, name)).build()).getName());
      }
    };
  }
}
