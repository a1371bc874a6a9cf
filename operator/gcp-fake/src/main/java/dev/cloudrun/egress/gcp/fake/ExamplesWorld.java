package dev.cloudrun.egress.gcp.fake;

import com.google.cloud.compute.v1.InsertRouterRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RoutersClient;
import com.google.cloud.compute.v1.RoutersSettings;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.CreateJobRequest;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceClient;
import com.google.cloud.vpcaccess.v1.VpcAccessServiceSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

/**
 * What the examples in examples/ expect to find in GCP before the operator runs, put into the fake:
 * the networks and subnets they name, the network team's connector and NAT that
 * 05-existing-connector.yaml uses as they are, and the job that 08-adopt-job-deployed-by-hand.yaml
 * finds deployed by hand, and the company subnet and DNS names the egress probes of 06 and 07
 * check. Objects others made are created through the official clients, as their owners' tools would.
 */
public final class ExamplesWorld {
  private ExamplesWorld() {}

  /** One line per object, for the user to read before the run. */
  public static List<String> seed(FakeGcp gcp) {
    gcp.seedNetwork("myproject", "default");
    gcp.seedNetwork("myproject", "corp-vpc");
    gcp.seedSubnetwork("myproject", "europe-west2", "serverless-connector-euw2", "corp-vpc", "10.100.0.0/28");
    gcp.seedSubnetwork("myproject", "us-central1", "jobs-usc1", "default", "10.30.0.0/24");
    gcp.seedSubnetwork("myproject", "europe-west2", "corp-tools", "default", "10.20.0.0/16");
    gcp.run().egressProbe().resolve("github.com", "140.82.112.3").resolve("nexus.corp.internal", "10.20.4.10");
    gcp.seedNetwork("net-host-prod", "shared-vpc");
    try (VpcAccessServiceClient connectors = VpcAccessServiceClient.create(gcp.configure(VpcAccessServiceSettings.newHttpJsonBuilder()).build());
        RoutersClient routers = RoutersClient.create(gcp.configure(RoutersSettings.newBuilder()).build());
        JobsClient jobs = JobsClient.create(gcp.configure(JobsSettings.newHttpJsonBuilder()).build())) {
      connectors.createConnectorCallable().call(CreateConnectorRequest.newBuilder()
          .setParent("projects/net-host-prod/locations/europe-west2")
          .setConnectorId("shared-euw2")
          .setConnector(Connector.newBuilder().setNetwork("shared-vpc").setIpCidrRange("10.200.0.0/28")
              .setMachineType("e2-micro").setMinInstances(2).setMaxInstances(10))
          .build());
      routers.insertCallable().call(InsertRouterRequest.newBuilder()
          .setProject("net-host-prod")
          .setRegion("europe-west2")
          .setRouterResource(Router.newBuilder()
              .setName("shared-vpc-router-euw2")
              .setNetwork("projects/net-host-prod/global/networks/shared-vpc")
              .addNats(RouterNat.newBuilder().setName("shared-vpc-nat").setNatIpAllocateOption("AUTO_ONLY")
                  .setSourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_IP_RANGES")))
          .build());
      jobs.createJobCallable().call(CreateJobRequest.newBuilder()
          .setParent("projects/myproject/locations/europe-west2")
          .setJobId("my-agent-3")
          .setJob(Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder().setTemplate(TaskTemplate.newBuilder()
              .addContainers(Container.newBuilder().setImage("europe-west2-docker.pkg.dev/myproject/containers/my-agent:3.9.1"))
              .setServiceAccount("mgmt@myproject.iam.gserviceaccount.com"))))
          .build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Everything above was there long before the operator: let its operations finish.
    gcp.clock().advance(Duration.ofMinutes(5));
    return List.of(
        "networks myproject/default, myproject/corp-vpc and net-host-prod/shared-vpc",
        "subnets serverless-connector-euw2 (10.100.0.0/28, corp-vpc, europe-west2), corp-tools (10.20.0.0/16, default, europe-west2)"
            + " and jobs-usc1 (10.30.0.0/24, default, us-central1)",
        "DNS for the egress probes: github.com 140.82.112.3, nexus.corp.internal 10.20.4.10",
        "the network team's connector projects/net-host-prod/locations/europe-west2/connectors/shared-euw2 and NAT shared-vpc-router-euw2/shared-vpc-nat",
        "Cloud Run job my-agent-3 in myproject/europe-west2, deployed by hand with gcloud");
  }
}
