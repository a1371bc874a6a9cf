package dev.cloudrun.egress.gcp.fake;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.rpc.ClientSettings;
import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Network;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterStatus;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.Task;
import com.google.cloud.vpcaccess.v1.Connector;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * An in-process fake of the Serverless VPC Access v1, Compute Engine v1, Cloud Run Admin v2 and Cloud
 * Scheduler v1 REST APIs on 127.0.0.1, for the official Google Java clients:
 *
 * <pre>{@code
 * try (FakeGcp gcp = FakeGcp.start()) {
 *   gcp.seedNetwork("p", "vpc");
 *   JobsClient jobs = JobsClient.create(gcp.configure(JobsSettings.newHttpJsonBuilder()).build());
 *   ...
 *   gcp.clock().advance(Duration.ofSeconds(90));
 * }
 * }</pre>
 */
public final class FakeGcp implements GcpState, AutoCloseable {
  private final FakeClock clock;
  private final Latencies latencies = new Latencies();
  private final Faults faults;
  private final Calls calls = new Calls();
  private final ComputeApi compute;
  private final RunApi run;
  private final VpcAccessApi vpcAccess;
  private final SchedulerApi scheduler;
  private final HttpFront front;
  private final InetAddress address;

  private FakeGcp(Builder builder) {
    clock = builder.clock;
    faults = new Faults(builder.seed);
    Simulation simulation = new Simulation(clock, latencies);
    compute = new ComputeApi(simulation, faults);
    run = new RunApi(simulation, faults, this);
    vpcAccess = new VpcAccessApi(simulation, faults, compute);
    scheduler = new SchedulerApi(simulation, faults, run);
    Routes routes = new Routes();
    compute.register(routes);
    run.register(routes);
    vpcAccess.register(routes);
    scheduler.register(routes);
    new RunV1Api(run).register(routes);
    address = builder.address;
    front = new HttpFront(routes, simulation, faults, calls, address, builder.port);
  }

  /** A fake with a manual clock on an ephemeral port. */
  public static FakeGcp start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder {
    private FakeClock clock = FakeClock.manual();
    private long seed = 42;
    private int port;
    private InetAddress address = InetAddress.getLoopbackAddress();

    private Builder() {}

    /** {@link FakeClock#manual()} by default; {@link FakeClock#scaled} for local mode and benchmarks. */
    public Builder clock(FakeClock clock) {
      this.clock = clock;
      return this;
    }

    /** Seed of the random error rates. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** 0 (the default) picks a free port. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /**
     * The address to listen on: loopback (the default) serves this machine only; another one, or
     * 0.0.0.0 for all, lets an operator elsewhere (a pod of a local cluster) reach the fake.
     */
    public Builder address(InetAddress address) {
      this.address = address;
      return this;
    }

    public FakeGcp start() {
      return new FakeGcp(this);
    }
  }

  /** "http://ADDRESS:PORT", to give to a client as its endpoint; 127.0.0.1 when the fake listens on every address. */
  public String endpoint() {
    String host = address.isAnyLocalAddress() ? "127.0.0.1" : address.getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + front.port();
  }

  /** Whether it listens on every address of the machine, not only the one {@link #endpoint()} names. */
  public boolean listensEverywhere() {
    return address.isAnyLocalAddress();
  }

  /**
   * A google-http-client transport to this fake that skips the socket: each call is answered in
   * the calling thread by the same routes, accounting and faults as over HTTP. Give it with
   * {@link #endpoint()} to {@code GcpClients.forTransport}.
   */
  public com.google.api.client.http.HttpTransport transport() {
    return new InProcessTransport(front);
  }

  /**
   * Points any official client's settings at the fake, without credentials. Use the REST builders:
   * {@code JobsSettings.newHttpJsonBuilder()}, {@code VpcAccessServiceSettings.newHttpJsonBuilder()},
   * {@code RoutersSettings.newBuilder()} (compute is REST only).
   */
  public <S extends ClientSettings<S>, B extends ClientSettings.Builder<S, B>> B configure(B settings) {
    return settings.setEndpoint(endpoint()).setCredentialsProvider(NoCredentialsProvider.create());
  }

  /** The HTTP side, for calls made in process as they would arrive over the wire ({@link SeedWorld}). */
  HttpFront front() {
    return front;
  }

  public FakeClock clock() {
    return clock;
  }

  public Latencies latencies() {
    return latencies;
  }

  public Faults faults() {
    return faults;
  }

  public Calls calls() {
    return calls;
  }

  public VpcAccessApi vpcAccess() {
    return vpcAccess;
  }

  public ComputeApi compute() {
    return compute;
  }

  public RunApi run() {
    return run;
  }

  /** Cloud Scheduler: who may run which Cloud Run job, out-of-band edits, the attempts of each job. */
  public SchedulerApi scheduler() {
    return scheduler;
  }

  public Network seedNetwork(String project, String name) {
    return compute.seedNetwork(project, name);
  }

  /** {@code network} is a name or URL of a seeded network in the project. */
  public Subnetwork seedSubnetwork(String project, String region, String name, String network, String ipCidrRange) {
    return seedSubnetwork(project, region,
        Subnetwork.newBuilder().setName(name).setNetwork(network).setIpCidrRange(ipCidrRange).build());
  }

  /** For subnets with more detail, e.g. secondary ranges or private Google access. */
  public Subnetwork seedSubnetwork(String project, String region, Subnetwork subnetwork) {
    return compute.seedSubnetwork(project, region, subnetwork);
  }

  @Override
  public Optional<Connector> connector(String name) {
    return vpcAccess.connector(name);
  }

  @Override
  public Optional<Network> network(String project, String name) {
    return compute.network(project, name);
  }

  @Override
  public Optional<Subnetwork> subnetwork(String project, String region, String name) {
    return compute.subnetwork(project, region, name);
  }

  @Override
  public Optional<Router> router(String project, String region, String name) {
    return compute.router(project, region, name);
  }

  @Override
  public Optional<RouterStatus> routerStatus(String project, String region, String name) {
    return compute.routerStatus(project, region, name);
  }

  @Override
  public Optional<Firewall> firewall(String project, String name) {
    return compute.firewall(project, name);
  }

  @Override
  public List<Firewall> firewalls(String project) {
    return compute.firewalls(project);
  }

  @Override
  public List<Router> routers(String project, String region) {
    return compute.routers(project, region);
  }

  @Override
  public List<Subnetwork> subnetworksOf(String project, String network) {
    return compute.subnetworksOf(project, network);
  }

  @Override
  public Optional<Address> address(String project, String region, String name) {
    return compute.address(project, region, name);
  }

  @Override
  public Optional<Job> job(String name) {
    return run.job(name);
  }

  @Override
  public Optional<Execution> execution(String name) {
    return run.execution(name);
  }

  @Override
  public List<Task> tasks(String executionName) {
    return run.tasks(executionName);
  }

  /**
   * Every connector, router, address, firewall rule and Cloud Run job the fake holds, in every
   * project and region, and the executions of one job: for tests that compare all of GCP with what
   * the specs imply.
   */
  public List<Connector> allConnectors() {
    return vpcAccess.connectors();
  }

  public List<Router> allRouters() {
    return compute.allRouters();
  }

  public List<Address> allAddresses() {
    return compute.allAddresses();
  }

  public List<Firewall> allFirewalls() {
    return compute.allFirewalls();
  }

  public List<Job> allJobs() {
    return run.jobs();
  }

  public List<Execution> executionsOf(String job) {
    return run.executionsOf(job);
  }

  /** Every Cloud Scheduler job the fake holds, in every project and location. */
  public List<com.google.cloud.scheduler.v1.Job> allSchedulerJobs() {
    return scheduler.jobs();
  }

  /** A Cloud Scheduler job by its name ("projects/p/locations/l/jobs/j"), as jobs.get answers it. */
  public Optional<com.google.cloud.scheduler.v1.Job> schedulerJob(String name) {
    return scheduler.job(name);
  }

  @Override
  public void close() {
    front.close();
  }
}
