package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;

/**
 * Direct VPC egress: the job's instances get addresses in a subnet of spec.egress.network. No
 * connector VMs to pay for, but the subnet needs room and routing and NAT are yours.
 */
@Data
public class DirectVpcSpec {

  @Required
  @Size(max = 63)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.GCE_NAME + "')",
      message = "spec.egress.directVpc.subnet must be a subnet name: lowercase letters, digits and hyphens, starting with a letter, at most 63")
  @JsonPropertyDescription("Subnet of spec.egress.network in the job's region that the job's instances take addresses from (--subnet).")
  private String subnet;

  @Size(max = 10)
  @ValidationRule(
      value = "self.all(t, t.matches('" + CelPatterns.GCE_NAME + "'))",
      message = "spec.egress.directVpc.networkTags must be network tags: lowercase letters, digits and hyphens, starting with a letter, at most 63 each")
  @JsonPropertyDescription("Network tags on the job's instances (--network-tags); firewall rules in spec.egress.firewall target them.")
  private List<@Size(max = 63) String> networkTags;
}
