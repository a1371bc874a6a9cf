package dev.cloudrun.egress.gcp.fake;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.AddressAggregatedList;
import com.google.cloud.compute.v1.AddressList;
import com.google.cloud.compute.v1.AddressesScopedList;
import com.google.cloud.compute.v1.Data;
import com.google.cloud.compute.v1.Error;
import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.FirewallList;
import com.google.cloud.compute.v1.FirewallLogConfig;
import com.google.cloud.compute.v1.Network;
import com.google.cloud.compute.v1.NetworkList;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.OperationAggregatedList;
import com.google.cloud.compute.v1.OperationList;
import com.google.cloud.compute.v1.OperationsScopedList;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterAggregatedList;
import com.google.cloud.compute.v1.RouterList;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterNatSubnetworkToNat;
import com.google.cloud.compute.v1.RouterStatus;
import com.google.cloud.compute.v1.RouterStatusNatStatus;
import com.google.cloud.compute.v1.RouterStatusResponse;
import com.google.cloud.compute.v1.RoutersScopedList;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.compute.v1.SubnetworkAggregatedList;
import com.google.cloud.compute.v1.SubnetworkList;
import com.google.cloud.compute.v1.SubnetworksScopedList;
import com.google.cloud.compute.v1.Warning;
import com.google.protobuf.Message;
import com.google.rpc.Code;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compute Engine v1: routers with their Cloud NATs (and the router status that shows the NATs'
 * IPs), firewalls, static addresses, and read-only (seeded) networks and subnetworks. A mutation is
 * validated when it arrives and again when its operation completes, and only then applied, as
 * compute does.
 */
public final class ComputeApi {
  static final String BASE = "https://www.googleapis.com/compute/v1/";
  private static final String API = "compute";
  private static final Pattern NAME = Pattern.compile("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?");
  private static final int DEFAULT_PAGE_SIZE = 500;
  private static final Set<String> ALL_SUBNETWORKS =
      Set.of("ALL_SUBNETWORKS_ALL_IP_RANGES", "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES");
  /** Static external addresses come from the RFC 5737 documentation ranges: plainly fake. */
  private static final List<Cidr> EXTERNAL_POOL =
      List.of(Cidr.parse("203.0.113.0/24"), Cidr.parse("198.51.100.0/24"), Cidr.parse("192.0.2.0/24"));
  /** Ledger F6: the protocol names the API takes, and those of them whose rules may name ports. */
  private static final Set<String> PROTOCOLS = Set.of("ah", "all", "esp", "icmp", "ipip", "sctp", "tcp", "udp");
  private static final Set<String> PORT_PROTOCOLS = Set.of("tcp", "udp", "sctp", "6", "17", "132");
  private static final Pattern PROTOCOL_NUMBER = Pattern.compile("[0-9]{1,3}");
  private static final Pattern PORT_RANGE = Pattern.compile("([0-9]{1,9})(?:-([0-9]{1,9}))?");
  private static final Pattern REGION_IN_KEY = Pattern.compile("projects/[^/]+/regions/([^/]+)/");
  private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

  private final Simulation sim;
  private final Faults faults;
  private final Store<Network> networks = new Store<>();
  private final Store<Subnetwork> subnetworks = new Store<>();
  private final Store<Router> routers = new Store<>();
  private final Store<Firewall> firewalls = new Store<>();
  private final Store<Address> addresses = new Store<>();
  private final Store<Operation> operations = new Store<>();
  private final Map<String, String> operationsByRequestId = new HashMap<>();
  /** Names taken by an insert whose operation is still running. */
  private final Map<String, String> insertsInFlight = new HashMap<>();
  /** Address key to the keys of the routers whose NATs use it: makes address status O(1). */
  private final Map<String, Set<String>> natIpUsers = new HashMap<>();
  /**
   * Router key to NAT name to the external IP GCP allocated for an AUTO_ONLY NAT. Real NATs allocate
   * as their VMs need ports; the fake allocates one IP per NAT, the lowest free one of its pool, when
   * the NAT appears, and keeps it while the NAT stays automatic.
   */
  private final Map<String, Map<String, Long>> autoNatIps = new HashMap<>();
  /** External IPs taken, by reserved addresses and by automatic NATs alike. */
  private final Set<Long> allocatedIps = new HashSet<>();
  private long lastId = 4_000_000_000_000_000_000L;

  ComputeApi(Simulation sim, Faults faults) {
    this.sim = sim;
    this.faults = faults;
  }

  void register(Routes routes) {
    String project = "/compute/v1/projects/{project}";
    String region = project + "/regions/{region}";
    routes.add(API, "routers.insert", "POST", region + "/routers", this::insertRouter);
    routes.add(API, "routers.list", "GET", region + "/routers", this::listRouters);
    routes.add(API, "routers.get", "GET", region + "/routers/{name}", r -> routers.require(key(r, "routers"), notFound(key(r, "routers"))));
    routes.add(API, "routers.patch", "PATCH", region + "/routers/{name}", this::patchRouter);
    routes.add(API, "routers.update", "PUT", region + "/routers/{name}", this::updateRouter);
    routes.add(API, "routers.delete", "DELETE", region + "/routers/{name}", this::deleteRouter);
    routes.add(API, "routers.getRouterStatus", "GET", region + "/routers/{name}/getRouterStatus", r -> RouterStatusResponse.newBuilder()
        .setKind("compute#routerStatusResponse").setResult(status(routers.require(key(r, "routers"), notFound(key(r, "routers"))))).build());
    routes.add(API, "firewalls.insert", "POST", project + "/global/firewalls", this::insertFirewall);
    routes.add(API, "firewalls.list", "GET", project + "/global/firewalls", this::listFirewalls);
    routes.add(API, "firewalls.get", "GET", project + "/global/firewalls/{name}", r -> firewalls.require(key(r, "firewalls"), notFound(key(r, "firewalls"))));
    routes.add(API, "firewalls.patch", "PATCH", project + "/global/firewalls/{name}", this::patchFirewall);
    routes.add(API, "firewalls.update", "PUT", project + "/global/firewalls/{name}", this::updateFirewall);
    routes.add(API, "firewalls.delete", "DELETE", project + "/global/firewalls/{name}", this::deleteFirewall);
    routes.add(API, "addresses.insert", "POST", region + "/addresses", this::insertAddress);
    routes.add(API, "addresses.list", "GET", region + "/addresses", this::listAddresses);
    routes.add(API, "addresses.get", "GET", region + "/addresses/{name}", r -> withUsage(addresses.require(key(r, "addresses"), notFound(key(r, "addresses")))));
    routes.add(API, "addresses.delete", "DELETE", region + "/addresses/{name}", this::deleteAddress);
    routes.add(API, "subnetworks.list", "GET", region + "/subnetworks", this::listSubnetworks);
    routes.add(API, "subnetworks.get", "GET", region + "/subnetworks/{name}", r -> subnetworks.require(key(r, "subnetworks"), notFound(key(r, "subnetworks"))));
    routes.add(API, "networks.list", "GET", project + "/global/networks", this::listNetworks);
    routes.add(API, "networks.get", "GET", project + "/global/networks/{name}", r -> networks.require(key(r, "networks"), notFound(key(r, "networks"))));
    // Aggregated lists (ledger C1): what gcloud's "compute X list" sends when no region is given.
    String aggregated = project + "/aggregated";
    routes.add(API, "routers.aggregatedList", "GET", aggregated + "/routers", this::aggregatedRouters);
    routes.add(API, "addresses.aggregatedList", "GET", aggregated + "/addresses", this::aggregatedAddresses);
    routes.add(API, "subnetworks.aggregatedList", "GET", aggregated + "/subnetworks", this::aggregatedSubnetworks);
    routes.add(API, "globalOperations.aggregatedList", "GET", aggregated + "/operations", this::aggregatedOperations);
    routes.add(API, "globalOperations.list", "GET", project + "/global/operations", this::listOperations);
    routes.add(API, "regionOperations.list", "GET", region + "/operations", this::listOperations);
    // Operations are answered at once; "wait" does not block because time only moves with the FakeClock.
    for (String verb : List.of("get", "wait")) {
      String suffix = verb.equals("wait") ? "/wait" : "";
      String httpMethod = verb.equals("wait") ? "POST" : "GET";
      routes.add(API, "regionOperations." + verb, httpMethod, region + "/operations/{name}" + suffix, r -> operations.require(key(r, "operations"), notFound(key(r, "operations"))));
      routes.add(API, "globalOperations." + verb, httpMethod, project + "/global/operations/{name}" + suffix, r -> operations.require(key(r, "operations"), notFound(key(r, "operations"))));
    }
  }

  // ---- out-of-band access: what another tool (console, gcloud, Terraform) would do ----

  public Router editRouter(String project, String region, String name, UnaryOperator<Router> change) {
    return sim.locked(() -> {
      String key = scope(project, region) + "/routers/" + name;
      return putRouter(key, change.apply(routers.existing(key)));
    });
  }

  public void deleteRouter(String project, String region, String name) {
    sim.locked(() -> removeRouter(scope(project, region) + "/routers/" + name));
  }

  /** A rule someone made by hand, there at once, as GCP would store it. */
  public Firewall seedFirewall(String project, Firewall rule) {
    return sim.locked(() -> {
      String key = scope(project, null) + "/firewalls/" + rule.getName();
      checkAbsent(key, firewalls);
      Firewall skeleton = Firewall.newBuilder().setName(rule.getName()).setId(nextId())
          .setCreationTimestamp(timestamp(sim.now())).setSelfLink(BASE + key).build();
      return firewalls.put(key, validFirewall(project, skeleton, rule));
    });
  }

  public Firewall editFirewall(String project, String name, UnaryOperator<Firewall> change) {
    return sim.locked(() -> {
      String key = scope(project, null) + "/firewalls/" + name;
      return firewalls.put(key, change.apply(firewalls.existing(key)));
    });
  }

  public void deleteFirewall(String project, String name) {
    sim.locked(() -> firewalls.remove(scope(project, null) + "/firewalls/" + name));
  }

  /**
   * A rule GCP makes itself, without an operation (a connector's implicit rules, ledger row 3a),
   * stored as compute answers any rule: {@code network} must already be the network's URL.
   */
  Firewall putImplicitFirewall(String project, Firewall rule) {
    return sim.locked(() -> {
      String key = scope(project, null) + "/firewalls/" + rule.getName();
      return firewalls.put(key, rule.toBuilder().setKind("compute#firewall").setId(nextId())
          .setCreationTimestamp(timestamp(sim.now())).setSelfLink(BASE + key).setDisabled(false).build());
    });
  }

  public void deleteAddress(String project, String region, String name) {
    sim.locked(() -> removeAddress(scope(project, region) + "/addresses/" + name));
  }

  Network seedNetwork(String project, String name) {
    return sim.locked(() -> {
      String key = scope(project, null) + "/networks/" + name;
      return networks.put(key, Network.newBuilder().setKind("compute#network").setId(nextId()).setName(name)
          .setSelfLink(BASE + key).setAutoCreateSubnetworks(false).setCreationTimestamp(timestamp(sim.now())).build());
    });
  }

  Subnetwork seedSubnetwork(String project, String region, Subnetwork subnet) {
    return sim.locked(() -> {
      String networkKey = requireNetwork(project, subnet.getNetwork());
      Cidr.parse(subnet.getIpCidrRange());
      String key = scope(project, region) + "/subnetworks/" + subnet.getName();
      if (!subnetworks.contains(key)) {
        networks.update(networkKey, n -> n.toBuilder().addSubnetworks(BASE + key).build());
      }
      return subnetworks.put(key, subnet.toBuilder().setKind("compute#subnetwork").setId(nextId())
          .setSelfLink(BASE + key).setRegion(BASE + scope(project, region)).setNetwork(BASE + networkKey).build());
    });
  }

  Optional<Router> router(String project, String region, String name) {
    return sim.locked(() -> routers.get(scope(project, region) + "/routers/" + name));
  }

  Optional<RouterStatus> routerStatus(String project, String region, String name) {
    return sim.locked(() -> routers.get(scope(project, region) + "/routers/" + name).map(this::status));
  }

  Optional<Firewall> firewall(String project, String name) {
    return sim.locked(() -> firewalls.get(scope(project, null) + "/firewalls/" + name));
  }

  List<Firewall> firewalls(String project) {
    return sim.locked(() -> List.copyOf(firewalls.under(scope(project, null) + "/firewalls/")));
  }

  List<Router> routers(String project, String region) {
    return sim.locked(() -> List.copyOf(routers.under(scope(project, region) + "/routers/")));
  }

  List<Subnetwork> subnetworksOf(String project, String network) {
    return sim.locked(() -> subnetworksOf(scope(project, null) + "/networks/" + network));
  }

  /** Every router, firewall rule and address (as a GET returns it), in every project and region. */
  List<Router> allRouters() {
    return sim.locked(() -> List.copyOf(routers.under("projects/")));
  }

  List<Firewall> allFirewalls() {
    return sim.locked(() -> List.copyOf(firewalls.under("projects/")));
  }

  List<Address> allAddresses() {
    return sim.locked(() -> addresses.under("projects/").stream().map(this::withUsage).toList());
  }

  Optional<Address> address(String project, String region, String name) {
    return sim.locked(() -> addresses.get(scope(project, region) + "/addresses/" + name).map(this::withUsage));
  }

  Optional<Network> network(String project, String name) {
    return sim.locked(() -> networks.get(scope(project, null) + "/networks/" + name));
  }

  Optional<Subnetwork> subnetwork(String project, String region, String name) {
    return sim.locked(() -> subnetworks.get(scope(project, region) + "/subnetworks/" + name));
  }

  /** Subnetworks of a network, across regions; for overlap checks by the connector API. */
  List<Subnetwork> subnetworksOf(String networkKey) {
    String project = networkKey.substring(0, networkKey.indexOf("/global/"));
    return subnetworks.under(project + "/regions/").stream().filter(s -> s.getNetwork().equals(BASE + networkKey)).toList();
  }

  /** Accepts a URL, "projects/p/global/networks/n", "global/networks/n" or "n"; 404 if unknown. */
  String requireNetwork(String project, String reference) {
    String key = resourceKey(project, null, "networks", reference.isEmpty() ? "default" : reference);
    networks.require(key, notFound(key));
    return key;
  }

  // ---- routers ----

  private Message insertRouter(Routes.Request r) {
    Router body = r.body(Router.newBuilder()).build();
    String key = scope(r) + "/routers/" + body.getName();
    Router skeleton = Router.newBuilder().setName(body.getName()).setId(nextId())
        .setCreationTimestamp(timestamp(sim.now())).setSelfLink(BASE + key).build();
    return mutate(r, "insert", key, () -> {
      checkName("resource.name", body.getName());
      checkAbsent(key, routers);
      validRouter(r, skeleton, body);
      return () -> {
        checkAbsent(key, routers);
        putRouter(key, validRouter(r, skeleton, body));
      };
    });
  }

  private Message listRouters(Routes.Request r) {
    var page = routers.page(scope(r) + "/routers/", r.intQuery("maxResults"), r.query("pageToken"), DEFAULT_PAGE_SIZE, filter(r));
    return RouterList.newBuilder().setKind("compute#routerList").setId(scope(r) + "/routers")
        .setSelfLink(BASE + scope(r) + "/routers").addAllItems(page.items()).setNextPageToken(page.nextPageToken()).build();
  }

  /** JSON merge patch: fields present in the body replace the stored ones; arrays are replaced whole. */
  private Message patchRouter(Routes.Request r) {
    String key = key(r, "routers");
    return mutate(r, "patch", key, () -> {
      Router current = routers.require(key, notFound(key));
      validRouter(r, current, Json.mergePatch(current, r.body()));
      return () -> {
        Router latest = routers.require(key, notFound(key));
        putRouter(key, validRouter(r, latest, Json.mergePatch(latest, r.body())));
      };
    });
  }

  private Message updateRouter(Routes.Request r) {
    String key = key(r, "routers");
    Router body = r.body(Router.newBuilder()).build();
    return mutate(r, "update", key, () -> {
      validRouter(r, routers.require(key, notFound(key)), body);
      return () -> putRouter(key, validRouter(r, routers.require(key, notFound(key)), body));
    });
  }

  private Message deleteRouter(Routes.Request r) {
    String key = key(r, "routers");
    return mutate(r, "delete", key, () -> {
      routers.require(key, notFound(key));
      return () -> {
        routers.require(key, notFound(key));
        removeRouter(key);
      };
    });
  }

  /** {@code spec} as stored: server-owned fields from {@code current}, references as full URLs. */
  private Router validRouter(Routes.Request r, Router current, Router spec) {
    String project = r.path("project");
    String region = r.path("region");
    if (!spec.getName().equals(current.getName())) {
      throw ApiError.invalid("Invalid value for field 'resource.name': '" + spec.getName() + "'. The name of a router cannot be changed.");
    }
    if (spec.getNetwork().isEmpty()) {
      throw ApiError.invalid("Invalid value for field 'resource.network': ''. The network must be specified.");
    }
    String networkKey = requireNetwork(project, spec.getNetwork());
    if (current.hasNetwork() && !current.getNetwork().equals(BASE + networkKey)) {
      throw ApiError.invalid("Invalid value for field 'resource.network': '" + spec.getNetwork() + "'. The network of a router cannot be changed.");
    }
    Router.Builder router = spec.toBuilder().setKind("compute#router").setId(current.getId())
        .setCreationTimestamp(current.getCreationTimestamp()).setSelfLink(current.getSelfLink())
        .setRegion(BASE + scope(project, region)).setNetwork(BASE + networkKey);
    for (RouterNat.Builder nat : router.getNatsBuilderList()) {
      List<String> natIps = nat.getNatIpsList().stream().map(ip -> BASE + resourceKey(project, region, "addresses", ip)).toList();
      nat.clearNatIps().addAllNatIps(natIps);
      for (RouterNatSubnetworkToNat.Builder subnet : nat.getSubnetworksBuilderList()) {
        subnet.setName(BASE + resourceKey(project, region, "subnetworks", subnet.getName()));
      }
      fillNatDefaults(nat);
    }
    Router result = router.build();
    checkNats(scope(project, region), result);
    return result;
  }

  /** What GCP fills on a NAT it was sent without (ledger 9h, 9j): the documented defaults. */
  private static void fillNatDefaults(RouterNat.Builder nat) {
    if (nat.getEndpointTypesCount() == 0) {
      nat.addEndpointTypes("ENDPOINT_TYPE_VM");
    }
    if (!nat.hasUdpIdleTimeoutSec()) {
      nat.setUdpIdleTimeoutSec(30);
    }
    if (!nat.hasIcmpIdleTimeoutSec()) {
      nat.setIcmpIdleTimeoutSec(30);
    }
    if (!nat.hasTcpEstablishedIdleTimeoutSec()) {
      nat.setTcpEstablishedIdleTimeoutSec(1200);
    }
    if (!nat.hasTcpTransitoryIdleTimeoutSec()) {
      nat.setTcpTransitoryIdleTimeoutSec(30);
    }
    if (!nat.hasTcpTimeWaitTimeoutSec()) {
      nat.setTcpTimeWaitTimeoutSec(120);
    }
    if (!nat.hasEnableDynamicPortAllocation()) {
      nat.setEnableDynamicPortAllocation(false);
    }
    if (!nat.hasMinPortsPerVm()) {
      // gcloud's --min-ports-per-vm help and MM RouterNat.yaml (default_from_api): 64 with static
      // allocation, 32 with dynamic.
      nat.setMinPortsPerVm(nat.getEnableDynamicPortAllocation() ? 32 : 64);
    }
    if (!nat.hasType()) {
      nat.setType("PUBLIC");
    }
    if (!nat.hasAutoNetworkTier()) {
      nat.setAutoNetworkTier("PREMIUM"); // a project's default tier unless changed
    }
  }

  private void checkNats(String scope, Router router) {
    String routerKey = keyOf(router.getSelfLink());
    List<Router> neighbours = routers.under(scope + "/routers/").stream()
        .filter(o -> o.getNetwork().equals(router.getNetwork()) && !o.getSelfLink().equals(router.getSelfLink()) && o.getNatsCount() > 0)
        .toList();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < router.getNatsCount(); i++) {
      RouterNat nat = router.getNats(i);
      String field = "resource.nats[" + i + "]";
      checkName(field + ".name", nat.getName());
      if (!names.add(nat.getName())) {
        throw ApiError.invalid("Invalid value for field '" + field + ".name': '" + nat.getName() + "'. Duplicate NAT name.");
      }
      switch (nat.getNatIpAllocateOption()) {
        case "MANUAL_ONLY" -> {
          if (nat.getNatIpsCount() == 0) {
            throw ApiError.invalid("Invalid value for field '" + field + ".natIps': ''. At least one NAT IP is required with MANUAL_ONLY.");
          }
          for (String natIp : nat.getNatIpsList()) {
            String addressKey = keyOf(natIp);
            addresses.require(addressKey, notFound(addressKey));
            Set<String> users = natIpUsers.getOrDefault(addressKey, Set.of());
            if (users.stream().anyMatch(user -> !user.equals(routerKey))) {
              throw ApiError.inUse("The address resource '" + addressKey + "' is already being used by '" + users.iterator().next() + "'");
            }
          }
        }
        case "AUTO_ONLY", "" -> {
          if (nat.getNatIpsCount() > 0) {
            throw ApiError.invalid("Invalid value for field '" + field + ".natIps': NAT IPs may only be specified when natIpAllocateOption is MANUAL_ONLY.");
          }
        }
        default -> throw ApiError.invalid("Invalid value for field '" + field + ".natIpAllocateOption': '" + nat.getNatIpAllocateOption() + "'.");
      }
      String ranges = nat.getSourceSubnetworkIpRangesToNat();
      if (ALL_SUBNETWORKS.contains(ranges)) {
        if (router.getNatsCount() > 1 || !neighbours.isEmpty()) {
          String other = router.getNatsCount() > 1 ? router.getSelfLink() : neighbours.get(0).getSelfLink();
          throw ApiError.invalid("Invalid value for field '" + field + ".sourceSubnetworkIpRangesToNat': '" + ranges
              + "'. A NAT covering all subnetworks must be the only NAT of network '" + router.getNetwork()
              + "' in this region, but '" + other + "' also has one.");
        }
      } else if (ranges.equals("LIST_OF_SUBNETWORKS")) {
        if (nat.getSubnetworksCount() == 0) {
          throw ApiError.invalid("Invalid value for field '" + field + ".subnetworks': ''. LIST_OF_SUBNETWORKS needs at least one subnetwork.");
        }
        for (RouterNatSubnetworkToNat subnet : nat.getSubnetworksList()) {
          String subnetKey = keyOf(subnet.getName());
          Subnetwork found = subnetworks.require(subnetKey, notFound(subnetKey));
          if (!found.getNetwork().equals(router.getNetwork())) {
            throw ApiError.invalid("Invalid value for field '" + field + ".subnetworks': subnetwork '" + subnetKey + "' is not in network '" + router.getNetwork() + "'.");
          }
        }
      } else {
        throw ApiError.invalid("Invalid value for field '" + field + ".sourceSubnetworkIpRangesToNat': '" + ranges + "'.");
      }
      if (nat.getEnableEndpointIndependentMapping() && nat.getEnableDynamicPortAllocation()) {
        throw ApiError.invalid("Invalid value for field '" + field + ".enableEndpointIndependentMapping': true. Endpoint independent mapping cannot be enabled with dynamic port allocation.");
      }
      if (nat.getEnableDynamicPortAllocation()) {
        checkDynamicPorts(field, nat);
      }
    }
    for (Router neighbour : neighbours) {
      boolean catchAll = neighbour.getNatsList().stream().anyMatch(n -> ALL_SUBNETWORKS.contains(n.getSourceSubnetworkIpRangesToNat()));
      if (catchAll && router.getNatsCount() > 0) {
        throw ApiError.invalid("Invalid value for field 'resource.nats': router '" + neighbour.getSelfLink()
            + "' already has a NAT covering all subnetworks of network '" + router.getNetwork() + "' in this region.");
      }
    }
  }

  /**
   * Ledger R6: with Dynamic Port Allocation a set minPortsPerVm must be a power of two of at
   * least 32 (32 when unset), and a set maxPortsPerVm a power of two above the minimum and at
   * most 65536 (SDK-ce RouterNat; gcloud's --max-ports-per-vm). Without it GCP takes any minimum
   * and rounds it up only when it allocates, and maxPortsPerVm "has no effect", so nothing is
   * checked. The texts are the fake's.
   */
  private static void checkDynamicPorts(String field, RouterNat nat) {
    int min = nat.hasMinPortsPerVm() ? nat.getMinPortsPerVm() : 32;
    if (nat.hasMinPortsPerVm() && (min < 32 || Integer.bitCount(min) != 1)) {
      throw ApiError.invalid("Invalid value for field '" + field + ".minPortsPerVm': '" + min + "'. With dynamic port allocation,"
          + " minPortsPerVm must be a power of 2 greater than or equal to 32.");
    }
    if (nat.hasMaxPortsPerVm()) {
      int max = nat.getMaxPortsPerVm();
      if (max <= min || max > 65536 || Integer.bitCount(max) != 1) {
        throw ApiError.invalid("Invalid value for field '" + field + ".maxPortsPerVm': '" + max + "'. With dynamic port allocation,"
            + " maxPortsPerVm must be a power of 2 greater than minPortsPerVm (" + min + ") and at most 65536.");
      }
    }
  }

  private Router putRouter(String key, Router router) {
    removeNatIpUsage(key);
    router.getNatsList().forEach(nat -> nat.getNatIpsList()
        .forEach(ip -> natIpUsers.computeIfAbsent(keyOf(ip), k -> new HashSet<>()).add(key)));
    allocateAutoNatIps(key, router);
    return routers.put(key, router);
  }

  private void removeRouter(String key) {
    removeNatIpUsage(key);
    allocateAutoNatIps(key, Router.getDefaultInstance());
    routers.remove(key);
  }

  /**
   * Gives each automatic NAT of the router an IP (kept from before when it was automatic already)
   * and releases those of NATs gone or now MANUAL_ONLY. With the pool exhausted a NAT gets none,
   * and its status says it needs one more.
   */
  private void allocateAutoNatIps(String routerKey, Router router) {
    Map<String, Long> before = autoNatIps.getOrDefault(routerKey, Map.of());
    Map<String, Long> after = new HashMap<>();
    for (RouterNat nat : router.getNatsList()) {
      if (!nat.getNatIpAllocateOption().equals("MANUAL_ONLY")) {
        Long kept = before.get(nat.getName());
        Optional<Long> ip = kept != null ? Optional.of(kept) : freeExternalIp();
        ip.ifPresent(allocatedIps::add);
        ip.ifPresent(address -> after.put(nat.getName(), address));
      }
    }
    before.forEach((nat, ip) -> {
      if (!ip.equals(after.get(nat))) {
        allocatedIps.remove(ip);
      }
    });
    if (after.isEmpty()) {
      autoNatIps.remove(routerKey);
    } else {
      autoNatIps.put(routerKey, after);
    }
  }

  /** What routers.getRouterStatus answers: each NAT's IPs, automatic or from its addresses. */
  private RouterStatus status(Router router) {
    RouterStatus.Builder status = RouterStatus.newBuilder().setNetwork(router.getNetwork());
    Map<String, Long> auto = autoNatIps.getOrDefault(keyOf(router.getSelfLink()), Map.of());
    for (RouterNat nat : router.getNatsList()) {
      RouterStatusNatStatus.Builder natStatus = RouterStatusNatStatus.newBuilder().setName(nat.getName()).setMinExtraNatIpsNeeded(0);
      if (nat.getNatIpAllocateOption().equals("MANUAL_ONLY")) {
        for (String natIp : nat.getNatIpsList()) {
          addresses.get(keyOf(natIp)).ifPresent(a -> natStatus.addUserAllocatedNatIps(a.getAddress()).addUserAllocatedNatIpResources(natIp));
        }
      } else if (auto.containsKey(nat.getName())) {
        natStatus.addAutoAllocatedNatIps(Cidr.format(auto.get(nat.getName())));
      } else {
        natStatus.setMinExtraNatIpsNeeded(1);
      }
      status.addNatStatus(natStatus);
    }
    return status.build();
  }

  private void removeNatIpUsage(String routerKey) {
    routers.get(routerKey).ifPresent(old -> old.getNatsList().forEach(nat -> nat.getNatIpsList().forEach(ip -> {
      Set<String> users = natIpUsers.get(keyOf(ip));
      if (users != null && users.remove(routerKey) && users.isEmpty()) {
        natIpUsers.remove(keyOf(ip));
      }
    })));
  }

  // ---- firewalls ----

  private Message insertFirewall(Routes.Request r) {
    Firewall body = r.body(Firewall.newBuilder()).build();
    String key = scope(r) + "/firewalls/" + body.getName();
    Firewall skeleton = Firewall.newBuilder().setName(body.getName()).setId(nextId())
        .setCreationTimestamp(timestamp(sim.now())).setSelfLink(BASE + key).build();
    return mutate(r, "insert", key, () -> {
      checkName("resource.name", body.getName());
      checkAbsent(key, firewalls);
      validFirewall(r.path("project"), skeleton, body);
      return () -> {
        checkAbsent(key, firewalls);
        firewalls.put(key, validFirewall(r.path("project"), skeleton, body));
      };
    });
  }

  private Message listFirewalls(Routes.Request r) {
    var page = firewalls.page(scope(r) + "/firewalls/", r.intQuery("maxResults"), r.query("pageToken"), DEFAULT_PAGE_SIZE, filter(r));
    return FirewallList.newBuilder().setKind("compute#firewallList").setId(scope(r) + "/firewalls")
        .setSelfLink(BASE + scope(r) + "/firewalls").addAllItems(page.items()).setNextPageToken(page.nextPageToken()).build();
  }

  private Message patchFirewall(Routes.Request r) {
    String key = key(r, "firewalls");
    return mutate(r, "patch", key, () -> {
      Firewall current = firewalls.require(key, notFound(key));
      validFirewall(r.path("project"), current, Json.mergePatch(current, r.body()));
      return () -> {
        Firewall latest = firewalls.require(key, notFound(key));
        firewalls.put(key, validFirewall(r.path("project"), latest, Json.mergePatch(latest, r.body())));
      };
    });
  }

  private Message updateFirewall(Routes.Request r) {
    String key = key(r, "firewalls");
    Firewall body = r.body(Firewall.newBuilder()).build();
    return mutate(r, "update", key, () -> {
      validFirewall(r.path("project"), firewalls.require(key, notFound(key)), body);
      return () -> firewalls.put(key, validFirewall(r.path("project"), firewalls.require(key, notFound(key)), body));
    });
  }

  private Message deleteFirewall(Routes.Request r) {
    String key = key(r, "firewalls");
    return mutate(r, "delete", key, () -> {
      firewalls.require(key, notFound(key));
      return () -> firewalls.remove(key).orElseThrow(() -> ApiError.notFound(notFound(key)));
    });
  }

  private Firewall validFirewall(String project, Firewall current, Firewall spec) {
    if (!spec.getName().equals(current.getName())) {
      throw ApiError.invalid("Invalid value for field 'resource.name': '" + spec.getName() + "'. The name of a firewall cannot be changed.");
    }
    String networkKey = requireNetwork(project, spec.getNetwork());
    Firewall.Builder firewall = spec.toBuilder().setKind("compute#firewall").setId(current.getId())
        .setCreationTimestamp(current.getCreationTimestamp()).setSelfLink(current.getSelfLink()).setNetwork(BASE + networkKey);
    if (!firewall.hasPriority()) {
      firewall.setPriority(1000);
    } else if (spec.getPriority() < 0 || spec.getPriority() > 65535) {
      throw ApiError.invalid("Invalid value for field 'resource.priority': '" + spec.getPriority() + "'. Must be between 0 and 65535.");
    }
    String direction = spec.hasDirection() ? spec.getDirection() : "INGRESS";
    if (current.hasDirection() && !direction.equals(current.getDirection())) {
      // Ledger F4: immutable (Terraform forces a new rule); the API's error text is unsourced.
      throw ApiError.invalid("Invalid value for field 'resource.direction': '" + direction + "'. The direction of a firewall rule cannot be changed.");
    }
    if (!firewall.hasDirection()) {
      firewall.setDirection("INGRESS");
    } else if (!Set.of("INGRESS", "EGRESS").contains(spec.getDirection())) {
      throw ApiError.invalid("Invalid value for field 'resource.direction': '" + spec.getDirection() + "'.");
    }
    if ((spec.getAllowedCount() > 0) == (spec.getDeniedCount() > 0)) {
      throw ApiError.invalid("Invalid value for field 'resource': exactly one of 'allowed' or 'denied' must be specified.");
    }
    for (int i = 0; i < spec.getAllowedCount(); i++) {
      checkProtocolAndPorts("resource.allowed[" + i + "]", spec.getAllowed(i).getIPProtocol(), spec.getAllowed(i).getPortsList());
    }
    for (int i = 0; i < spec.getDeniedCount(); i++) {
      checkProtocolAndPorts("resource.denied[" + i + "]", spec.getDenied(i).getIPProtocol(), spec.getDenied(i).getPortsList());
    }
    boolean egress = firewall.getDirection().equals("EGRESS");
    // Ledger F5: sourceTags are refused on EGRESS (SDK-ce Firewall.direction); refusing source
    // service accounts there too is the fake's own choice (UNSOURCED).
    if (egress && (spec.getSourceTagsCount() > 0 || spec.getSourceServiceAccountsCount() > 0)) {
      throw ApiError.invalid("Invalid value for field 'resource.sourceTags': source tags and service accounts cannot be used in EGRESS rules.");
    }
    // Ledger F5: service accounts (source or target) exclude tags (source or target): SDK-ce
    // sourceServiceAccounts and targetServiceAccounts, MM Firewall.yaml conflicts. The text is the fake's.
    boolean tags = spec.getSourceTagsCount() > 0 || spec.getTargetTagsCount() > 0;
    if (tags && spec.getSourceServiceAccountsCount() > 0) {
      throw ApiError.invalid("Invalid value for field 'resource.sourceServiceAccounts': " + spec.getSourceServiceAccountsList()
          + ". sourceServiceAccounts cannot be used at the same time as sourceTags or targetTags.");
    }
    if (tags && spec.getTargetServiceAccountsCount() > 0) {
      throw ApiError.invalid("Invalid value for field 'resource.targetServiceAccounts': " + spec.getTargetServiceAccountsList()
          + ". targetServiceAccounts cannot be used at the same time as targetTags or sourceTags.");
    }
    spec.getSourceRangesList().stream().filter(range -> !range.contains(":")).forEach(Cidr::parse);
    spec.getDestinationRangesList().stream().filter(range -> !range.contains(":")).forEach(Cidr::parse);
    if (!egress && spec.getSourceRangesCount() == 0 && spec.getSourceTagsCount() == 0 && spec.getSourceServiceAccountsCount() == 0) {
      firewall.addSourceRanges("0.0.0.0/0");
    }
    if (egress && spec.getDestinationRangesCount() == 0) {
      firewall.addDestinationRanges("0.0.0.0/0");
    }
    if (!firewall.hasDisabled()) {
      firewall.setDisabled(false);
    }
    if (!firewall.hasLogConfig()) {
      firewall.setLogConfig(FirewallLogConfig.newBuilder().setEnable(false)); // ledger 9g
    }
    return firewall.build();
  }

  /**
   * Ledger F6. The protocol: a well-known name or a number 0-255; the list and the text are the
   * API's own 400 (terraform-google-modules/terraform-google-network#535). The fake takes the
   * names in any case (Terraform compares them case-insensitively; GCP's own handling of case is
   * UNSOURCED).
   */
  private static void checkProtocolAndPorts(String entry, String protocol, List<String> ports) {
    String field = entry + ".IPProtocol";
    if (protocol.isEmpty()) {
      throw ApiError.invalid("Invalid value for field '" + field + "': ''. The protocol must be specified.");
    }
    String name = protocol.toLowerCase(Locale.ROOT);
    boolean number = PROTOCOL_NUMBER.matcher(protocol).matches() && Integer.parseInt(protocol) <= 255;
    if (!PROTOCOLS.contains(name) && !number) {
      throw ApiError.invalid("Invalid value for field '" + field + "': '" + protocol + "'. Must be one of [\"ah\", \"all\", \"esp\","
          + " \"icmp\", \"ipip\", \"sctp\", \"tcp\", \"udp\"] or an IP protocol number between 0 and 255.");
    }
    if (!ports.isEmpty() && !PORT_PROTOCOLS.contains(name)) {
      // Ports only mean something for the port-based protocols; ICMP with ports is refused
      // (juju/juju#10215). The text is the fake's.
      throw ApiError.invalid("Invalid value for field '" + entry + ".ports': " + ports + ". Ports can only be specified for the"
          + " tcp, udp and sctp protocols, not '" + protocol + "'.");
    }
    for (int i = 0; i < ports.size(); i++) {
      if (!validPortRange(ports.get(i))) {
        // The API's own text for a malformed entry (GoogleCloudPlatform/google-cloud-powershell#537).
        throw ApiError.invalid("Invalid value for field '" + entry + ".ports[" + i + "]': '" + ports.get(i)
            + "'. Invalid port range specification.");
      }
    }
  }

  /**
   * An integer or a range "lo-hi" (SDK-ce AllowedValueListEntry.ports), each end a port 0-65535
   * ("0-65535" is the range the maintainers of Google's PowerShell tools give,
   * google-cloud-powershell#537). Refusing a number above 65535 and a range whose end is below
   * its start is the fake's choice (UNSOURCED).
   */
  private static boolean validPortRange(String entry) {
    Matcher m = PORT_RANGE.matcher(entry);
    if (!m.matches()) {
      return false;
    }
    long lo = Long.parseLong(m.group(1));
    long hi = m.group(2) == null ? lo : Long.parseLong(m.group(2));
    return hi <= 65535 && lo <= hi;
  }

  // ---- addresses ----

  private Message insertAddress(Routes.Request r) {
    Address body = r.body(Address.newBuilder()).build();
    String key = scope(r) + "/addresses/" + body.getName();
    Address address = body.toBuilder().setKind("compute#address").setId(nextId()).setCreationTimestamp(timestamp(sim.now()))
        .setSelfLink(BASE + key).setRegion(BASE + scope(r))
        .setAddressType(body.hasAddressType() ? body.getAddressType() : "EXTERNAL")
        .setNetworkTier(body.hasNetworkTier() ? body.getNetworkTier() : "PREMIUM").setStatus("RESERVED").build();
    return mutate(r, "insert", key, () -> {
      checkName("resource.name", body.getName());
      checkAbsent(key, addresses);
      if (!address.getAddressType().equals("EXTERNAL")) {
        throw ApiError.invalid("Invalid value for field 'resource.addressType': '" + address.getAddressType() + "'. The fake only reserves EXTERNAL addresses.");
      }
      if (body.hasAddress() && allocatedIps.contains(Cidr.parse(body.getAddress() + "/32").address())) {
        throw ApiError.invalid("Invalid value for field 'resource.address': '" + body.getAddress() + "'. The address is already reserved.");
      }
      return () -> {
        checkAbsent(key, addresses);
        long ip = body.hasAddress() ? Cidr.parse(body.getAddress() + "/32").address() : freeExternalIp()
            .orElseThrow(() -> new ApiError(403, Code.RESOURCE_EXHAUSTED, "quotaExceeded", "Quota 'STATIC_ADDRESSES' exceeded."));
        allocatedIps.add(ip);
        addresses.put(key, address.toBuilder().setAddress(Cidr.format(ip)).build());
      };
    });
  }

  private Message listAddresses(Routes.Request r) {
    Predicate<Address> filter = filter(r);
    var page = addresses.page(scope(r) + "/addresses/", r.intQuery("maxResults"), r.query("pageToken"), DEFAULT_PAGE_SIZE,
        address -> filter.test(withUsage(address)));
    return AddressList.newBuilder().setKind("compute#addressList").setId(scope(r) + "/addresses")
        .setSelfLink(BASE + scope(r) + "/addresses").addAllItems(page.items().stream().map(this::withUsage).toList())
        .setNextPageToken(page.nextPageToken()).build();
  }

  private Message deleteAddress(Routes.Request r) {
    String key = key(r, "addresses");
    return mutate(r, "delete", key, () -> {
      addresses.require(key, notFound(key));
      checkAddressUnused(key);
      return () -> {
        addresses.require(key, notFound(key));
        checkAddressUnused(key);
        removeAddress(key);
      };
    });
  }

  private void checkAddressUnused(String key) {
    Set<String> users = natIpUsers.getOrDefault(key, Set.of());
    if (!users.isEmpty()) {
      throw ApiError.inUse("The address resource '" + key + "' is already being used by '" + users.iterator().next() + "'");
    }
  }

  private void removeAddress(String key) {
    addresses.remove(key).ifPresent(a -> allocatedIps.remove(Cidr.parse(a.getAddress() + "/32").address()));
  }

  /** Status and users follow from the NATs that reference the address. */
  private Address withUsage(Address address) {
    Set<String> users = natIpUsers.getOrDefault(keyOf(address.getSelfLink()), Set.of());
    return address.toBuilder().setStatus(users.isEmpty() ? "RESERVED" : "IN_USE").clearUsers()
        .addAllUsers(users.stream().sorted().map(user -> BASE + user).toList()).build();
  }

  /** The lowest external IP no address or NAT holds: the fake's allocation is deterministic. */
  private Optional<Long> freeExternalIp() {
    for (Cidr pool : EXTERNAL_POOL) {
      for (long ip = pool.first() + 1; ip < pool.last(); ip++) {
        if (!allocatedIps.contains(ip)) {
          return Optional.of(ip);
        }
      }
    }
    return Optional.empty();
  }

  // ---- networks and subnetworks (seeded by tests) ----

  private Message listSubnetworks(Routes.Request r) {
    var page = subnetworks.page(scope(r) + "/subnetworks/", r.intQuery("maxResults"), r.query("pageToken"), DEFAULT_PAGE_SIZE, filter(r));
    return SubnetworkList.newBuilder().setKind("compute#subnetworkList").setId(scope(r) + "/subnetworks")
        .setSelfLink(BASE + scope(r) + "/subnetworks").addAllItems(page.items()).setNextPageToken(page.nextPageToken()).build();
  }

  private Message listNetworks(Routes.Request r) {
    var page = networks.page(scope(r) + "/networks/", r.intQuery("maxResults"), r.query("pageToken"), DEFAULT_PAGE_SIZE, filter(r));
    return NetworkList.newBuilder().setKind("compute#networkList").setId(scope(r) + "/networks")
        .setSelfLink(BASE + scope(r) + "/networks").addAllItems(page.items()).setNextPageToken(page.nextPageToken()).build();
  }

  // ---- lists: aggregated and of operations (ledger C1, C2) ----

  private Message aggregatedRouters(Routes.Request r) {
    Aggregated<Router> page = aggregate(r, routers, false, Router::getSelfLink, UnaryOperator.identity());
    RouterAggregatedList.Builder list = RouterAggregatedList.newBuilder().setKind("compute#routerAggregatedList")
        .setId(aggregatedId(r, "routers")).setSelfLink(BASE + aggregatedId(r, "routers"));
    if (!page.nextPageToken().isEmpty()) {
      list.setNextPageToken(page.nextPageToken());
    }
    page.byScope().forEach((scope, items) -> list.putItems(scope, items.isEmpty()
        ? RoutersScopedList.newBuilder().setWarning(noResults(scope)).build()
        : RoutersScopedList.newBuilder().addAllRouters(items).build()));
    return list.build();
  }

  private Message aggregatedAddresses(Routes.Request r) {
    Aggregated<Address> page = aggregate(r, addresses, false, Address::getSelfLink, this::withUsage);
    AddressAggregatedList.Builder list = AddressAggregatedList.newBuilder().setKind("compute#addressAggregatedList")
        .setId(aggregatedId(r, "addresses")).setSelfLink(BASE + aggregatedId(r, "addresses"));
    if (!page.nextPageToken().isEmpty()) {
      list.setNextPageToken(page.nextPageToken());
    }
    page.byScope().forEach((scope, items) -> list.putItems(scope, items.isEmpty()
        ? AddressesScopedList.newBuilder().setWarning(noResults(scope)).build()
        : AddressesScopedList.newBuilder().addAllAddresses(items).build()));
    return list.build();
  }

  private Message aggregatedSubnetworks(Routes.Request r) {
    Aggregated<Subnetwork> page = aggregate(r, subnetworks, false, Subnetwork::getSelfLink, UnaryOperator.identity());
    SubnetworkAggregatedList.Builder list = SubnetworkAggregatedList.newBuilder().setKind("compute#subnetworkAggregatedList")
        .setId(aggregatedId(r, "subnetworks")).setSelfLink(BASE + aggregatedId(r, "subnetworks"));
    if (!page.nextPageToken().isEmpty()) {
      list.setNextPageToken(page.nextPageToken());
    }
    page.byScope().forEach((scope, items) -> list.putItems(scope, items.isEmpty()
        ? SubnetworksScopedList.newBuilder().setWarning(noResults(scope)).build()
        : SubnetworksScopedList.newBuilder().addAllSubnetworks(items).build()));
    return list.build();
  }

  private Message aggregatedOperations(Routes.Request r) {
    Aggregated<Operation> page = aggregate(r, operations, true, Operation::getSelfLink, UnaryOperator.identity());
    OperationAggregatedList.Builder list = OperationAggregatedList.newBuilder().setKind("compute#operationAggregatedList")
        .setId(aggregatedId(r, "operations")).setSelfLink(BASE + aggregatedId(r, "operations"));
    if (!page.nextPageToken().isEmpty()) {
      list.setNextPageToken(page.nextPageToken());
    }
    page.byScope().forEach((scope, items) -> list.putItems(scope, items.isEmpty()
        ? OperationsScopedList.newBuilder().setWarning(noResults(scope)).build()
        : OperationsScopedList.newBuilder().addAllOperations(items).build()));
    return list.build();
  }

  /** globalOperations.list and regionOperations.list: the operations of one scope, oldest first. */
  private Message listOperations(Routes.Request r) {
    var page = operations.page(scope(r) + "/operations/", r.intQuery("maxResults"), r.query("pageToken"), DEFAULT_PAGE_SIZE, filter(r));
    OperationList.Builder list = OperationList.newBuilder().setKind("compute#operationList").setId(scope(r) + "/operations")
        .setSelfLink(BASE + scope(r) + "/operations").addAllItems(page.items());
    if (!page.nextPageToken().isEmpty()) {
      list.setNextPageToken(page.nextPageToken());
    }
    return list.build();
  }

  /** One page of an aggregated list: the items of each scope ("regions/R" or "global"), empty for a scope with none. */
  private record Aggregated<T>(Map<String, List<T>> byScope, String nextPageToken) {}

  /**
   * Pages through every item of the project in {@code store} (one page across all its scopes, as
   * {@code maxResults} counts items), grouped by scope. Every scope the fake knows appears: the
   * regions where it holds any compute object of any project, and "global" for a collection that
   * lives there ({@code global}) or when {@code includeAllScopes} asks for every scope type. GCP also
   * lists every zone and every region of the world; the fake knows neither.
   */
  private <T extends Message> Aggregated<T> aggregate(Routes.Request r, Store<T> store, boolean global, Function<T, String> selfLink,
      UnaryOperator<T> view) {
    String project = "projects/" + r.path("project") + "/";
    Predicate<T> filter = ComputeFilter.parse(r.query("filter"));
    var page = store.page(global ? project : project + "regions/", r.intQuery("maxResults"), r.query("pageToken"), DEFAULT_PAGE_SIZE,
        item -> filter.test(view.apply(item)));
    Map<String, List<T>> byScope = new LinkedHashMap<>();
    if (global || r.boolQuery("includeAllScopes")) {
      byScope.put("global", new ArrayList<>());
    }
    for (String region : knownRegions()) {
      byScope.put("regions/" + region, new ArrayList<>());
    }
    for (T item : page.items()) {
      String relative = keyOf(selfLink.apply(item)).substring(project.length());
      String scope = relative.startsWith("global/") ? "global" : relative.substring(0, relative.indexOf('/', "regions/".length()));
      byScope.computeIfAbsent(scope, s -> new ArrayList<>()).add(view.apply(item));
    }
    return new Aggregated<>(byScope, page.nextPageToken());
  }

  /** The regions where the fake holds a subnetwork, router, address or regional operation, in any project; sorted. */
  private Set<String> knownRegions() {
    Set<String> regions = new TreeSet<>();
    for (Store<?> store : List.<Store<?>>of(subnetworks, routers, addresses, operations)) {
      for (String key : store.keys()) {
        Matcher m = REGION_IN_KEY.matcher(key);
        if (m.lookingAt()) {
          regions.add(m.group(1));
        }
      }
    }
    return regions;
  }

  /** The warning GCP puts on a scope with no item on the page (a recorded answer in googleapis/google-cloud-cpp). */
  private static Warning noResults(String scope) {
    return Warning.newBuilder().setCode("NO_RESULTS_ON_PAGE").setMessage("There are no results for scope '" + scope + "' on this page.")
        .addData(Data.newBuilder().setKey("scope").setValue(scope)).build();
  }

  /** The list call's {@code filter} (ledger C4). */
  private <T extends Message> Predicate<T> filter(Routes.Request r) {
    return ComputeFilter.parse(r.query("filter"));
  }

  private static String aggregatedId(Routes.Request r, String collection) {
    return "projects/" + r.path("project") + "/aggregated/" + collection;
  }

  // ---- operations ----

  /**
   * Starts a compute operation for a mutation. {@code prepare} validates now and returns the change
   * to apply when the operation completes. A repeated requestId returns the first operation.
   */
  private Operation mutate(Routes.Request r, String operationType, String targetKey, Supplier<Runnable> prepare) {
    String requestKey = r.path("project") + " " + r.query("requestId");
    if (!r.query("requestId").isEmpty() && operationsByRequestId.containsKey(requestKey)) {
      return operations.get(operationsByRequestId.get(requestKey)).orElseThrow();
    }
    Runnable change = prepare.get();
    Instant now = sim.now();
    String name = "operation-" + now.toEpochMilli() + "-" + Long.toHexString(nextId());
    String key = scope(r) + "/operations/" + name;
    Operation.Builder operation = Operation.newBuilder().setKind("compute#operation").setId(nextId()).setName(name)
        .setOperationType(operationType).setTargetLink(BASE + targetKey).setStatus(Operation.Status.RUNNING)
        .setProgress(0).setInsertTime(timestamp(now)).setStartTime(timestamp(now))
        .setUser("fake-gcp@example.com").setSelfLink(BASE + key);
    if (r.path("region") != null) {
      operation.setRegion(BASE + scope(r));
    }
    operations.put(key, operation.build());
    if (!r.query("requestId").isEmpty()) {
      operationsByRequestId.put(requestKey, key);
    }
    if (operationType.equals("insert")) {
      insertsInFlight.put(targetKey, key);
    }
    Optional<ApiError> injected = faults.takeOperationFailure(API, r.method());
    sim.after(Latencies.Kind.COMPUTE_OPERATION, () -> {
      insertsInFlight.remove(targetKey, key);
      ApiError failure = injected.orElse(null);
      if (failure == null) {
        try {
          change.run();
        } catch (ApiError e) {
          failure = e;
        }
      }
      finish(key, failure);
    });
    return operations.get(key).orElseThrow();
  }

  /** A failed operation is still DONE; the client reads the failure from httpErrorStatusCode. */
  private void finish(String key, ApiError failure) {
    operations.update(key, op -> {
      Operation.Builder done = op.toBuilder().setStatus(Operation.Status.DONE).setProgress(100).setEndTime(timestamp(sim.now()));
      if (failure != null) {
        done.setHttpErrorStatusCode(failure.httpStatus).setHttpErrorMessage(failure.reasonPhrase())
            .setError(Error.newBuilder().addErrors(Errors.newBuilder().setCode(failure.code.name()).setMessage(failure.getMessage())));
      }
      return done.build();
    });
  }

  // ---- names ----

  private void checkAbsent(String key, Store<?> store) {
    String inFlight = insertsInFlight.get(key);
    if (store.contains(key) || inFlight != null) {
      throw ApiError.alreadyExists("The resource '" + key + "' already exists");
    }
  }

  private static void checkName(String field, String name) {
    if (!NAME.matcher(name).matches()) {
      throw ApiError.invalid("Invalid value for field '" + field + "': '" + name
          + "'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
    }
  }

  private static String notFound(String key) {
    return "The resource '" + key + "' was not found";
  }

  /** "projects/p/regions/r" for regional routes, "projects/p/global" for global ones. */
  private static String scope(Routes.Request r) {
    return scope(r.path("project"), r.path("region"));
  }

  static String scope(String project, String region) {
    return "projects/" + project + (region == null ? "/global" : "/regions/" + region);
  }

  private static String key(Routes.Request r, String collection) {
    return scope(r) + "/" + collection + "/" + r.path("name");
  }

  /** The relative name ("projects/...") of a URL or partial reference, as compute accepts them. */
  static String resourceKey(String project, String region, String collection, String reference) {
    int projects = reference.indexOf("projects/");
    if (projects >= 0) {
      return reference.substring(projects);
    }
    if (reference.startsWith("regions/") || reference.startsWith("global/")) {
      return "projects/" + project + "/" + reference;
    }
    return scope(project, region) + "/" + collection + "/" + reference;
  }

  private static String keyOf(String url) {
    return url.substring(url.indexOf("projects/"));
  }

  private static String timestamp(Instant instant) {
    return TIMESTAMP.format(instant.atOffset(ZoneOffset.UTC));
  }

  private long nextId() {
    return ++lastId;
  }
}
