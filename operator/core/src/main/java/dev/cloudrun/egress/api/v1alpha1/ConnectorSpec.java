package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** A Serverless VPC Access connector: created and owned by the operator, or an existing one it only uses. */
@Data
@ValidationRule(
    value = "!self.existing || (!has(self.ipCidrRange) && !has(self.subnet) && !has(self.machineType) && !has(self.minInstances) && !has(self.maxInstances))",
    message = "spec.egress.connector: an existing connector is used as it is; remove ipCidrRange, subnet, machineType, minInstances and maxInstances, or set existing: false to let the operator manage it")
@ValidationRule(
    value = "self.existing || has(self.ipCidrRange) != has(self.subnet)",
    message = "spec.egress.connector must set exactly one of ipCidrRange (an unused /28, e.g. 10.8.0.0/28) or subnet (an existing /28 subnet)")
@ValidationRule(
    value = "(has(self.minInstances) ? self.minInstances : 2) < (has(self.maxInstances) ? self.maxInstances : 10)",
    message = "spec.egress.connector.minInstances must be lower than maxInstances (defaults 2 and 10)",
    fieldPath = ".minInstances")
@ValidationRule(
    value = "self.replacePolicy == 'Recreate' || self.existing || oldSelf.existing || self.name != oldSelf.name || ((has(self.ipCidrRange) ? self.ipCidrRange : '') == (has(oldSelf.ipCidrRange) ? oldSelf.ipCidrRange : '') && (has(self.subnet) ? self.subnet.name : '') == (has(oldSelf.subnet) ? oldSelf.subnet.name : ''))",
    message = "spec.egress.connector ipCidrRange and subnet cannot change in place: set replacePolicy: Recreate to let the operator delete and recreate the connector (the job loses egress meanwhile), or give the connector a new name",
    fieldPath = ".ipCidrRange")
@ValidationRule(
    value = "self.replacePolicy == 'Recreate' || self.existing || oldSelf.existing || self.name != oldSelf.name || ((has(self.minInstances) ? self.minInstances : 2) >= (has(oldSelf.minInstances) ? oldSelf.minInstances : 2) && (has(self.maxInstances) ? self.maxInstances : 10) >= (has(oldSelf.maxInstances) ? oldSelf.maxInstances : 10))",
    message = "spec.egress.connector minInstances and maxInstances can only grow in place (a connector never scales in): set replacePolicy: Recreate to delete and recreate it smaller, or keep the current values",
    fieldPath = ".minInstances")
public class ConnectorSpec {

  @Required
  @Size(max = 120)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.CONNECTOR_ID + "') || self.matches('" + CelPatterns.CONNECTOR_PATH + "')",
      message = "spec.egress.connector.name must be a connector name of at most 25 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (e.g. vpc-conn-europe), or projects/HOST/locations/REGION/connectors/NAME for a Shared VPC")
  @JsonPropertyDescription("Connector name (--vpc-connector), or projects/HOST/locations/REGION/connectors/NAME for a connector in a Shared VPC host project. Jobs in the same project, region and network that name the same connector share it.")
  private String name;

  @Default("false")
  @JsonPropertyDescription("True when the connector already exists and is managed elsewhere: the operator only uses it and never creates, changes or deletes it.")
  private Boolean existing = false;

  @Size(max = 18)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.IPV4_SLASH_28 + "')",
      message = "spec.egress.connector.ipCidrRange must be an IPv4 /28 starting on its block boundary (last octet a multiple of 16), e.g. 10.8.0.0/28")
  @JsonPropertyDescription("An unused /28 in the network for the connector's instances, e.g. 10.8.0.0/28 (--range). Its subnet is hidden, so a NAT must cover all subnetworks. Only for a connector in the network's own project: a connector in a Shared VPC service project needs subnet. Exactly one of ipCidrRange or subnet.")
  private String ipCidrRange;

  @JsonPropertyDescription("An existing /28 subnet for the connector (--subnet, --subnet-project). Exactly one of ipCidrRange or subnet.")
  private SubnetRef subnet;

  @JsonPropertyDescription("Machine type of the connector's instances: f1-micro, e2-micro (default) or e2-standard-4.")
  private MachineType machineType;

  @Min(2)
  @Max(9)
  @JsonPropertyDescription("Minimum instances, 2-9 (default 2). Can only grow in place.")
  private Integer minInstances;

  @Min(3)
  @Max(10)
  @JsonPropertyDescription("Maximum instances, 3-10 (default 10), greater than minInstances. Can only grow in place.")
  private Integer maxInstances;

  @Default("Never")
  @JsonPropertyDescription("What to do when a change cannot be made in place (range, subnet, fewer instances). Never (default): refuse and report ReplacementRequired. Recreate: delete and recreate the connector once no other job uses it.")
  private ReplacePolicy replacePolicy = ReplacePolicy.Never;

  public enum MachineType {
    @JsonProperty("f1-micro")
    F1_MICRO,
    @JsonProperty("e2-micro")
    E2_MICRO,
    @JsonProperty("e2-standard-4")
    E2_STANDARD_4
  }

  public enum ReplacePolicy {
    Never,
    Recreate
  }

  /** An existing subnet, possibly in a Shared VPC host project. */
  @Data
  public static class SubnetRef {
    @Required
    @Size(max = 63)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.GCE_NAME + "')",
        message = "subnet name must be a Compute Engine name: lowercase letters, digits and hyphens, starting with a letter, at most 63")
    @JsonPropertyDescription("Subnet name (short name, not a URL). The subnet must be a /28 in the connector's region and network.")
    private String name;

    @Size(max = 30)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.PROJECT + "')",
        message = "subnet project must be a GCP project ID such as my-host-project")
    @JsonPropertyDescription("Project that holds the subnet (the Shared VPC host project). Defaults to the project of spec.egress.network (spec.project for a network given by name).")
    private String project;
  }
}
