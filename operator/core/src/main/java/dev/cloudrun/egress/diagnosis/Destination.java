package dev.cloudrun.egress.diagnosis;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.util.List;

/**
 * A destination of spec.diagnosis as the predictor and the probe see it: the text the user wrote,
 * the host the probe connects to (a CIDR's first host address), the port, and whether Cloud Run
 * counts it as private. {@code address} is empty for a host name, whose address the operator
 * cannot know.
 */
public record Destination(String text, String host, IPAddress address, int port, boolean isPrivate) {
  static final int DEFAULT_PORT = 443;

  /**
   * What Cloud Run's private-ranges-only sends into the VPC: RFC 1918, RFC 6598 (100.64.0.0/10),
   * Class E (240.0.0.0/4) and the private.googleapis.com / restricted.googleapis.com VIPs.
   */
  static final List<IPAddress> PRIVATE_RANGES = List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
      "100.64.0.0/10", "240.0.0.0/4", "199.36.153.4/30", "199.36.153.8/30").stream().map(Destination::cidr).toList();

  /** Host names ending in one of these (or in .internal) are private. */
  static Destination parse(String text, List<String> privateDomains) {
    String target = text;
    int port = DEFAULT_PORT;
    int colon = text.lastIndexOf(':');
    if (colon > 0) {
      target = text.substring(0, colon);
      port = Integer.parseInt(text.substring(colon + 1));
    }
    IPAddressString literal = new IPAddressString(target);
    if (literal.isIPv4()) {
      IPAddress block = literal.getAddress().toPrefixBlock();
      IPAddress probed = block.isMultiple() ? block.getLower().increment(1).withoutPrefixLength() : block.withoutPrefixLength();
      boolean isPrivate = PRIVATE_RANGES.stream().anyMatch(r -> r.contains(block));
      return new Destination(text, probed.toCanonicalString(), probed, port, isPrivate);
    }
    String host = target.toLowerCase();
    boolean isPrivate = host.endsWith(".internal")
        || privateDomains.stream().anyMatch(d -> host.equals(d) || host.endsWith("." + d));
    return new Destination(text, host, null, port, isPrivate);
  }

  static IPAddress cidr(String text) {
    return new IPAddressString(text).getAddress().toPrefixBlock();
  }

  /** The probe's argument for this destination. */
  String probeCheck() {
    return "dest:" + host + ":" + port;
  }
}
