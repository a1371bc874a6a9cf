package dev.cloudrun.egress.gcp.fake;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.ListConnectorsResponse;
import com.google.cloud.vpcaccess.v1.OperationMetadata;
import com.google.longrunning.Operation;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/** Serverless VPC Access v1: connectors and their operations. */
public final class VpcAccessApi {
  private static final String API = "vpcaccess";
  private static final Pattern CONNECTOR_ID = Pattern.compile("^[a-z][-a-z0-9]{0,23}[a-z0-9]$");
  private static final Set<String> MACHINE_TYPES = Set.of("f1-micro", "e2-micro", "e2-standard-4");
  private static final Set<String> PATCHABLE = Set.of("machineType", "minInstances", "maxInstances");
  private static final int DEFAULT_PAGE_SIZE = 100;
  /** Google's serverless infrastructure, the connector's other end (ledger 3a/3b: G-svpc, "serverless VPC return path"). */
  static final String SERVERLESS_RANGE = "35.199.224.0/19";
  /** The suffixes of a connector's implicit firewall rules (ledger 3a). */
  private static final List<String> IMPLICIT_KINDS = List.of("hcfw", "rsgfw", "earfw", "egrfw", "sbntfw", "tagfw");

  private final Simulation sim;
  private final Faults faults;
  private final ComputeApi compute;
  private final Store<Connector> connectors = new Store<>();
  private final LongRunningOperations operations = new LongRunningOperations();
  /** The updateMask of every accepted patch, by connector, as sent. */
  private final Map<String, List<String>> updateMasks = new ConcurrentHashMap<>();

  VpcAccessApi(Simulation sim, Faults faults, ComputeApi compute) {
    this.sim = sim;
    this.faults = faults;
    this.compute = compute;
  }

  void register(Routes routes) {
    String location = "/v1/projects/{project}/locations/{location}";
    routes.add(API, "connectors.create", "POST", location + "/connectors", this::create);
    routes.add(API, "connectors.list", "GET", location + "/connectors", this::list);
    routes.add(API, "connectors.get", "GET", location + "/connectors/{connector}", r -> connectors.require(name(r), notFound(name(r))));
    routes.add(API, "connectors.patch", "PATCH", location + "/connectors/{connector}", this::patch);
    routes.add(API, "connectors.delete", "DELETE", location + "/connectors/{connector}", this::delete);
    routes.add(API, "operations.get", "GET", location + "/operations/{operation}",
        r -> operations.get(parent(r) + "/operations/" + r.path("operation")));
  }

  // ---- out-of-band access ----

  /** Changes a connector as another tool would, e.g. {@code c -> c.toBuilder().setMaxInstances(7).build()}. */
  public Connector edit(String name, UnaryOperator<Connector> change) {
    return sim.locked(() -> connectors.put(name, change.apply(connectors.existing(name))));
  }

  /** Removes a connector at once, without an operation, and with it its implicit firewall rules. */
  public void delete(String name) {
    sim.locked(() -> connectors.remove(name).ifPresent(this::removeImplicitFirewalls));
  }

  Optional<Connector> connector(String name) {
    return sim.locked(() -> connectors.get(name));
  }

  List<Connector> connectors() {
    return sim.locked(() -> List.copyOf(connectors.under("projects/")));
  }

  /** The {@code updateMask} query of each patch of the connector that was accepted, oldest first, as the client sent it. */
  public List<String> updateMasks(String name) {
    return List.copyOf(updateMasks.getOrDefault(name, List.of()));
  }

  // ---- handlers ----

  private Message create(Routes.Request r) {
    String id = r.query("connectorId");
    if (!CONNECTOR_ID.matcher(id).matches()) {
      throw ApiError.invalid("Connector ID must follow the pattern ^[a-z][-a-z0-9]{0,23}[a-z0-9]$");
    }
    String name = parent(r) + "/connectors/" + id;
    if (connectors.contains(name)) {
      throw ApiError.alreadyExists("Requested entity already exists: connector '" + name + "'");
    }
    Connector connector = validNew(r, name, r.body(Connector.newBuilder()).build());
    Optional<ApiError> conflict = rangeConflict(r.path("project"), connector); // checked before it counts as taken
    connectors.put(name, connector);
    OperationMetadata started = started("CreateConnector", name);
    Operation operation = operations.start(parent(r), started);
    Optional<ApiError> failure = faults.takeOperationFailure(API, r.method()).or(() -> conflict);
    if (failure.isEmpty() && connector.getMaxInstances() == 0) {
      // Ledger 8b: no instance default since 2022; the operation fails with code 3 (magic-modules#6541,
      // cloud-foundation-fabric#2706). Whether the connector is left behind in ERROR is UNSOURCED.
      failure = Optional.of(ApiError.invalid("Operation failed: A Connector must specify either max_throughput or max_instances."));
    }
    Optional<ApiError> outcome = failure;
    sim.after(Latencies.Kind.CONNECTOR_CREATE, () -> {
      Connector.State state = outcome.isPresent() ? Connector.State.ERROR : Connector.State.READY;
      Optional<Connector> stored = connectors.get(name).map(c -> connectors.put(name, c.toBuilder().setState(state).build()));
      if (state == Connector.State.READY) {
        stored.ifPresent(this::addImplicitFirewalls);
      }
      finish(operation, started, outcome, stored.orElse(connector));
    });
    return operations.get(operation.getName());
  }

  private Message list(Routes.Request r) {
    var page = connectors.page(parent(r) + "/connectors/", r.intQuery("pageSize"), r.query("pageToken"), DEFAULT_PAGE_SIZE);
    return ListConnectorsResponse.newBuilder().addAllConnectors(page.items()).setNextPageToken(page.nextPageToken()).build();
  }

  /** Only machineType and min/max instances can change, and instances only grow. */
  private Message patch(Routes.Request r) {
    String name = name(r);
    Connector current = connectors.require(name, notFound(name));
    Connector body = r.body(Connector.newBuilder()).build();
    Set<String> mask = new LinkedHashSet<>();
    for (String path : r.query("updateMask").split(",")) {
      if (!path.isBlank()) {
        mask.add(camelCase(path.trim()));
      }
    }
    if (mask.isEmpty()) {
      mask.addAll(PATCHABLE);
    }
    for (String path : mask) {
      if (!PATCHABLE.contains(path)) {
        throw ApiError.invalid("Field '" + path + "' cannot be updated; only machineType, minInstances and maxInstances can.");
      }
    }
    if (current.getState() != Connector.State.READY) {
      throw ApiError.failedPrecondition("Connector '" + name + "' is " + current.getState() + "; only a READY connector can be updated.");
    }
    Connector.Builder updated = current.toBuilder();
    if (mask.contains("machineType") && !body.getMachineType().isEmpty()) {
      updated.setMachineType(checkMachineType(body.getMachineType()));
    }
    if (mask.contains("minInstances") && body.getMinInstances() != 0) {
      updated.setMinInstances(body.getMinInstances());
    }
    if (mask.contains("maxInstances") && body.getMaxInstances() != 0) {
      updated.setMaxInstances(body.getMaxInstances());
    }
    if (updated.getMinInstances() < current.getMinInstances() || updated.getMaxInstances() < current.getMaxInstances()) {
      throw ApiError.invalid("Connector instances can only be increased: min " + current.getMinInstances() + " -> "
          + updated.getMinInstances() + ", max " + current.getMaxInstances() + " -> " + updated.getMaxInstances()
          + ". Delete and recreate the connector to reduce them.");
    }
    checkInstances(updated.getMinInstances(), updated.getMaxInstances());
    // Ledger 9a: throughput follows the instances, also after a patch.
    updated.setMinThroughput(updated.getMinInstances() * 100).setMaxThroughput(updated.getMaxInstances() * 100);
    connectors.put(name, updated.setState(Connector.State.UPDATING).build());
    updateMasks.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(r.query("updateMask"));
    OperationMetadata started = started("UpdateConnector", name);
    Operation operation = operations.start(parent(r), started);
    Optional<ApiError> failure = faults.takeOperationFailure(API, r.method());
    sim.after(Latencies.Kind.CONNECTOR_UPDATE, () -> {
      Connector.State state = failure.isPresent() ? Connector.State.ERROR : Connector.State.READY;
      Connector done = connectors.get(name).map(c -> connectors.put(name, c.toBuilder().setState(state).build())).orElse(current);
      finish(operation, started, failure, done);
    });
    return operations.get(operation.getName());
  }

  /**
   * Ledger row 7: no public source shows GCP refusing to delete a connector that a job still names
   * (the docs only warn against it), so the fake deletes it like any other connector.
   */
  private Message delete(Routes.Request r) {
    String name = name(r);
    Connector current = connectors.require(name, notFound(name));
    OperationMetadata started = started("DeleteConnector", name);
    Operation operation = operations.start(parent(r), started);
    connectors.put(name, current.toBuilder().setState(Connector.State.DELETING).build());
    Optional<ApiError> failure = faults.takeOperationFailure(API, r.method());
    sim.after(Latencies.Kind.CONNECTOR_DELETE, () -> {
      if (failure.isPresent()) {
        connectors.get(name).ifPresent(c -> connectors.put(name, c.toBuilder().setState(Connector.State.ERROR).build()));
      } else {
        connectors.remove(name).ifPresent(this::removeImplicitFirewalls);
      }
      finish(operation, started, failure, Empty.getDefaultInstance());
    });
    return operations.get(operation.getName());
  }

  // ---- implicit firewall rules (ledger rows 3a and 3b) ----

  /**
   * Ledger 3a: a connector that becomes READY on a network of its own project (a standalone
   * network, or a Shared VPC network with the connector in the host project) gets GCP's six rules
   * on that network, visible in firewalls.list; a connector in a service project of a Shared VPC
   * gets none (3b: the host's admin adds them). The name pattern is Google's; the rules' kinds,
   * ports and priorities come from secondary sources only.
   */
  private void addImplicitFirewalls(Connector connector) {
    String[] name = connector.getName().split("/");
    String project = name[1];
    String region = name[3];
    String range = connector.getIpCidrRange();
    if (!connector.getSubnet().getName().isEmpty()) {
      String subnetProject = connector.getSubnet().getProjectId().isEmpty() ? project : connector.getSubnet().getProjectId();
      if (!subnetProject.equals(project)) {
        return;
      }
      Optional<Subnetwork> subnet = compute.subnetwork(project, region, connector.getSubnet().getName());
      if (subnet.isEmpty()) {
        return;
      }
      range = subnet.get().getIpCidrRange();
    }
    if (compute.network(project, connector.getNetwork()).isEmpty()) {
      return; // a range connector on another project's network (ledger row 5: GCP refuses it; the fake does not yet)
    }
    String network = ComputeApi.BASE + ComputeApi.scope(project, null) + "/networks/" + connector.getNetwork();
    for (Firewall rule : implicitFirewalls(region, name[5], network, range)) {
      compute.putImplicitFirewall(project, rule);
    }
  }

  /**
   * Ledger 3a: GCP deletes the rules with the connector; Google's own Terraform waits after the
   * delete because they can take a while to go (terraform-google-three-tier-web-app#200). The fake
   * removes them when the delete completes.
   */
  private void removeImplicitFirewalls(Connector connector) {
    String[] name = connector.getName().split("/");
    for (String kind : IMPLICIT_KINDS) {
      compute.deleteFirewall(name[1], implicitFirewallName(name[3], name[5], kind));
    }
  }

  /**
   * "aet-" + the region without hyphens + "-" + the connector ID with every hyphen doubled + "-" +
   * the kind: Google's troubleshooting pages show "aet-uscentral1-subnet--1-egrfw"; public reports
   * show "aet-uscentral1-ai--explorer--vpc--conn-earfw" and "aet-europewest9-connecteurdesktop-egrfw".
   */
  static String implicitFirewallName(String region, String connectorId, String kind) {
    return "aet-" + region.replace("-", "") + "-" + connectorId.replace("-", "--") + "-" + kind;
  }

  /**
   * The six rules, from the ledger's row 3a: four at priority 100 on the connector's unique tag
   * (health checks and serverless infrastructure in; the connector's traffic to the serverless
   * infrastructure out on its own ports, every other port there denied) and two ingress rules at
   * 1000 that let the connector's range and tag reach the whole network.
   */
  static List<Firewall> implicitFirewalls(String region, String connectorId, String network, String connectorRange) {
    String tag = "vpc-connector-" + region + "-" + connectorId;
    List<Allowed> serverlessPorts = List.of(
        Allowed.newBuilder().setIPProtocol("tcp").addPorts("667").build(),
        Allowed.newBuilder().setIPProtocol("udp").addPorts("665-666").build(),
        Allowed.newBuilder().setIPProtocol("icmp").build());
    List<Allowed> anything = List.of(Allowed.newBuilder().setIPProtocol("tcp").build(),
        Allowed.newBuilder().setIPProtocol("udp").build(), Allowed.newBuilder().setIPProtocol("icmp").build());
    List<Firewall> rules = new ArrayList<>();
    rules.add(implicit(region, connectorId, "hcfw", network, "INGRESS", 100).addTargetTags(tag)
        .addAllSourceRanges(List.of("35.191.0.0/16", "35.191.192.0/18", "130.211.0.0/22"))
        .addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("667")).build());
    rules.add(implicit(region, connectorId, "rsgfw", network, "INGRESS", 100).addTargetTags(tag)
        .addSourceRanges(SERVERLESS_RANGE).addAllAllowed(serverlessPorts).build());
    rules.add(implicit(region, connectorId, "earfw", network, "EGRESS", 100).addTargetTags(tag)
        .addDestinationRanges(SERVERLESS_RANGE).addAllAllowed(serverlessPorts).build());
    rules.add(implicit(region, connectorId, "egrfw", network, "EGRESS", 100).addTargetTags(tag)
        .addDestinationRanges(SERVERLESS_RANGE)
        .addDenied(Denied.newBuilder().setIPProtocol("tcp").addPorts("1-666").addPorts("668-65535"))
        .addDenied(Denied.newBuilder().setIPProtocol("udp").addPorts("1-664").addPorts("667-65535")).build());
    rules.add(implicit(region, connectorId, "sbntfw", network, "INGRESS", 1000)
        .addSourceRanges(connectorRange).addAllAllowed(anything).build());
    rules.add(implicit(region, connectorId, "tagfw", network, "INGRESS", 1000)
        .addSourceTags(tag).addAllAllowed(anything).build());
    return rules;
  }

  private static Firewall.Builder implicit(String region, String connectorId, String kind, String network, String direction, int priority) {
    return Firewall.newBuilder().setName(implicitFirewallName(region, connectorId, kind)).setNetwork(network)
        .setDirection(direction).setPriority(priority);
  }

  private void finish(Operation operation, OperationMetadata started, Optional<ApiError> failure, Message response) {
    OperationMetadata ended = started.toBuilder().setEndTime(Simulation.timestamp(sim.now())).build();
    if (failure.isPresent()) {
      operations.fail(operation.getName(), ended, failure.get());
    } else {
      operations.finish(operation.getName(), ended, response);
    }
  }

  private OperationMetadata started(String method, String target) {
    return OperationMetadata.newBuilder().setMethod("google.cloud.vpcaccess.v1.VpcAccessService." + method)
        .setCreateTime(Simulation.timestamp(sim.now())).setTarget(target).build();
  }

  // ---- validation ----

  private Connector validNew(Routes.Request r, String name, Connector spec) {
    String project = r.path("project");
    String region = r.path("location");
    boolean byRange = !spec.getNetwork().isEmpty() || !spec.getIpCidrRange().isEmpty();
    boolean bySubnet = spec.hasSubnet() && !spec.getSubnet().getName().isEmpty();
    if (byRange == bySubnet) {
      throw ApiError.invalid("Exactly one of (network and ip_cidr_range) or subnet must be specified.");
    }
    // Ledger 9c: connectedProjects is output only and reads empty on a connector no service uses.
    Connector.Builder connector = spec.toBuilder().setName(name).setState(Connector.State.CREATING).clearConnectedProjects()
        .setMachineType(spec.getMachineType().isEmpty() ? "e2-micro" : checkMachineType(spec.getMachineType()));
    if (byRange) {
      if (spec.getNetwork().isEmpty() || spec.getIpCidrRange().isEmpty()) {
        throw ApiError.invalid("Both network and ip_cidr_range must be specified when no subnet is given.");
      }
      String networkKey = networkKey(project, spec.getNetwork());
      if (!networkKey.startsWith("projects/" + project + "/")) {
        // Ledger row 5: only a connector in its network's own project may use a range (the error text is UNSOURCED).
        throw ApiError.invalid("Network '" + spec.getNetwork() + "' is not in project '" + project + "': a connector on another"
            + " project's (Shared VPC) network must be created from a subnet the network's admin shared with this project.");
      }
      Cidr range = Cidr.parse(spec.getIpCidrRange());
      if (range.prefix() != 28 || !range.isNetworkAddress()) {
        throw ApiError.invalid("Invalid IP CIDR range '" + spec.getIpCidrRange() + "': it must be an unused /28 range such as 10.8.0.0/28.");
      }
      // Ledger V1: GCP keeps the network's short name, even when a path was sent.
      connector.setNetwork(lastSegment(networkKey));
    } else {
      String subnetProject = spec.getSubnet().getProjectId().isEmpty() ? project : spec.getSubnet().getProjectId();
      Subnetwork subnet = compute.subnetwork(subnetProject, region, spec.getSubnet().getName()).orElseThrow(() -> ApiError.invalid(
          "Subnet '" + spec.getSubnet().getName() + "' was not found in project '" + subnetProject + "', region '" + region + "'."));
      if (Cidr.parse(subnet.getIpCidrRange()).prefix() != 28) {
        throw ApiError.invalid("Subnet '" + subnet.getName() + "' has range " + subnet.getIpCidrRange() + "; a connector needs a /28 subnet.");
      }
      connectors.under("projects/").stream()
          .filter(c -> c.getSubnet().getName().equals(subnet.getName())
              && (c.getSubnet().getProjectId().isEmpty() ? projectOf(c.getName()) : c.getSubnet().getProjectId()).equals(subnetProject))
          .findFirst().ifPresent(c -> {
            throw ApiError.invalid("Subnet '" + subnet.getName() + "' is already used by connector '" + c.getName() + "'.");
          });
      // Ledger row 1: GCP fills network (short name) on a connector made from a subnet (MM default_from_api),
      // and 9d: the subnet's project, which defaults to the connector's.
      connector.setNetwork(lastSegment(subnet.getNetwork()));
      connector.setSubnet(spec.getSubnet().toBuilder().setProjectId(subnetProject));
    }
    return withInstances(connector, spec).build();
  }

  /**
   * Ledger 8b and 9a: nothing is defaulted. Instances win over throughput, and throughput is always
   * instances x 100; throughput alone gives the instances (min throughput defaults to 200). With
   * neither maximum the create is accepted and its operation fails ({@link #create}).
   */
  private static Connector.Builder withInstances(Connector.Builder connector, Connector spec) {
    if (spec.getMaxInstances() == 0) {
      checkThroughput(spec);
    }
    int max = spec.getMaxInstances() != 0 ? spec.getMaxInstances() : spec.getMaxThroughput() / 100;
    int min = spec.getMinInstances() != 0 || spec.getMaxInstances() != 0 ? spec.getMinInstances()
        : (spec.getMinThroughput() != 0 ? spec.getMinThroughput() : 200) / 100;
    if (max == 0) {
      return connector.setMinInstances(spec.getMinInstances()).setMaxInstances(0).setMinThroughput(0).setMaxThroughput(0);
    }
    if (min == 0) {
      throw ApiError.invalid("min must be greater than or equal to 2");
    }
    checkInstances(min, max);
    return connector.setMinInstances(min).setMaxInstances(max).setMinThroughput(min * 100).setMaxThroughput(max * 100);
  }

  /**
   * Ledger 8d: a range that overlaps a subnet of the network or another connector's range in it
   * is accepted, and the create's operation fails with code 3, leaving the connector in ERROR
   * ("Invalid IP CIDR range was provided. It conflicts with an existing subnetwork. Please delete
   * the connector manually.").
   */
  private Optional<ApiError> rangeConflict(String project, Connector connector) {
    if (connector.getIpCidrRange().isEmpty()) {
      return Optional.empty();
    }
    Cidr range = Cidr.parse(connector.getIpCidrRange());
    String networkKey = networkKey(project, connector.getNetwork());
    String conflict = compute.subnetworksOf(networkKey).stream().filter(subnet -> Cidr.parse(subnet.getIpCidrRange()).overlaps(range))
        .map(subnet -> "subnetwork '" + subnet.getName() + "' (" + subnet.getIpCidrRange() + ")").findFirst()
        .or(() -> connectors.under("projects/" + project + "/").stream()
            .filter(other -> !other.getIpCidrRange().isEmpty() && other.getNetwork().equals(connector.getNetwork())
                && Cidr.parse(other.getIpCidrRange()).overlaps(range))
            .map(other -> "connector '" + other.getName() + "' (" + other.getIpCidrRange() + ")").findFirst())
        .orElse(null);
    return conflict == null ? Optional.empty() : Optional.of(ApiError.invalid("Operation failed: Invalid IP CIDR range was provided."
        + " It conflicts with an existing subnetwork. Please delete the connector manually. (" + range + " overlaps " + conflict + ".)"));
  }

  private String networkKey(String project, String network) {
    try {
      return compute.requireNetwork(project, network);
    } catch (ApiError notFound) {
      throw ApiError.invalid("Network '" + network + "' was not found in project '" + project + "'.");
    }
  }

  private static String checkMachineType(String machineType) {
    if (!MACHINE_TYPES.contains(machineType)) {
      throw ApiError.invalid("Invalid machine type '" + machineType + "'; supported: e2-micro, f1-micro, e2-standard-4.");
    }
    return machineType;
  }

  /**
   * Ledger 8e: throughput that counts (sent without maxInstances, which wins over it, 9a) is Mbps
   * in steps of 100: min 200-900, max 300-1000, min below max (SDK-va minThroughput and
   * maxThroughput: "Value must be a multiple of 100 from 200 through 900"). Throughput sent with
   * instances is ignored unchecked, as GCP ignores it; whether GCP would still refuse a bad one
   * there, and where (synchronously or in the operation) it refuses one here, is UNSOURCED.
   */
  private static void checkThroughput(Connector spec) {
    int min = spec.getMinThroughput();
    int max = spec.getMaxThroughput();
    boolean minCounts = min != 0 && spec.getMinInstances() == 0;
    if (minCounts && (min % 100 != 0 || min < 200 || min > 900)) {
      throw ApiError.invalid("min_throughput must be a multiple of 100 from 200 through 900, got " + min + ".");
    }
    if (max != 0 && (max % 100 != 0 || max < 300 || max > 1000)) {
      throw ApiError.invalid("max_throughput must be a multiple of 100 from 300 through 1000, got " + max + ".");
    }
    if (minCounts && max != 0 && min >= max) {
      throw ApiError.invalid("min_throughput (" + min + ") must be lower than max_throughput (" + max + ").");
    }
  }

  private static void checkInstances(int min, int max) {
    if (min < 2 || min > 9) {
      throw ApiError.invalid("min_instances must be between 2 and 9, got " + min + ".");
    }
    if (max < 3 || max > 10) {
      throw ApiError.invalid("max_instances must be between 3 and 10, got " + max + ".");
    }
    if (min >= max) {
      throw ApiError.invalid("min_instances (" + min + ") must be lower than max_instances (" + max + ").");
    }
  }

  private static String camelCase(String path) {
    String[] words = path.split("_");
    return words[0] + Arrays.stream(words).skip(1).map(w -> Character.toUpperCase(w.charAt(0)) + w.substring(1))
        .reduce("", String::concat);
  }

  private static String parent(Routes.Request r) {
    return "projects/" + r.path("project") + "/locations/" + r.path("location");
  }

  private static String name(Routes.Request r) {
    return parent(r) + "/connectors/" + r.path("connector");
  }

  private static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static String projectOf(String name) {
    return name.split("/")[1];
  }

  private static String notFound(String name) {
    return "Resource '" + name + "' was not found";
  }
}
