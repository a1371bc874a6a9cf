package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;

/** A Cloud NAT gateway on a Cloud Router, in the job's region and network. */
@Data
@ValidationRule(
    value = "self.ipAllocation != 'Static' || (has(self.addresses) && size(self.addresses) > 0)",
    message = "spec.egress.nat.ipAllocation Static needs at least one entry in spec.egress.nat.addresses (the static egress IPs), or use ipAllocation: Auto",
    fieldPath = ".addresses")
@ValidationRule(
    value = "self.ipAllocation == 'Static' || !has(self.addresses) || size(self.addresses) == 0",
    message = "spec.egress.nat.addresses are only used with ipAllocation: Static; set ipAllocation: Static or remove addresses",
    fieldPath = ".addresses")
@ValidationRule(
    value = "(has(self.covers) && self.covers == 'ListedSubnetworks') == (has(self.subnetworks) && size(self.subnetworks) > 0)",
    message = "spec.egress.nat.subnetworks is required with covers: ListedSubnetworks and only allowed with it",
    fieldPath = ".subnetworks")
@ValidationRule(
    value = "!self.existing || (!self.useExistingRouter && !has(self.addresses) && !has(self.covers) && !has(self.subnetworks))",
    message = "spec.egress.nat: an existing NAT is used as it is; remove useExistingRouter, addresses, covers and subnetworks, or set existing: false to let the operator manage it")
public class NatSpec {

  @Required
  @Size(max = 63)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.GCE_NAME + "')",
      message = "spec.egress.nat.router must be a Cloud Router name: lowercase letters, digits and hyphens, starting with a letter, at most 63")
  @JsonPropertyDescription("Cloud Router that carries the NAT, in the job's region and network. Created by the operator unless useExistingRouter or existing is set. Jobs naming the same router and NAT share them.")
  private String router;

  @Default("false")
  @JsonPropertyDescription("True when the router exists and is managed elsewhere: the operator adds and manages only its own NAT on it and never changes or deletes the router.")
  private Boolean useExistingRouter = false;

  @Required
  @Size(max = 63)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.GCE_NAME + "')",
      message = "spec.egress.nat.name must be a NAT name: lowercase letters, digits and hyphens, starting with a letter, at most 63")
  @JsonPropertyDescription("Name of the NAT gateway on the router.")
  private String name;

  @Default("false")
  @JsonPropertyDescription("True when the NAT already exists and is managed elsewhere: the operator only reads it (egress IPs, coverage) and never changes it.")
  private Boolean existing = false;

  @Default("Auto")
  @JsonPropertyDescription("How NAT gets its external IPs. Auto (default): Google allocates and may change them. Static: the reserved addresses listed in addresses, so the egress IPs are known and can be allowlisted.")
  private IpAllocation ipAllocation = IpAllocation.Auto;

  @Size(max = 16)
  @JsonPropertyDescription("Static external addresses for ipAllocation: Static. The operator reserves each one unless it is marked existing.")
  private List<AddressRef> addresses;

  @Default("None")
  @JsonPropertyDescription("NAT logging: None (default), ErrorsOnly, TranslationsOnly or All.")
  private Logging logging = Logging.None;

  @JsonPropertyDescription("Which source ranges the NAT translates. Unset: the operator covers the connector's traffic (AllSubnetworks for a connector on an ipCidrRange, whose subnet is hidden; the connector's or Direct VPC subnet otherwise). AllSubnetworks, AllPrimaryRanges, or ListedSubnetworks with subnetworks.")
  private Coverage covers;

  @Size(max = 32)
  @ValidationRule(
      value = "self.all(s, s.matches('" + CelPatterns.GCE_NAME + "'))",
      message = "spec.egress.nat.subnetworks must be subnet names: lowercase letters, digits and hyphens, starting with a letter, at most 63 each")
  @JsonPropertyDescription("Subnets to translate when covers is ListedSubnetworks (all their IP ranges).")
  private List<@Size(max = 63) String> subnetworks;

  public enum IpAllocation {
    Auto,
    Static
  }

  public enum Logging {
    None,
    ErrorsOnly,
    TranslationsOnly,
    All
  }

  public enum Coverage {
    AllSubnetworks,
    AllPrimaryRanges,
    ListedSubnetworks
  }

  /** A regional static external IP address for the NAT. */
  @Data
  public static class AddressRef {
    @Required
    @Size(max = 63)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.GCE_NAME + "')",
        message = "spec.egress.nat.addresses[].name must be an address name: lowercase letters, digits and hyphens, starting with a letter, at most 63")
    @JsonPropertyDescription("Name of the regional external address.")
    private String name;

    @Default("false")
    @JsonPropertyDescription("True when the address is already reserved and managed elsewhere: the operator uses it and never releases it.")
    private Boolean existing = false;
  }
}
