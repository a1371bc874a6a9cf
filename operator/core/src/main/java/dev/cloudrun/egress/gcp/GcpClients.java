package dev.cloudrun.egress.gcp;

import com.google.api.client.http.HttpTransport;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.httpjson.InstantiatingHttpJsonChannelProvider;
import com.google.api.gax.rpc.ClientSettings;
import com.google.cloud.compute.v1.AddressesClient;
import com.google.cloud.compute.v1.AddressesSettings;
import com.google.cloud.compute.v1.FirewallsClient;
import com.google.cloud.compute.v1.FirewallsSettings;
import com.google.cloud.compute.v1.GlobalOperationsClient;
import com.google.cloud.compute.v1.GlobalOperationsSettings;
import com.google.cloud.compute.v1.RegionOperationsClient;
import com.google.cloud.compute.v1.RegionOperationsSettings;
import com.google.cloud.compute.v1.RoutersClient;
import com.google.cloud.compute.v1.RoutersSettings;
import com.google.cloud.compute.v1.SubnetworksClient;
import com.google.cloud.compute.v1.SubnetworksSettings;
import com.google.cloud.run.v2.ExecutionsClient;
import com.google.cloud.run.v2.ExecutionsSettings;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.TasksClient;
import com.google.cloud.run.v2.TasksSettings;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceClient;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The official Google clients the operator uses, all over REST. By default they authenticate with
 * Application Default Credentials against googleapis.com; {@link #forEndpoint} points them at
 * another endpoint without credentials (the in-process fake, or an emulator). Every call is timed by
 * {@link GcpCallMetrics} at the transport, so nothing that goes through a client escapes it.
 */
public final class GcpClients implements AutoCloseable {
  /** The api tag of {@link GcpCallMetrics}, as the fake's call accounting names the APIs. */
  static final String VPC_ACCESS = "vpcaccess";
  static final String COMPUTE = "compute";
  static final String RUN = "run";
  static final String SCHEDULER = "cloudscheduler";

  public final VpcAccessServiceClient connectors;
  public final RoutersClient routers;
  public final FirewallsClient firewalls;
  public final AddressesClient addresses;
  public final RegionOperationsClient regionOperations;
  public final GlobalOperationsClient globalOperations;
  public final SubnetworksClient subnetworks;
  public final JobsClient jobs;
  /** Executions and tasks of the egress probe job, read for its exit codes. */
  public final ExecutionsClient executions;
  public final TasksClient tasks;
  /** Cloud Scheduler jobs of spec.execution.schedule. */
  public final com.google.cloud.scheduler.v1.CloudSchedulerClient scheduler;
  /** connectors.patch, which the GAPIC client lacks. */
  public final ConnectorPatcher connectorPatcher;

  private GcpClients(String endpoint, HttpTransport transport, GcpCallMetrics metrics) throws IOException {
    connectors = VpcAccessServiceClient.create(configure(VpcAccessServiceSettings.newHttpJsonBuilder(), endpoint, transport, metrics, VPC_ACCESS).build());
    routers = RoutersClient.create(configure(RoutersSettings.newBuilder(), endpoint, transport, metrics, COMPUTE).build());
    firewalls = FirewallsClient.create(configure(FirewallsSettings.newBuilder(), endpoint, transport, metrics, COMPUTE).build());
    addresses = AddressesClient.create(configure(AddressesSettings.newBuilder(), endpoint, transport, metrics, COMPUTE).build());
    regionOperations = RegionOperationsClient.create(configure(RegionOperationsSettings.newBuilder(), endpoint, transport, metrics, COMPUTE).build());
    globalOperations = GlobalOperationsClient.create(configure(GlobalOperationsSettings.newBuilder(), endpoint, transport, metrics, COMPUTE).build());
    subnetworks = SubnetworksClient.create(configure(SubnetworksSettings.newBuilder(), endpoint, transport, metrics, COMPUTE).build());
    jobs = JobsClient.create(configure(JobsSettings.newHttpJsonBuilder(), endpoint, transport, metrics, RUN).build());
    executions = ExecutionsClient.create(configure(ExecutionsSettings.newHttpJsonBuilder(), endpoint, transport, metrics, RUN).build());
    tasks = TasksClient.create(configure(TasksSettings.newHttpJsonBuilder(), endpoint, transport, metrics, RUN).build());
    scheduler = com.google.cloud.scheduler.v1.CloudSchedulerClient.create(configure(
        com.google.cloud.scheduler.v1.CloudSchedulerSettings.newHttpJsonBuilder(), endpoint, transport, metrics, SCHEDULER).build());
    connectorPatcher = endpoint == null ? ConnectorPatcher.applicationDefault(metrics) : ConnectorPatcher.forEndpoint(endpoint, metrics);
  }

  /** Clients for the real APIs with Application Default Credentials; every call is timed in {@code registry}. */
  public static GcpClients applicationDefault(MeterRegistry registry) {
    return create(null, registry);
  }

  /** Clients for an endpoint such as http://127.0.0.1:PORT, without credentials; calls are timed in {@code registry}. */
  public static GcpClients forEndpoint(String endpoint, MeterRegistry registry) {
    return create(endpoint, registry);
  }

  /** Clients for an endpoint, without credentials, whose calls are not recorded anywhere. */
  public static GcpClients forEndpoint(String endpoint) {
    return create(endpoint, new SimpleMeterRegistry());
  }

  /** The one scheduler of every in-process client set (retry pauses only): no thread pool per client. */
  private static final java.util.concurrent.ScheduledExecutorService IN_PROCESS_SCHEDULER =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "gcp-clients-in-process");
        thread.setDaemon(true);
        return thread;
      });

  /**
   * Clients for an endpoint, without credentials, whose REST calls go through {@code transport}
   * (e.g. the in-process fake's, which skips the socket) in the calling thread; calls are timed in
   * {@code registry}. connectors.patch is sent over HTTP to the endpoint all the same.
   */
  public static GcpClients forTransport(String endpoint, HttpTransport transport, MeterRegistry registry) {
    try {
      return new GcpClients(endpoint, transport, new GcpCallMetrics(registry));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create GCP clients", e);
    }
  }

  private static GcpClients create(String endpoint, MeterRegistry registry) {
    try {
      return new GcpClients(endpoint, null, new GcpCallMetrics(registry));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create GCP clients", e);
    }
  }

  private static <S extends ClientSettings<S>, B extends ClientSettings.Builder<S, B>> B configure(B builder, String endpoint,
      HttpTransport transport, GcpCallMetrics metrics, String api) {
    InstantiatingHttpJsonChannelProvider.Builder channel = InstantiatingHttpJsonChannelProvider.newBuilder()
        .setInterceptorProvider(metrics.interceptorsFor(api));
    if (transport != null) {
      channel.setHttpTransport(transport).setExecutor(Runnable::run);
      builder.setBackgroundExecutorProvider(com.google.api.gax.core.FixedExecutorProvider.create(IN_PROCESS_SCHEDULER, false));
    }
    builder.setTransportChannelProvider(channel.build());
    if (endpoint != null) {
      builder.setEndpoint(endpoint).setCredentialsProvider(NoCredentialsProvider.create());
    }
    return builder;
  }

  @Override
  public void close() {
    for (AutoCloseable client : List.<AutoCloseable>of(connectors, routers, firewalls, addresses,
        regionOperations, globalOperations, subnetworks, jobs, executions, tasks, scheduler)) {
      try {
        client.close();
      } catch (Exception e) {
        // closing is best effort: the clients hold only HTTP transports
      }
    }
  }
}
