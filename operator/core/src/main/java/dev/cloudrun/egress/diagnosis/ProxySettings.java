package dev.cloudrun.egress.diagnosis;

import dev.cloudrun.egress.api.v1alpha1.JobSpec;
import inet.ipaddr.IPAddressString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The job's proxy variables and whether they send metadata requests to a proxy. The metadata server
 * is plain HTTP, so HTTP_PROXY, http_proxy, ALL_PROXY and all_proxy apply to it (HTTPS_PROXY does
 * not); NO_PROXY / no_proxy must then cover both of its names, as curl, Python and Go match them:
 * comma-separated entries, "*" for everything, a domain covering its subdomains, an IP or CIDR.
 */
public final class ProxySettings {
  /** Every variable the probe job copies from the job. */
  public static final Set<String> NAMES = Set.of("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
      "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy");
  static final List<String> METADATA_HOSTS = List.of("metadata.google.internal", "169.254.169.254");
  private static final List<String> HTTP_PROXIES = List.of("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy");
  private static final List<String> NO_PROXIES = List.of("NO_PROXY", "no_proxy");

  /** Value of each proxy variable the job sets; null for one read from Secret Manager. */
  private final Map<String, String> variables = new LinkedHashMap<>();

  ProxySettings(JobSpec job) {
    if (job.getEnv() != null) {
      job.getEnv().stream().filter(e -> NAMES.contains(e.getName()) && e.getValue() != null && !e.getValue().isBlank())
          .forEach(e -> variables.put(e.getName(), e.getValue()));
    }
    if (job.getSecretEnv() != null) {
      job.getSecretEnv().stream().filter(s -> NAMES.contains(s.getName())).forEach(s -> variables.put(s.getName(), null));
    }
  }

  /** The verdict for the metadata check. */
  Prediction metadata() {
    List<String> proxies = HTTP_PROXIES.stream().filter(variables::containsKey).toList();
    String path = "the metadata server inside Cloud Run's sandbox (never routed through the VPC)";
    if (proxies.isEmpty()) {
      String note = variables.containsKey("HTTPS_PROXY") || variables.containsKey("https_proxy")
          ? " HTTPS_PROXY applies only to https:// URLs, and the metadata server is plain HTTP." : "";
      return Prediction.reachable("metadata", "metadata", path, "No HTTP proxy variable is set, so metadata requests go to the metadata server." + note);
    }
    List<String> noProxies = NO_PROXIES.stream().filter(variables::containsKey).toList();
    if (noProxies.stream().anyMatch(n -> variables.get(n) == null)) {
      return Prediction.uncertain("metadata", "metadata", path, "Predicted", String.join(", ", proxies) + " set, and "
          + String.join("/", noProxies) + " comes from Secret Manager, which the operator cannot read: turn the probe on to check it.");
    }
    List<String> uncovered = new ArrayList<>();
    for (String host : METADATA_HOSTS) {
      if (noProxies.isEmpty() || noProxies.stream().anyMatch(n -> !covers(variables.get(n), host))) {
        uncovered.add(host);
      }
    }
    if (uncovered.isEmpty()) {
      return Prediction.reachable("metadata", "metadata", path,
          String.join(", ", proxies) + " set, and " + String.join(" and ", noProxies) + " exclude the metadata server.");
    }
    String missing = noProxies.isEmpty() ? "no NO_PROXY is set" : String.join(" and ", noProxies) + " do not cover " + String.join(" and ", uncovered);
    return Prediction.failed("metadata", "metadata", "proxy " + String.join(", ", proxies), "ProxyIntercepts",
        "Metadata requests go to the proxy in " + String.join(", ", proxies) + " because " + missing
            + "; the proxy answers (a Squid 403) instead of the metadata server, so the job gets no token."
            + " Add metadata.google.internal,169.254.169.254 to both NO_PROXY and no_proxy in spec.job.env.");
  }

  /** Whether a NO_PROXY value excludes the host from proxying. */
  static boolean covers(String noProxy, String host) {
    if (noProxy.equals("*")) {
      return true; // only as the whole value: an entry "*" among others matches nothing
    }
    for (String raw : noProxy.split("[,\\s]+")) {
      String entry = raw.toLowerCase();
      if (entry.isEmpty()) {
        continue;
      }
      IPAddressString hostIp = new IPAddressString(host);
      IPAddressString entryIp = new IPAddressString(entry);
      if (hostIp.isIPAddress()) {
        if (entryIp.isIPAddress() && entryIp.getAddress().toPrefixBlock().contains(hostIp.getAddress())) {
          return true;
        }
        continue;
      }
      String domain = entry.replaceFirst("^\\.", "").replaceFirst("\\.$", "");
      if (host.equals(domain) || host.endsWith("." + domain)) {
        return true;
      }
    }
    return false;
  }
}
