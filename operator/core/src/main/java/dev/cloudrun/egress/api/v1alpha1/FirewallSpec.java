package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;

/**
 * Egress firewall rules for the job's traffic in the VPC. They target the connector's network tag
 * (vpc-connector-REGION-NAME) or the Direct VPC network tags.
 */
@Data
@ValidationRule(
    value = "self.allowPriority < self.denyPriority",
    message = "spec.egress.firewall.allowPriority must be a lower number than denyPriority so the allow rules win over the least-privilege deny",
    fieldPath = ".allowPriority")
@ValidationRule(
    value = "!has(self.allow) || self.allow.all(a, self.allow.exists_one(b, b.name == a.name))",
    message = "spec.egress.firewall.allow names must be unique: each becomes its own firewall rule",
    fieldPath = ".allow")
public class FirewallSpec {

  @Default("false")
  @JsonPropertyDescription("Least privilege: also create a rule that denies all other egress from the job's network tag at denyPriority, which beats the implied allow-all egress rule at 65535. With a connector, also an allow rule at allowPriority for the connector's own traffic to Google's serverless infrastructure (tcp:667, udp:665-666 and icmp to 35.199.224.0/19), which the deny would otherwise cut off.")
  private Boolean leastPrivilege = false;

  @Default("900")
  @Min(0)
  @Max(65534)
  @JsonPropertyDescription("Priority of the allow rules (lower wins). Default 900.")
  private Integer allowPriority = 900;

  @Default("950")
  @Min(1)
  @Max(999)
  @JsonPropertyDescription("Priority of the least-privilege deny rule (lower wins). It beats the implied allow-all egress rule at 65535, and at 1-999 also egress allow rules others made at the default priority 1000. Default 950.")
  private Integer denyPriority = 950;

  @Size(max = 20)
  @JsonPropertyDescription("Destinations the job may reach, one egress allow rule each.")
  private List<AllowRule> allow;

  public enum Protocol {
    @JsonProperty("tcp")
    TCP,
    @JsonProperty("udp")
    UDP,
    @JsonProperty("icmp")
    ICMP,
    @JsonProperty("all")
    ALL
  }

  /** One egress allow rule: where the job may go, on which protocol and ports. */
  @Data
  @ValidationRule(
      value = "!has(self.ports) || size(self.ports) == 0 || self.protocol in ['tcp', 'udp']",
      message = "spec.egress.firewall.allow[].ports are only allowed with protocol tcp or udp; remove ports or change the protocol",
      fieldPath = ".ports")
  public static class AllowRule {
    @Required
    @Size(max = 20)
    @ValidationRule(
        value = "self.matches('^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$')",
        message = "spec.egress.firewall.allow[].name must be at most 20 lowercase letters, digits and hyphens, starting with a letter (it becomes part of the firewall rule name)")
    @JsonPropertyDescription("Short name of the rule, unique in this list; part of the firewall rule's name.")
    private String name;

    @Required
    @Size(min = 1, max = 64)
    @ValidationRule(
        value = "self.all(r, r.matches('" + CelPatterns.IPV4_CIDR + "'))",
        message = "spec.egress.firewall.allow[].destinationRanges must be IPv4 CIDR ranges such as 140.82.112.0/20 or 10.20.0.0/16")
    @JsonPropertyDescription("Destination IPv4 ranges, e.g. GitHub's 140.82.112.0/20.")
    private List<@Size(max = 18) String> destinationRanges;

    @Default("tcp")
    @JsonPropertyDescription("tcp (default), udp, icmp or all.")
    private Protocol protocol = Protocol.TCP;

    @Size(max = 32)
    @ValidationRule(
        value = "self.all(p, p.matches('" + CelPatterns.PORT_OR_RANGE + "'))",
        message = "spec.egress.firewall.allow[].ports must be ports 1-65535 or ranges like 8000-8080, written as strings")
    @JsonPropertyDescription("Ports or port ranges, e.g. \"443\" or \"8000-8080\". Empty: all ports of the protocol.")
    private List<@Size(max = 11) String> ports;
  }
}
