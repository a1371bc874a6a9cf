package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;

/**
 * What the job must reach, so the operator can tell before the job runs whether the egress
 * configuration gets it there: predicted from the spec and GCP on every pass, and proved by an
 * optional probe job with the same network settings.
 */
@Data
public class DiagnosisSpec {

  @Size(max = 20)
  @ValidationRule(
      value = "self.all(d, d.matches('" + CelPatterns.DESTINATION + "'))",
      message = "spec.diagnosis.destinations must be HOST, IP or CIDR, each with an optional :PORT (default 443), e.g. github.com:443, 10.20.4.10:443 or 10.20.0.0/16")
  @ValidationRule(
      value = "self.all(d, self.exists_one(e, e == d))",
      message = "spec.diagnosis.destinations must be unique: each destination once")
  @JsonPropertyDescription("Destinations the job needs besides the metadata server (which is always checked): HOST[:PORT], IP[:PORT] or CIDR[:PORT], port 443 when omitted, e.g. github.com:443, nexus.corp.internal:443, 10.20.0.0/16. A host name is private when it ends in .internal or in one of privateDomains, public otherwise; give an IP to have firewall rules and routes checked against it.")
  private List<@Size(max = 260) String> destinations;

  @Size(max = 20)
  @ValidationRule(
      value = "self.all(d, d.matches('" + CelPatterns.DNS_NAME + "'))",
      message = "spec.diagnosis.privateDomains must be DNS suffixes such as corp.example.com (no leading dot, no wildcard)")
  @JsonPropertyDescription("DNS suffixes whose hosts have private addresses (besides .internal), e.g. corp.example.com: such destinations are routed like RFC 1918 addresses.")
  private List<@Size(max = 253) String> privateDomains;

  @JsonPropertyDescription("The live probe: a Cloud Run Job <job>-egress-probe with the job's egress settings, service account and proxy variables, one task per check.")
  private ProbeSpec probe;

  /** The live probe's settings. */
  @Data
  public static class ProbeSpec {
    @Default("false")
    @JsonPropertyDescription("Run the probe job (false by default): when a network-relevant part of the spec or the predicted paths change, and every interval.")
    private Boolean enabled = false;

    @Default(ProbeSpec.DEFAULT_IMAGE)
    @Size(max = 1024)
    @ValidationRule(
        value = "self.matches('" + CelPatterns.CONTAINER_IMAGE + "')",
        message = "spec.diagnosis.probe.image must be a container image reference with sh and curl, such as docker.io/curlimages/curl:8.11.1")
    @JsonPropertyDescription("Image the probe runs its script in; it needs only sh and curl. Default " + ProbeSpec.DEFAULT_IMAGE + ".")
    private String image = DEFAULT_IMAGE;

    @Default("24h")
    @Size(max = 20)
    @ValidationRule(
        value = "self != '' && self.matches('" + CelPatterns.DURATION + "') && duration(self) >= duration('10m') && duration(self) <= duration('720h')",
        message = "spec.diagnosis.probe.interval must be a duration between 10m and 720h written like 24h or 6h30m")
    @JsonPropertyDescription("How often the probe runs again when nothing changed, e.g. 24h (default), between 10m and 720h.")
    private String interval = "24h";

    @Default("10s")
    @Size(max = 10)
    @ValidationRule(
        value = "self != '' && self.matches('" + CelPatterns.DURATION + "') && duration(self) >= duration('1s') && duration(self) <= duration('60s')",
        message = "spec.diagnosis.probe.timeout must be a duration between 1s and 60s written like 10s")
    @JsonPropertyDescription("Time limit of each network request of a check, e.g. 10s (default), between 1s and 60s.")
    private String timeout = "10s";

    @Size(max = 200)
    @ValidationRule(
        value = "self.matches('^https?://[^ ]+$')",
        message = "spec.diagnosis.probe.egressIpEchoUrl must be an http(s) URL that answers with the caller's IP address in plain text, such as https://checkip.amazonaws.com")
    @JsonPropertyDescription("A public service that answers with the caller's IP in plain text (e.g. https://checkip.amazonaws.com). When set with spec.egress.nat, the probe also checks that public traffic leaves from the NAT's IPs: its static addresses, or with ipAllocation Auto (or an existing NAT) the IPs GCP allocated, read from the router's status. Unset: not checked.")
    private String egressIpEchoUrl;

    public static final String DEFAULT_IMAGE = "docker.io/curlimages/curl:8.11.1";
  }
}
