package dev.cloudrun.egress.gcp;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.ListAddressesRequest;
import com.google.cloud.compute.v1.ListFirewallsRequest;
import com.google.cloud.compute.v1.ListRoutersRequest;
import com.google.cloud.compute.v1.ListSubnetworksRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ListJobsRequest;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.ListConnectorsRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What exists in GCP, observed by listing each kind once per project and region and shared by every
 * CloudRunEgressJob there. Listing instead of a GET per object keeps the read rate proportional to
 * the number of regions, not of resources (the quota trap of per-object pollers). A list is at most
 * one resync interval old; the operator's own writes update it in place.
 */
public final class Inventory {

  /** One project and region (for firewalls, which are global, region is "global"). */
  public record Scope(String project, String region) {}

  private record Entry<T>(Instant takenAt, CompletableFuture<Map<String, T>> objects) {}

  /** The lists, shared by every view of one inventory. */
  private record Lists(Map<Scope, Entry<Connector>> connectors, Map<Scope, Entry<Router>> routers, Map<Scope, Entry<Address>> addresses,
      Map<Scope, Entry<Firewall>> firewalls, Map<Scope, Entry<Job>> jobs, Map<Scope, Entry<Subnetwork>> subnetworks) {
    Lists() {
      this(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>(),
          new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    }
  }

  private final GcpClients clients;
  private final Clock clock;
  private final Duration maxAge;
  private final Lists lists;

  public Inventory(GcpClients clients, Clock clock, Duration maxAge) {
    this(clients, clock, maxAge, new Lists());
  }

  private Inventory(GcpClients clients, Clock clock, Duration maxAge, Lists lists) {
    this.clients = clients;
    this.clock = clock;
    this.maxAge = maxAge;
    this.lists = lists;
  }

  /**
   * The same lists, for a resource that wants them no older than {@code maxAge} (its own resync
   * interval): a list older than that is taken again, for every resource that shares it.
   */
  public Inventory within(Duration maxAge) {
    return maxAge.equals(this.maxAge) ? this : new Inventory(clients, clock, maxAge, lists);
  }

  /** Connectors in a project and region, by full name. */
  public Map<String, Connector> connectors(String project, String region) {
    return get(lists.connectors(), new Scope(project, region), s -> {
      Map<String, Connector> byName = new ConcurrentHashMap<>();
      clients.connectors.listConnectors(ListConnectorsRequest.newBuilder()
              .setParent("projects/" + s.project() + "/locations/" + s.region()).build())
          .iterateAll().forEach(c -> byName.put(c.getName(), c));
      return byName;
    });
  }

  /** Routers in a project and region, by name. */
  public Map<String, Router> routers(String project, String region) {
    return get(lists.routers(), new Scope(project, region), s -> {
      Map<String, Router> byName = new ConcurrentHashMap<>();
      clients.routers.list(ListRoutersRequest.newBuilder().setProject(s.project()).setRegion(s.region()).build())
          .iterateAll().forEach(r -> byName.put(r.getName(), r));
      return byName;
    });
  }

  /** Regional addresses in a project and region, by name. */
  public Map<String, Address> addresses(String project, String region) {
    return get(lists.addresses(), new Scope(project, region), s -> {
      Map<String, Address> byName = new ConcurrentHashMap<>();
      clients.addresses.list(ListAddressesRequest.newBuilder().setProject(s.project()).setRegion(s.region()).build())
          .iterateAll().forEach(a -> byName.put(a.getName(), a));
      return byName;
    });
  }

  /** Firewall rules of a project, by name. */
  public Map<String, Firewall> firewalls(String project) {
    return get(lists.firewalls(), new Scope(project, "global"), s -> {
      Map<String, Firewall> byName = new ConcurrentHashMap<>();
      clients.firewalls.list(ListFirewallsRequest.newBuilder().setProject(s.project()).build())
          .iterateAll().forEach(f -> byName.put(f.getName(), f));
      return byName;
    });
  }

  /** Cloud Run jobs in a project and region, by full name. */
  public Map<String, Job> jobs(String project, String region) {
    return get(lists.jobs(), new Scope(project, region), s -> {
      Map<String, Job> byName = new ConcurrentHashMap<>();
      clients.jobs.listJobs(ListJobsRequest.newBuilder()
              .setParent("projects/" + s.project() + "/locations/" + s.region()).build())
          .iterateAll().forEach(j -> byName.put(j.getName(), j));
      return byName;
    });
  }

  /** Subnets in a project and region, by name: listed only for the egress diagnosis of private destinations. */
  public Map<String, Subnetwork> subnetworks(String project, String region) {
    return get(lists.subnetworks(), new Scope(project, region), s -> {
      Map<String, Subnetwork> byName = new ConcurrentHashMap<>();
      clients.subnetworks.list(ListSubnetworksRequest.newBuilder().setProject(s.project()).setRegion(s.region()).build())
          .iterateAll().forEach(n -> byName.put(n.getName(), n));
      return byName;
    });
  }

  /** Forgets every list: the next pass lists again (a force-reconcile). */
  public void invalidateAll() {
    lists.connectors().clear();
    lists.routers().clear();
    lists.addresses().clear();
    lists.firewalls().clear();
    lists.jobs().clear();
    lists.subnetworks().clear();
  }

  /** Lists once per scope and age: concurrent callers share the same list call. */
  private <T> Map<String, T> get(Map<Scope, Entry<T>> cache, Scope scope, Function<Scope, Map<String, T>> list) {
    Instant now = clock.instant();
    CompletableFuture<Map<String, T>> mine = new CompletableFuture<>();
    Entry<T> entry = cache.compute(scope, (s, current) ->
        current == null || current.objects().isCompletedExceptionally() || current.takenAt().plus(maxAge).isBefore(now)
            ? new Entry<>(now, mine)
            : current);
    if (entry.objects() == mine) {
      try {
        mine.complete(list.apply(scope));
      } catch (RuntimeException e) {
        mine.completeExceptionally(e);
        cache.remove(scope, entry);
        throw e;
      }
    }
    return entry.objects().join();
  }
}
