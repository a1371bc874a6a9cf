package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.DeleteAddressRequest;
import com.google.cloud.compute.v1.InsertAddressRequest;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
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

  static Addresses reconcile(Pass pass) {
    NatSpec nat = pass.cr.getSpec().getEgress().getNat();
    if (nat == null || nat.getExisting() || nat.getIpAllocation() != NatSpec.IpAllocation.Static) {
      return Addresses.none(PartResult.ready("NotUsed", "No static addresses."));
    }
    List<Address> reserved = new ArrayList<>();
    PartResult pending = null;
    for (NatSpec.AddressRef ref : nat.getAddresses()) {
      PartResult result = reconcileOne(pass, ref);
      if (result.isReady()) {
        reserved.add(KIND.observe(pass, pass.targets.addressPath(ref.getName())));
      } else if (pending == null || result.progress() == PartResult.Progress.BLOCKED) {
        pending = result;
      }
    }
    return new Addresses(pending != null ? pending : PartResult.ready("Ready", "Static addresses "
        + reserved.stream().map(Address::getAddress).collect(Collectors.joining(", ")) + " are reserved."), reserved);
  }

  private static PartResult reconcileOne(Pass pass, NatSpec.AddressRef ref) {
    String target = pass.targets.addressPath(ref.getName());
    Optional<PartResult> settling = KIND.settle(pass, target);
    if (settling.isPresent()) {
      return settling.get();
    }
    Address observed = KIND.observe(pass, target);
    if (ref.getExisting()) {
      return observed != null ? KIND.state(target, observed) : PartResult.blocked("AddressNotFound", "Address " + target
          + " does not exist and is marked existing: reserve it, or remove existing: true to let the operator reserve it.");
    }
    if (observed == null && !pass.claims.isDefiner(Claims.NAT, pass.cr)) {
      return pass.claims.waitingFor(Claims.NAT, pass.cr, "WaitingForSharedNat", "Address " + target + " is being reserved for "
          + Ownership.owner(pass.claims.definer(Claims.NAT, pass.cr)) + ", which shares the NAT that uses it.");
    }
    Address desired = Address.newBuilder()
        .setName(ref.getName())
        .setAddressType("EXTERNAL")
        .setNetworkTier("PREMIUM")
        .setDescription(Ownership.description(pass.cr))
        .build();
    return KIND.converge(pass, target, desired, observed);
  }

  /** Regional static addresses, by their path projects/P/regions/R/addresses/NAME. */
  static final ObjectKind<Address> KIND = new RegionalComputeKind<>(Ledger.Kind.ADDRESS, PART, "Address") {
    @Override
    Map<String, Address> listed(Pass pass, String project, String region) {
      return pass.inventory.addresses(project, region);
    }

    @Override
    Address get(Pass pass, String project, String region, String name) {
      return pass.services.gcp().addresses.get(project, region, name);
    }

    @Override
    String descriptionOf(Address address) {
      return address.getDescription();
    }

    @Override
    String insert(Pass pass, String project, String region, Address desired, String requestId) {
      return pass.services.gcp().addresses.insertCallable().call(InsertAddressRequest.newBuilder()
          .setProject(project).setRegion(region).setAddressResource(desired).setRequestId(requestId).build()).getName();
    }

    @Override
    String delete(Pass pass, String project, String region, String name, String requestId) {
      return pass.services.gcp().addresses.deleteCallable().call(DeleteAddressRequest.newBuilder()
          .setProject(project).setRegion(region).setAddress(name).setRequestId(requestId).build()).getName();
    }

    @Override
    PartResult state(String name, Address observed) {
      return observed.getAddress().isEmpty()
          ? PartResult.progressing("Reserving", "Address " + name + " is " + observed.getStatus() + ".")
          : PartResult.ready("Ready", "Address " + name + " is " + observed.getAddress() + ".");
    }

    @Override
    String notOwnedFix() {
      return "Mark it existing: true in spec.egress.nat.addresses to use it, or set spec.adoptExisting: true.";
    }
  };
}
