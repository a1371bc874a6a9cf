package dev.cloudrun.egress.gcp;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.GetRouterStatusRouterRequest;
import com.google.cloud.compute.v1.ListAddressesRequest;
import com.google.cloud.compute.v1.ListFirewallsRequest;
import com.google.cloud.compute.v1.ListRoutersRequest;
import com.google.cloud.compute.v1.ListSubnetworksRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterStatus;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ListJobsRequest;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.ListConnectorsRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What exists in GCP, observed by listing each kind once per project and region and shared by every
 * CloudRunEgressJob there. Listing instead of a GET per object keeps the read rate proportional to
 * the number of regions, not of resources (the quota trap of per-object pollers). A list is at most
 * one resync interval old; the operator's own writes update it in place. The one object read by
 * itself is a router's status (the IPs of automatic NATs, which no list shows), and only for the
 * routers a caller asks about.
 */
public final class Inventory {

  /** One project and region (for firewalls, which are global, region is "global"). */
  public record Scope(String project, String region) {}

  /** One router, for its status. */
  private record RouterRef(String project, String region, String router) {}

  /** A router's status and the NATs the router had when it was read. */
  private record NatStatus(List<RouterNat> readFor, RouterStatus status) {}

  private record Entry<V>(Instant takenAt, CompletableFuture<V> value) {}

  private final GcpClients clients;
  private final Clock clock;
  private final Duration maxAge;
  private final Caches caches;

  /** What was read, shared by every view of one inventory ({@link #within}). */
  private static final class Caches {
    final Map<Scope, Entry<Map<String, Connector>>> connectors = new ConcurrentHashMap<>();
    final Map<Scope, Entry<Map<String, Router>>> routers = new ConcurrentHashMap<>();
    final Map<Scope, Entry<Map<String, Address>>> addresses = new ConcurrentHashMap<>();
    final Map<Scope, Entry<Map<String, Firewall>>> firewalls = new ConcurrentHashMap<>();
    final Map<Scope, Entry<Map<String, Job>>> jobs = new ConcurrentHashMap<>();
    final Map<Scope, Entry<Map<String, Subnetwork>>> subnetworks = new ConcurrentHashMap<>();
    final Map<Scope, Entry<Map<String, com.google.cloud.scheduler.v1.Job>>> schedulerJobs = new ConcurrentHashMap<>();
    final Map<RouterRef, Entry<NatStatus>> routerStatuses = new ConcurrentHashMap<>();
  }

  public Inventory(GcpClients clients, Clock clock, Duration maxAge) {
    this(clients, clock, maxAge, new Caches());
  }

  private Inventory(GcpClients clients, Clock clock, Duration maxAge, Caches caches) {
    this.clients = clients;
    this.clock = clock;
    this.maxAge = maxAge;
    this.caches = caches;
  }

  /**
   * The same lists, for a resource that wants them no older than {@code maxAge} (its own resync
   * interval): a list older than that is taken again, for every resource that shares it.
   */
  public Inventory within(Duration maxAge) {
    return maxAge.equals(this.maxAge) ? this : new Inventory(clients, clock, maxAge, caches);
  }

  /** Connectors in a project and region, by full name. */
  public Map<String, Connector> connectors(String project, String region) {
    return list(caches.connectors, new Scope(project, region), s -> clients.connectors.listConnectors(ListConnectorsRequest.newBuilder()
        .setParent(ResourceNames.location(s.project(), s.region())).build()).iterateAll(), Connector::getName);
  }

  /** Routers in a project and region, by name. */
  public Map<String, Router> routers(String project, String region) {
    return list(caches.routers, new Scope(project, region), s -> clients.routers.list(ListRoutersRequest.newBuilder()
        .setProject(s.project()).setRegion(s.region()).build()).iterateAll(), Router::getName);
  }

  /** Regional addresses in a project and region, by name. */
  public Map<String, Address> addresses(String project, String region) {
    return list(caches.addresses, new Scope(project, region), s -> clients.addresses.list(ListAddressesRequest.newBuilder()
        .setProject(s.project()).setRegion(s.region()).build()).iterateAll(), Address::getName);
  }

  /** Firewall rules of a project, by name. */
  public Map<String, Firewall> firewalls(String project) {
    return list(caches.firewalls, new Scope(project, "global"), s -> clients.firewalls.list(ListFirewallsRequest.newBuilder()
        .setProject(s.project()).build()).iterateAll(), Firewall::getName);
  }

  /** Cloud Run jobs in a project and region, by full name. */
  public Map<String, Job> jobs(String project, String region) {
    return list(caches.jobs, new Scope(project, region), s -> clients.jobs.listJobs(ListJobsRequest.newBuilder()
        .setParent(ResourceNames.location(s.project(), s.region())).build()).iterateAll(), Job::getName);
  }

  /** Cloud Scheduler jobs in a project and region, by full name. */
  public Map<String, com.google.cloud.scheduler.v1.Job> schedulerJobs(String project, String region) {
    return list(caches.schedulerJobs, new Scope(project, region), s -> clients.scheduler.listJobs(com.google.cloud.scheduler.v1.ListJobsRequest
        .newBuilder().setParent(ResourceNames.location(s.project(), s.region())).build()).iterateAll(), com.google.cloud.scheduler.v1.Job::getName);
  }

  /** Subnets in a project and region, by name: listed only for the egress diagnosis of private destinations. */
  public Map<String, Subnetwork> subnetworks(String project, String region) {
    return list(caches.subnetworks, new Scope(project, region), s -> clients.subnetworks.list(ListSubnetworksRequest.newBuilder()
        .setProject(s.project()).setRegion(s.region()).build()).iterateAll(), Subnetwork::getName);
  }

  /**
   * The status of a router as listed in {@link #routers}, with routers.getRouterStatus: the IPs its
   * NATs translate to. Read at most once per resync interval, and again as soon as the router's NATs
   * differ from when it was read (a NAT added, or switched between static and automatic IPs).
   */
  public RouterStatus routerStatus(String project, String region, Router router) {
    return get(caches.routerStatuses, new RouterRef(project, region, router.getName()), r -> r.readFor().equals(router.getNatsList()),
        r -> new NatStatus(router.getNatsList(), clients.routers.getRouterStatus(GetRouterStatusRouterRequest.newBuilder()
            .setProject(project).setRegion(region).setRouter(router.getName()).build()).getResult())).status();
  }

  /** Forgets every list: the next pass lists again (a force-reconcile). */
  public void invalidateAll() {
    caches.connectors.clear();
    caches.routers.clear();
    caches.addresses.clear();
    caches.firewalls.clear();
    caches.jobs.clear();
    caches.subnetworks.clear();
    caches.schedulerJobs.clear();
    caches.routerStatuses.clear();
  }

  /** Lists once per scope and age, every page, by {@code key}: concurrent callers share the same list call. */
  private <T> Map<String, T> list(Map<Scope, Entry<Map<String, T>>> cache, Scope scope, Function<Scope, Iterable<T>> pages,
      Function<T, String> key) {
    return get(cache, scope, objects -> true, s -> {
      Map<String, T> byName = new ConcurrentHashMap<>();
      pages.apply(s).forEach(object -> byName.put(key.apply(object), object));
      return byName;
    });
  }

  /** Reads once per key and age, and again when {@code fresh} says the value read is outdated. */
  private <K, V> V get(Map<K, Entry<V>> cache, K key, Predicate<V> fresh, Function<K, V> read) {
    Instant now = clock.instant();
    CompletableFuture<V> mine = new CompletableFuture<>();
    Entry<V> entry = cache.compute(key, (k, current) ->
        current == null || current.value().isCompletedExceptionally() || current.takenAt().plus(maxAge).isBefore(now)
            || current.value().isDone() && !fresh.test(current.value().join())
            ? new Entry<>(now, mine)
            : current);
    if (entry.value() == mine) {
      try {
        mine.complete(read.apply(key));
      } catch (RuntimeException e) {
        mine.completeExceptionally(e);
        cache.remove(key, entry);
        throw e;
      }
    }
    return entry.value().join();
  }
}
