package dev.cloudrun.egress.diagnosis;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import dev.cloudrun.egress.api.v1alpha1.DiagnosisSpec;
import dev.cloudrun.egress.api.v1alpha1.EgressSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.ResourceNames;
import inet.ipaddr.IPAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Works out, without calling GCP, the path each check of a CloudRunEgressJob takes and whether it
 * gets there: the metadata server (through a proxy or not), then every destination of
 * spec.diagnosis (directly from Google's network, or through the connector or Direct VPC, the
 * firewall rules, a route, and Cloud NAT for public ones), then, with a NAT whose IPs are known and
 * an echo URL, the egress IP. Its inputs are the spec and what the reconcile pass already observed.
 */
public final class PathPredictor {

  /**
   * What the pass observed: the connector (null with Direct VPC or while it does not exist), the
   * routers in the job's region and the firewall rules of the network's project, the subnets in
   * the job's region (null when not listed), and the IPs spec.egress.nat translates to (its static
   * addresses, or those GCP allocated to it; empty when unknown).
   */
  public record Observed(String networkName, String connectorTag, Connector connector, Collection<Router> routers,
      Collection<Firewall> firewalls, Collection<Subnetwork> subnetworks, List<String> natIps) {}

  /** Google's serverless infrastructure, a connector's other end (docs/gcp-fidelity.md 3a, 3b). */
  private static final String SERVERLESS_RANGE = "35.199.224.0/19";
  private static final IPAddress SERVERLESS_INFRASTRUCTURE = Destination.cidr(SERVERLESS_RANGE);
  /** The TCP port of the connector's path to its serverless infrastructure. */
  private static final int RETURN_PATH_PORT = 667;
  /** The reason when a firewall rule cuts the connector off from Google's serverless infrastructure. */
  public static final String CONNECTOR_CUT_OFF = "ConnectorCutOff";

  private final CloudRunEgressJobSpec spec;
  private final EgressSpec egress;
  private final Observed observed;

  private PathPredictor(CloudRunEgressJobSpec spec, Observed observed) {
    this.spec = spec;
    this.egress = spec.getEgress();
    this.observed = observed;
  }

  /** The metadata check first, then each destination, then the egress IP when it can be checked. */
  public static List<Prediction> predict(CloudRunEgressJobSpec spec, Observed observed) {
    PathPredictor predictor = new PathPredictor(spec, observed);
    List<Prediction> checks = new ArrayList<>();
    checks.add(new ProxySettings(spec.getJob()).metadata());
    for (Destination destination : destinations(spec)) {
      checks.add(predictor.destination(destination, destination.text(), destination.probeCheck()));
    }
    predictor.egressIp().ifPresent(checks::add);
    return checks;
  }

  /** Whether the subnets of the job's region are needed: only to route private IP destinations. */
  public static boolean needsSubnetworks(CloudRunEgressJobSpec spec) {
    return destinations(spec).stream().anyMatch(d -> d.isPrivate() && d.address() != null);
  }

  private static List<Destination> destinations(CloudRunEgressJobSpec spec) {
    DiagnosisSpec diagnosis = spec.getDiagnosis();
    if (diagnosis == null || diagnosis.getDestinations() == null) {
      return List.of();
    }
    List<String> privateDomains = diagnosis.getPrivateDomains() == null ? List.of() : diagnosis.getPrivateDomains();
    return diagnosis.getDestinations().stream().map(d -> Destination.parse(d, privateDomains)).toList();
  }

  /**
   * Declaring spec.egress.nat is expecting public traffic to leave through it. With an echo URL and
   * the NAT's IPs known, the probe checks that the echo service sees one of them: the path to the
   * echo service decides the verdict, as for any public destination.
   */
  private Optional<Prediction> egressIp() {
    DiagnosisSpec diagnosis = spec.getDiagnosis();
    String echo = diagnosis == null || diagnosis.getProbe() == null ? null : diagnosis.getProbe().getEgressIpEchoUrl();
    if (echo == null || egress.getNat() == null || observed.natIps().isEmpty()) {
      return Optional.empty();
    }
    URI uri = URI.create(echo);
    int port = uri.getPort() > 0 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
    Destination service = Destination.parse(uri.getHost() + ":" + port, List.of());
    String ips = String.join(",", observed.natIps());
    return Optional.of(destination(service, "egress-ip", "egress-ip:" + ips + ":" + echo));
  }

  private Prediction destination(Destination d, String name, String probeCheck) {
    boolean throughVpc = d.isPrivate() || egress.getVpcEgress() == EgressSpec.VpcEgress.AllTraffic;
    if (!throughVpc) {
      return bypassingVpc(d, name, probeCheck);
    }
    String entry = egress.getConnector() != null ? "connector " + egress.getConnector().getName() : "Direct VPC subnet " + egress.getDirectVpc().getSubnet();
    if (egress.getConnector() != null) {
      Optional<Prediction> broken = connectorProblem(name, probeCheck, entry);
      if (broken.isPresent()) {
        return broken.get();
      }
    }
    Optional<Prediction> blocked = firewall(d, name, probeCheck, entry);
    if (blocked.isPresent() && !blocked.get().reachable()) {
      return blocked.get();
    }
    String note = blocked.map(b -> " " + b.message()).orElse("");
    if (d.isPrivate()) {
      return privateRoute(d, name, probeCheck, entry, note);
    }
    return throughNat(name, probeCheck, entry, note);
  }

  /** PrivateRangesOnly sends public destinations straight out of Google's network. */
  private Prediction bypassingVpc(Destination d, String name, String probeCheck) {
    String path = "direct from Google's network (bypasses the VPC)";
    NatSpec nat = egress.getNat();
    if (nat != null && staticNat()) {
      return Prediction.failed(name, probeCheck, path, "StaticIpBypassed", d.host() + " is public and vpcEgress is PrivateRangesOnly,"
          + " so its traffic leaves from Google's network with an unpredictable IP, not from the static NAT IPs of " + nat.getName()
          + ". Set spec.egress.vpcEgress: AllTraffic so public traffic goes through the connector and Cloud NAT.");
    }
    if (nat != null) {
      return Prediction.failed(name, probeCheck, path, "PublicDestinationBypassesNat", d.host() + " is public and vpcEgress is PrivateRangesOnly,"
          + " so its traffic never reaches Cloud NAT " + nat.getName() + " (or the VPC's firewall rules). Set spec.egress.vpcEgress: AllTraffic,"
          + " or remove spec.egress.nat if leaving from Google's network is fine.");
    }
    return Prediction.reachable(name, probeCheck, path, d.host() + " is public and vpcEgress is PrivateRangesOnly: it is reached directly"
        + " from Google's network, with no fixed egress IP.");
  }

  private Optional<Prediction> connectorProblem(String name, String probeCheck, String entry) {
    String connectorName = egress.getConnector().getName();
    if (ResourceNames.isFull(connectorName) && !ResourceNames.region(connectorName).equals(spec.getRegion())) {
      return Optional.of(Prediction.failed(name, probeCheck, entry, "ConnectorWrongRegion", "Connector " + connectorName
          + " is not in the job's region " + spec.getRegion() + ": Cloud Run uses only connectors of its own region."
          + " Name a connector in " + spec.getRegion() + " in spec.egress.connector.name."));
    }
    Connector connector = observed.connector();
    if (connector == null || connector.getState() != Connector.State.READY) {
      if (connector != null && connector.getState() == Connector.State.ERROR) {
        return Optional.of(Prediction.failed(name, probeCheck, entry, "ConnectorError", "Connector " + connector.getName()
            + " is in state ERROR, so no traffic passes through it. Fix the cause (range overlap, the service agent's"
            + " roles/vpcaccess.serviceAgent, an organization policy on its VM images), then delete it so it is recreated."));
      }
      String state = connector == null ? "does not exist yet" : "is " + connector.getState();
      return Optional.of(Prediction.failed(name, probeCheck, entry, "ConnectorNotReady", "Connector " + connectorName + " " + state
          + "; traffic passes once it is READY."));
    }
    return returnPathDeny().map(rule -> Prediction.failed(name, probeCheck, entry + ", cut off by firewall rule " + rule.getName(),
        CONNECTOR_CUT_OFF, "Firewall rule " + rule.getName() + " (EGRESS deny, priority " + rule.getPriority() + ") drops the connector's"
            + " traffic to Google's serverless infrastructure (" + SERVERLESS_RANGE + ", tcp:" + RETURN_PATH_PORT + "), which it needs to work:"
            + " nothing passes through the connector. Add an EGRESS allow for " + SERVERLESS_RANGE + " (tcp:667, udp:665-666, icmp) on the"
            + " connector's tag at a priority below " + rule.getPriority() + " (spec.egress.firewall.leastPrivilege adds one), or change that rule."));
  }

  /**
   * The deny that wins for the connector's own traffic to Google's serverless infrastructure, if
   * one does: Google lists EGRESS tcp:667, udp:665-666 and icmp to 35.199.224.0/19 among the rules
   * a connector needs (docs/gcp-fidelity.md 3a, 3b), so a deny that beats every allow of it (the
   * first EGRESS rule on the connector's tags that matches, a deny first on a tie) cuts the
   * connector off. GCP reports nothing about it: the connector stays READY.
   */
  private Optional<Firewall> returnPathDeny() {
    List<String> tags = List.of("vpc-connector", observed.connectorTag());
    return observed.firewalls().stream()
        .filter(f -> "EGRESS".equals(f.getDirection()) && !f.getDisabled() && inNetwork(f.getNetwork()))
        .filter(f -> f.getTargetServiceAccountsCount() == 0 && (f.getTargetTagsCount() == 0 || f.getTargetTagsList().stream().anyMatch(tags::contains)))
        .filter(f -> f.getDestinationRangesList().stream().anyMatch(r -> Destination.cidr(r).intersect(SERVERLESS_INFRASTRUCTURE) != null))
        .filter(f -> matchesPort(f, RETURN_PATH_PORT))
        .sorted(Comparator.comparingInt(Firewall::getPriority).thenComparing(f -> f.getDeniedCount() == 0))
        .findFirst()
        .filter(f -> f.getDeniedCount() > 0);
  }

  /**
   * The VPC's egress rules that apply to the job's traffic, highest priority first (deny before
   * allow on a tie), as GCP evaluates them. A host name's address is unknown: a rule for specific
   * ranges may or may not match it, and then the verdict is left to the probe.
   */
  private Optional<Prediction> firewall(Destination d, String name, String probeCheck, String entry) {
    List<String> tags = egress.getConnector() != null ? List.of("vpc-connector", observed.connectorTag())
        : egress.getDirectVpc().getNetworkTags() == null ? List.of() : egress.getDirectVpc().getNetworkTags();
    List<Firewall> rules = observed.firewalls().stream()
        .filter(f -> "EGRESS".equals(f.getDirection()) && !f.getDisabled() && inNetwork(f.getNetwork()))
        .filter(f -> f.getTargetServiceAccountsCount() == 0 && (f.getTargetTagsCount() == 0 || f.getTargetTagsList().stream().anyMatch(tags::contains)))
        .filter(f -> matchesPort(f, d.port()))
        .sorted(Comparator.comparingInt(Firewall::getPriority).thenComparing(f -> f.getDeniedCount() == 0))
        .toList();
    Firewall unsure = null;
    for (Firewall rule : rules) {
      boolean deny = rule.getDeniedCount() > 0;
      boolean everywhere = rule.getDestinationRangesList().stream().anyMatch(r -> Destination.cidr(r).getPrefixLength() == 0);
      boolean matches = d.address() != null
          ? rule.getDestinationRangesList().stream().anyMatch(r -> Destination.cidr(r).contains(d.address()))
          : everywhere;
      if (!matches) {
        if (d.address() == null && unsure == null && !rule.getDestinationRangesList().isEmpty() && !onlyServerlessInfrastructure(rule)) {
          unsure = rule;
        }
        continue;
      }
      if (unsure != null && (unsure.getDeniedCount() > 0) != deny) {
        return Optional.of(Prediction.uncertain(name, probeCheck, entry, Prediction.PREDICTED, "Whether firewall rule " + unsure.getName()
            + " (priority " + unsure.getPriority() + ") applies depends on the address " + d.host() + " resolves to; give the destination as IP:PORT to check it."));
      }
      if (deny) {
        return Optional.of(Prediction.failed(name, probeCheck, entry + ", blocked by firewall rule " + rule.getName(), "FirewallBlocks",
            "Firewall rule " + rule.getName() + " (EGRESS deny, priority " + rule.getPriority() + ") drops traffic to " + d.host() + ":" + d.port()
                + " before any rule allows it. Add an allow rule for it to spec.egress.firewall.allow (priority below "
                + rule.getPriority() + "), or change that rule."));
      }
      return Optional.empty();
    }
    if (unsure != null && unsure.getDeniedCount() > 0) {
      return Optional.of(Prediction.uncertain(name, probeCheck, entry, Prediction.PREDICTED, "Whether firewall rule " + unsure.getName()
          + " (EGRESS deny, priority " + unsure.getPriority() + ") applies depends on the address " + d.host() + " resolves to; give the destination as IP:PORT to check it."));
    }
    return Optional.empty();
  }

  /**
   * A rule only for Google's serverless infrastructure (35.199.224.0/19), such as a connector's
   * implicit {@code aet-...-egrfw} (docs/gcp-fidelity.md 3a): the connector's own other end, not
   * where a destination's host name resolves, so it leaves the verdict for a name certain.
   */
  private static boolean onlyServerlessInfrastructure(Firewall rule) {
    return rule.getDestinationRangesList().stream().allMatch(r -> SERVERLESS_INFRASTRUCTURE.contains(Destination.cidr(r)));
  }

  private boolean matchesPort(Firewall rule, int port) {
    List<String> protocols = new ArrayList<>();
    List<List<String>> ports = new ArrayList<>();
    for (Allowed a : rule.getAllowedList()) {
      protocols.add(a.getIPProtocol());
      ports.add(a.getPortsList());
    }
    for (Denied d : rule.getDeniedList()) {
      protocols.add(d.getIPProtocol());
      ports.add(d.getPortsList());
    }
    for (int i = 0; i < protocols.size(); i++) {
      String protocol = protocols.get(i);
      if (protocol.equals("all") || (protocol.equals("tcp") || protocol.equals("6")) && (ports.get(i).isEmpty() || ports.get(i).stream().anyMatch(p -> inRange(p, port)))) {
        return true;
      }
    }
    return false;
  }

  private static boolean inRange(String range, int port) {
    String[] bounds = range.split("-");
    int low = Integer.parseInt(bounds[0]);
    int high = bounds.length > 1 ? Integer.parseInt(bounds[1]) : low;
    return low <= port && port <= high;
  }

  /**
   * A private address is reached when a subnet of the network holds it. Routes the operator does
   * not list (static routes, peering, other regions) may also carry it, so a passing probe wins.
   */
  private Prediction privateRoute(Destination d, String name, String probeCheck, String entry, String note) {
    String path = entry + " → VPC network " + observed.networkName();
    if (d.address() == null) {
      return Prediction.reachable(name, probeCheck, path, d.host() + " is private and enters the VPC through " + entry
          + "; its address is unknown to the operator, so its route is not checked." + note);
    }
    Optional<Subnetwork> subnet = observed.subnetworks() == null ? Optional.empty() : observed.subnetworks().stream()
        .filter(s -> inNetwork(s.getNetwork()) && Destination.cidr(s.getIpCidrRange()).contains(d.address())).findFirst();
    if (subnet.isPresent()) {
      return Prediction.reachable(name, probeCheck, path + " (subnet " + subnet.get().getName() + ")", d.host() + " is in subnet "
          + subnet.get().getName() + ", reached through " + entry + "." + note);
    }
    Optional<Router> bgp = routersOfNetwork().stream().filter(r -> r.getBgpPeersCount() > 0).findFirst();
    if (bgp.isPresent()) {
      return Prediction.reachable(name, probeCheck, path, d.host() + " is in no subnet of " + observed.networkName() + " in " + spec.getRegion()
          + "; Cloud Router " + bgp.get().getName() + " may learn a route to it over BGP (VPN or Interconnect)." + note);
    }
    return Prediction.failed(name, probeCheck, path + ", no route", "PrivateDestinationUnroutable", d.host() + " is private, but no subnet of network "
        + observed.networkName() + " in " + spec.getRegion() + " holds it and no Cloud Router there has BGP peers, so the VPC has no route to it."
        + " Connect the network that holds it (VPN, Interconnect or peering), or use the network it is in as spec.egress.network.").uncertainFailure();
  }

  /** Public traffic in the VPC needs a NAT on the network, in the region, covering the traffic's source. */
  private Prediction throughNat(String name, String probeCheck, String entry, String note) {
    Connector connector = observed.connector();
    boolean hiddenSubnet = egress.getConnector() != null && (connector == null || connector.getSubnet().getName().isEmpty());
    String sourceSubnet = egress.getConnector() != null ? (hiddenSubnet ? null : connector.getSubnet().getName()) : egress.getDirectVpc().getSubnet();
    boolean listsSubnets = false;
    for (Router router : routersOfNetwork()) {
      for (RouterNat nat : router.getNatsList()) {
        String ranges = nat.getSourceSubnetworkIpRangesToNat();
        if (ranges.startsWith("ALL_SUBNETWORKS") || sourceSubnet != null && nat.getSubnetworksList().stream()
            .anyMatch(s -> ResourceNames.id(s.getName()).equals(sourceSubnet))) {
          return Prediction.reachable(name, probeCheck, entry + " → Cloud NAT " + nat.getName() + " on " + router.getName() + " (" + natIps(router, nat) + ")",
              "Public traffic enters the VPC through " + entry + " and leaves through Cloud NAT " + nat.getName() + " from " + natIps(router, nat) + "." + note);
        }
        listsSubnets |= ranges.equals("LIST_OF_SUBNETWORKS");
      }
    }
    String path = entry + ", no Cloud NAT covers it";
    if (hiddenSubnet && listsSubnets) {
      return Prediction.failed(name, probeCheck, path, "NatCannotListConnectorSubnet", "Connector " + egress.getConnector().getName()
          + " was created from an ipCidrRange, so its subnet is hidden and no NAT can list it; the NATs in " + spec.getRegion()
          + " translate only listed subnets. Set spec.egress.nat.covers: AllSubnetworks (or leave covers unset), or give the connector a /28 subnet and list that.");
    }
    if (egress.getConnector() != null) {
      return Prediction.failed(name, probeCheck, path, "NoNatForConnectorRange", "vpcEgress is AllTraffic, so public traffic enters the VPC through "
          + entry + ", but no Cloud NAT in " + spec.getRegion() + " on network " + observed.networkName() + " translates the connector's range,"
          + " so it has no way out. Add spec.egress.nat (or make an existing NAT cover the connector's range).");
    }
    return Prediction.failed(name, probeCheck, path, "DirectVpcWithoutNat", "With Direct VPC egress public traffic enters the VPC from subnet "
        + sourceSubnet + ", but no Cloud NAT in " + spec.getRegion() + " on network " + observed.networkName() + " translates it, so it has no way out."
        + " Add spec.egress.nat covering the subnet, or set vpcEgress: PrivateRangesOnly if no fixed IP is needed.");
  }

  private String natIps(Router router, RouterNat nat) {
    NatSpec declared = egress.getNat();
    String known = declared != null && declared.getRouter().equals(router.getName()) && declared.getName().equals(nat.getName())
        && !observed.natIps().isEmpty() ? String.join(", ", observed.natIps()) : null;
    if (nat.getNatIpAllocateOption().equals("MANUAL_ONLY")) {
      return known != null ? known : "its static IPs";
    }
    return "automatically allocated IPs" + (known != null ? " " + known : "");
  }

  private List<Router> routersOfNetwork() {
    return observed.routers().stream().filter(r -> inNetwork(r.getNetwork())).toList();
  }

  /** Compute answers with URLs where the operator wrote names: compare the network's name. */
  private boolean inNetwork(String network) {
    return network.equals(observed.networkName()) || network.endsWith("/networks/" + observed.networkName());
  }

  private boolean staticNat() {
    return egress.getNat() != null && egress.getNat().getIpAllocation() == NatSpec.IpAllocation.Static;
  }
}
