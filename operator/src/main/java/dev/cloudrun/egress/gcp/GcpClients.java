package dev.cloudrun.egress.gcp;

import com.google.api.gax.core.NoCredentialsProvider;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The official Google clients the operator uses, all over REST. By default they authenticate with
 * Application Default Credentials against googleapis.com; {@link #forEndpoint} points them at
 * another endpoint without credentials (the in-process fake, or an emulator).
 */
public final class GcpClients implements AutoCloseable {
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
  /** connectors.patch, which the GAPIC client lacks. */
  public final ConnectorPatcher connectorPatcher;

  private GcpClients(String endpoint) throws IOException {
    connectors = VpcAccessServiceClient.create(configure(VpcAccessServiceSettings.newHttpJsonBuilder(), endpoint).build());
    routers = RoutersClient.create(configure(RoutersSettings.newBuilder(), endpoint).build());
    firewalls = FirewallsClient.create(configure(FirewallsSettings.newBuilder(), endpoint).build());
    addresses = AddressesClient.create(configure(AddressesSettings.newBuilder(), endpoint).build());
    regionOperations = RegionOperationsClient.create(configure(RegionOperationsSettings.newBuilder(), endpoint).build());
    globalOperations = GlobalOperationsClient.create(configure(GlobalOperationsSettings.newBuilder(), endpoint).build());
    subnetworks = SubnetworksClient.create(configure(SubnetworksSettings.newBuilder(), endpoint).build());
    jobs = JobsClient.create(configure(JobsSettings.newHttpJsonBuilder(), endpoint).build());
    executions = ExecutionsClient.create(configure(ExecutionsSettings.newHttpJsonBuilder(), endpoint).build());
    tasks = TasksClient.create(configure(TasksSettings.newHttpJsonBuilder(), endpoint).build());
    connectorPatcher = endpoint == null ? ConnectorPatcher.applicationDefault() : ConnectorPatcher.forEndpoint(endpoint);
  }

  /** Clients for the real APIs with Application Default Credentials. */
  public static GcpClients applicationDefault() {
    return create(null);
  }

  /** Clients for an endpoint such as http://127.0.0.1:PORT, without credentials. */
  public static GcpClients forEndpoint(String endpoint) {
    return create(endpoint);
  }

  private static GcpClients create(String endpoint) {
    try {
      return new GcpClients(endpoint);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create GCP clients", e);
    }
  }

  private static <S extends ClientSettings<S>, B extends ClientSettings.Builder<S, B>> B configure(B builder, String endpoint) {
    if (endpoint != null) {
      builder.setEndpoint(endpoint).setCredentialsProvider(NoCredentialsProvider.create());
    }
    return builder;
  }

  @Override
  public void close() {
    for (AutoCloseable client : List.<AutoCloseable>of(connectors, routers, firewalls, addresses,
        regionOperations, globalOperations, subnetworks, jobs, executions, tasks)) {
      try {
        client.close();
      } catch (Exception e) {
        // closing is best effort: the clients hold only HTTP transports
      }
    }
  }
}
