package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/**
 * The path the job's outbound traffic takes: into a VPC network through a Serverless VPC Access
 * connector or Direct VPC egress, out to the internet through Cloud NAT, filtered by firewall rules.
 */
@Data
@ValidationRule(
    value = "has(self.connector) != has(self.directVpc)",
    message = "spec.egress must set exactly one of connector (Serverless VPC Access) or directVpc (Direct VPC egress): Cloud Run cannot combine them")
@ValidationRule(
    value = "!has(self.firewall) || has(self.connector) || (has(self.directVpc.networkTags) && size(self.directVpc.networkTags) > 0)",
    message = "spec.egress.firewall needs a network tag to target: with directVpc set spec.egress.directVpc.networkTags, or remove spec.egress.firewall",
    fieldPath = ".firewall")
public class EgressSpec {

  @Default("PrivateRangesOnly")
  @JsonPropertyDescription("Which traffic goes into the VPC (--vpc-egress). PrivateRangesOnly (default): only private destinations; public traffic leaves from Google's network with an unpredictable IP. AllTraffic: everything, so public destinations leave through Cloud NAT with a known IP.")
  private VpcEgress vpcEgress = VpcEgress.PrivateRangesOnly;

  @Required
  @Size(max = 119) // the longest network path: projects/ + 30 + /global/networks/ + 63
  @ValidationRule(
      value = "self.matches('" + CelPatterns.GCE_NAME + "') || self.matches('" + CelPatterns.NETWORK_PATH + "')",
      message = "spec.egress.network must be a VPC network name such as default, or projects/HOST_PROJECT/global/networks/NAME for a Shared VPC")
  @ValidationRule(
      value = "self == oldSelf",
      message = "spec.egress.network is immutable: the connector, router and firewall rules live in one network; create a new CloudRunEgressJob for the other network and delete this one")
  @JsonPropertyDescription("VPC network the traffic enters, and where the connector, router, NAT and firewall rules live: a name, or projects/HOST/global/networks/NAME for a Shared VPC. Immutable.")
  private String network;

  @JsonPropertyDescription("Serverless VPC Access connector (--vpc-connector). Exactly one of connector or directVpc.")
  private ConnectorSpec connector;

  @JsonPropertyDescription("Direct VPC egress (--network, --subnet, --network-tags): the job's instances get addresses in a subnet of the network. Exactly one of connector or directVpc.")
  private DirectVpcSpec directVpc;

  @JsonPropertyDescription("Cloud Router and Cloud NAT that translate the VPC traffic to the internet. Needed for public destinations with AllTraffic or Direct VPC egress.")
  private NatSpec nat;

  @JsonPropertyDescription("Egress firewall rules that narrow what the connector (or the Direct VPC network tags) may reach.")
  private FirewallSpec firewall;

  public enum VpcEgress {
    AllTraffic,
    PrivateRangesOnly
  }
}
