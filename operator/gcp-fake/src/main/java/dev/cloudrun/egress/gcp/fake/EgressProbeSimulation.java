package dev.cloudrun.egress.gcp.fake;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterStatusNatStatus;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.VpcAccess;
import com.google.cloud.vpcaccess.v1.Connector;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a task of an egress probe job ({@code *-egress-probe}) ends in the fake: the check its task
 * index picks from the container's arguments ({@code egress-probe CHECK...}, as the operator
 * passes them to the probe script), carried through the GCP objects the fake holds the way GCP
 * carries it, ending with the probe script's exit code. It models GCP, not the operator: metadata
 * requests are answered inside the sandbox unless the container's proxy variables send them to a
 * proxy; public traffic with PRIVATE_RANGES_ONLY leaves from Google's network, from
 * {@link #GOOGLE_EGRESS_IP}; traffic entering the VPC needs a READY connector in the job's region
 * whose own path back to Google's serverless infrastructure is open (below), passes the network's
 * EGRESS firewall rules (lowest priority number first, deny before allow, implied allow), reaches a
 * private address only in a subnet of the network, and a public one only through a Cloud NAT on
 * the network, in the region, covering its source (a connector on an ipCidrRange is covered only
 * by all-subnetworks NATs), from that NAT's first IP as the router's status shows it (a reserved
 * address, or one allocated for an automatic NAT). An egress-ip check sees the source IP its echo
 * request had. Names resolve through {@link #resolve}; anything else fails DNS.
 *
 * <p>The connector's return path (ledger rows 3a and 3b): Google lists EGRESS tcp:667, udp:665-666
 * and icmp from the connector to 35.199.224.0/19 among the rules "necessary ... for the connector's
 * operation" (G-svpc, App Engine's "Required firewall rules for connectors in service projects":
 * {@code vpc-connector-to-serverless}; in its own project the implicit {@code aet-...-earfw} at
 * priority 100). So a connector whose egress to 35.199.224.0/19 on tcp:667 loses to a deny (the
 * first matching EGRESS rule on its tags, as for any traffic) carries nothing: every check through
 * it times out. Its state stays READY: no public source shows GCP reporting a cut-off connector
 * any other way.
 */
public final class EgressProbeSimulation implements TaskBehaviour {
  /** The IP public traffic shows when it leaves from Google's network instead of a NAT: never a NAT's. */
  public static final String GOOGLE_EGRESS_IP = "34.0.0.10";

  static final int OK = 0;
  static final int BAD_ARGUMENTS = 2;
  static final int PROXY_ANSWERED = 10;
  static final int DNS_FAILURE = 20;
  static final int CONNECT_TIMEOUT = 21;
  static final int WRONG_EGRESS_IP = 30;

  private static final List<Cidr> PRIVATE = List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
      "240.0.0.0/4", "199.36.153.4/30", "199.36.153.8/30").stream().map(Cidr::parse).toList();
  private static final List<String> METADATA_HOSTS = List.of("metadata.google.internal", "169.254.169.254");
  /** Google's serverless infrastructure and the connector's proxy port there (ledger 3a/3b). */
  private static final Cidr SERVERLESS_RANGE = Cidr.parse(VpcAccessApi.SERVERLESS_RANGE);
  private static final int SERVERLESS_PORT = 667;

  private final Map<String, String> dns = new ConcurrentHashMap<>();

  /** A DNS record the probe's names resolve to, e.g. {@code resolve("github.com", "140.82.112.3")}. */
  public EgressProbeSimulation resolve(String host, String ipv4) {
    dns.put(host, ipv4);
    return this;
  }

  /** The names the probe resolves and their addresses. */
  Map<String, String> dns() {
    return Map.copyOf(dns);
  }

  static boolean isProbe(Job job) {
    return job.getName().endsWith("-egress-probe");
  }

  @Override
  public int exitCode(Job job, Execution execution, Task task, GcpState state) {
    Container container = task.getContainers(0);
    int argument = task.getIndex() + 1; // args[0] is the script's name
    if (container.getArgsCount() <= argument) {
      return BAD_ARGUMENTS;
    }
    String check = container.getArgs(argument);
    Map<String, String> env = new HashMap<>();
    for (EnvVar e : container.getEnvList()) {
      env.put(e.getName(), e.getValue()); // a secret's value is not the fake's to know: empty
    }
    if (check.equals("metadata")) {
      return metadata(env);
    }
    if (check.startsWith("dest:")) {
      String target = check.substring("dest:".length());
      int colon = target.lastIndexOf(':');
      return new Path(job, task, state).connect(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1))).exitCode();
    }
    if (check.startsWith("egress-ip:")) {
      String rest = check.substring("egress-ip:".length());
      List<String> expected = List.of(rest.substring(0, rest.indexOf(':')).split(","));
      URI echo = URI.create(rest.substring(rest.indexOf(':') + 1));
      int port = echo.getPort() > 0 ? echo.getPort() : echo.getScheme().equals("https") ? 443 : 80;
      Outcome outcome = new Path(job, task, state).connect(echo.getHost(), port);
      return outcome.exitCode() != OK ? outcome.exitCode() : expected.contains(outcome.sourceIp()) ? OK : WRONG_EGRESS_IP;
    }
    return BAD_ARGUMENTS;
  }

  /** The probe script gives curl http_proxy (or HTTP_PROXY) / all_proxy, and no_proxy (or NO_PROXY). */
  private static int metadata(Map<String, String> env) {
    String proxy = firstSet(env, "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY");
    if (proxy == null) {
      return OK;
    }
    String noProxy = firstSet(env, "no_proxy", "NO_PROXY");
    for (String host : METADATA_HOSTS) {
      if (noProxy == null || !bypassesProxy(noProxy, host)) {
        return PROXY_ANSWERED;
      }
    }
    return OK;
  }

  private static String firstSet(Map<String, String> env, String... names) {
    for (String name : names) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return null;
  }

  /**
   * curl's NO_PROXY matching, as lib/noproxy.c scans it: "*" as the whole value bypasses every
   * host; otherwise each entry between commas and blanks is an IP or CIDR (for an address host) or
   * a name matching the host or a domain it is in, a leading dot optional and a trailing one
   * ignored. Written apart from the operator's prediction on purpose; both follow no-proxy-cases.csv.
   */
  static boolean bypassesProxy(String noProxy, String host) {
    if ("*".equals(noProxy)) {
      return true;
    }
    boolean addressHost = Character.isDigit(host.charAt(0));
    int i = 0;
    while (i < noProxy.length()) {
      int start = i;
      while (i < noProxy.length() && noProxy.charAt(i) != ',' && !Character.isWhitespace(noProxy.charAt(i))) {
        i++;
      }
      String token = noProxy.substring(start, i).toLowerCase();
      i++;
      if (token.isEmpty()) {
        continue;
      }
      if (addressHost) {
        if (Character.isDigit(token.charAt(0)) && Cidr.parse(token.contains("/") ? token : token + "/32").overlaps(Cidr.parse(host + "/32"))) {
          return true;
        }
      } else {
        int from = token.charAt(0) == '.' ? 1 : 0;
        int to = token.endsWith(".") ? token.length() - 1 : token.length();
        String name = token.substring(from, to);
        boolean same = host.length() == name.length() && host.equalsIgnoreCase(name);
        boolean inDomain = host.length() > name.length() && host.charAt(host.length() - name.length() - 1) == '.'
            && host.regionMatches(true, host.length() - name.length(), name, 0, name.length());
        if (!name.isEmpty() && (same || inDomain)) {
          return true;
        }
      }
    }
    return false;
  }

  /** How a connection ended, and the source address it had when it reached the internet. */
  private record Outcome(int exitCode, String sourceIp) {
    static Outcome dropped() {
      return new Outcome(CONNECT_TIMEOUT, null);
    }
  }

  /** The network path of one task: where its traffic enters the VPC, with which tags and source. */
  private final class Path {
    private final Task task;
    private final GcpState state;
    private final String region;
    private String project;
    private String network;
    private List<String> tags = List.of();
    /** The subnet a NAT must list to cover the traffic; null for a connector's hidden subnet. */
    private String sourceSubnet;
    private boolean usable = true;

    Path(Job job, Task task, GcpState state) {
      this.task = task;
      this.state = state;
      String[] name = job.getName().split("/");
      this.region = name[3];
      VpcAccess vpc = task.getVpcAccess();
      if (!vpc.getConnector().isEmpty()) {
        // Cloud Run keeps a connector of the job's project and region by its short name (ledger J2).
        String path = vpc.getConnector().startsWith("projects/") ? vpc.getConnector()
            : job.getName().substring(0, job.getName().indexOf("/jobs/")) + "/connectors/" + vpc.getConnector();
        String[] connector = path.split("/");
        Optional<Connector> found = state.connector(path);
        usable = found.isPresent() && found.get().getState() == Connector.State.READY && connector[3].equals(region);
        if (usable) {
          Connector c = found.get();
          tags = List.of("vpc-connector", "vpc-connector-" + connector[3] + "-" + connector[5]);
          if (c.getSubnet().getName().isEmpty()) {
            project = connector[1];
            network = c.getNetwork();
          } else {
            project = c.getSubnet().getProjectId().isEmpty() ? connector[1] : c.getSubnet().getProjectId();
            sourceSubnet = c.getSubnet().getName();
            network = lastSegment(state.subnetwork(project, region, sourceSubnet).orElseThrow().getNetwork());
          }
          usable = !firewallDrops(SERVERLESS_RANGE, SERVERLESS_PORT); // the connector's return path is cut
        }
      } else if (vpc.getNetworkInterfacesCount() > 0) {
        VpcAccess.NetworkInterface nic = vpc.getNetworkInterfaces(0);
        project = nic.getNetwork().split("/")[1];
        network = lastSegment(nic.getNetwork());
        sourceSubnet = lastSegment(nic.getSubnetwork());
        tags = nic.getTagsList();
      }
    }

    boolean inVpc() {
      return !task.getVpcAccess().getConnector().isEmpty() || task.getVpcAccess().getNetworkInterfacesCount() > 0;
    }

    Outcome connect(String host, int port) {
      String ip = Character.isDigit(host.charAt(host.length() - 1)) ? host : dns.get(host);
      if (ip == null) {
        return new Outcome(DNS_FAILURE, null);
      }
      Cidr address = Cidr.parse(ip + "/32");
      boolean isPrivate = PRIVATE.stream().anyMatch(r -> r.overlaps(address));
      if (!inVpc() || !isPrivate && task.getVpcAccess().getEgress() != VpcAccess.VpcEgress.ALL_TRAFFIC) {
        return new Outcome(OK, GOOGLE_EGRESS_IP);
      }
      if (!usable || firewallDrops(address, port)) {
        return Outcome.dropped();
      }
      if (isPrivate) {
        boolean routed = state.subnetworksOf(project, network).stream().anyMatch(s -> Cidr.parse(s.getIpCidrRange()).overlaps(address));
        return routed ? new Outcome(OK, null) : Outcome.dropped();
      }
      return nat().map(source -> new Outcome(OK, source)).orElse(Outcome.dropped());
    }

    private boolean firewallDrops(Cidr address, int port) {
      List<Firewall> rules = new ArrayList<>(state.firewalls(project).stream()
          .filter(f -> f.getDirection().equals("EGRESS") && !f.getDisabled() && lastSegment(f.getNetwork()).equals(network))
          .filter(f -> f.getTargetServiceAccountsCount() == 0 && (f.getTargetTagsCount() == 0 || f.getTargetTagsList().stream().anyMatch(tags::contains)))
          .filter(f -> f.getDestinationRangesList().stream().anyMatch(r -> Cidr.parse(r).overlaps(address)))
          .filter(f -> coversPort(f, port))
          .toList());
      rules.sort(Comparator.comparingInt(Firewall::getPriority).thenComparingInt(f -> f.getDeniedCount() > 0 ? 0 : 1));
      return !rules.isEmpty() && rules.get(0).getDeniedCount() > 0;
    }

    private boolean coversPort(Firewall rule, int port) {
      List<String> protocols = new ArrayList<>();
      List<List<String>> ports = new ArrayList<>();
      rule.getAllowedList().forEach((Allowed a) -> {
        protocols.add(a.getIPProtocol());
        ports.add(a.getPortsList());
      });
      rule.getDeniedList().forEach((Denied d) -> {
        protocols.add(d.getIPProtocol());
        ports.add(d.getPortsList());
      });
      for (int i = 0; i < protocols.size(); i++) {
        if (protocols.get(i).equals("all")) {
          return true;
        }
        if (protocols.get(i).equals("tcp") && (ports.get(i).isEmpty() || ports.get(i).stream().anyMatch(p -> {
          String[] bounds = p.split("-");
          return Integer.parseInt(bounds[0]) <= port && port <= Integer.parseInt(bounds[bounds.length - 1]);
        }))) {
          return true;
        }
      }
      return false;
    }

    /**
     * The translated source IP, if a NAT of the network in the region covers the traffic: the
     * first of the IPs the router's status lists for it. A NAT without IPs translates nothing.
     */
    private Optional<String> nat() {
      for (Router router : state.routers(project, region)) {
        if (!lastSegment(router.getNetwork()).equals(network)) {
          continue;
        }
        for (RouterNat nat : router.getNatsList()) {
          boolean covers = nat.getSourceSubnetworkIpRangesToNat().startsWith("ALL_SUBNETWORKS")
              || sourceSubnet != null && nat.getSubnetworksList().stream().anyMatch(s -> lastSegment(s.getName()).equals(sourceSubnet));
          if (covers) {
            RouterStatusNatStatus status = state.routerStatus(project, region, router.getName()).orElseThrow().getNatStatusList().stream()
                .filter(s -> s.getName().equals(nat.getName())).findFirst().orElseThrow();
            return status.getUserAllocatedNatIpsCount() > 0 ? Optional.of(status.getUserAllocatedNatIps(0))
                : status.getAutoAllocatedNatIpsList().stream().findFirst();
          }
        }
      }
      return Optional.empty();
    }
  }

  private static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
