package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.InsertAddressRequest;
import com.google.cloud.compute.v1.InsertFirewallRequest;
import com.google.cloud.compute.v1.InsertRouterRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterNatSubnetworkToNat;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.CreateJobRequest;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.CreateConnectorRequest;
import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import java.time.Duration;

/**
 * What is in GCP before the operator starts, none of it the operator's: what the examples expect
 * to find (networks, subnets, the network team's connector and NAT of 05, the job of 08 deployed
 * by hand, the DNS names the probes of 06 and 07 check) and objects whose names the edits' pools
 * hold, so that a random edit may collide with them: a connector with the very settings a spec
 * renamed to it asks for, a router without NAT (for useExistingRouter) and one with a NAT, a
 * firewall rule named as the operator would name one of my-agent-4's, a reserved address. Made
 * through the official clients, as their owners' tools would.
 */
final class SomeoneElses {
  private SomeoneElses() {}

  static void seed(FakeGcp gcp, GcpClients clients) {
    gcp.seedNetwork("myproject", "default");
    gcp.seedNetwork("myproject", "corp-vpc");
    gcp.seedSubnetwork("myproject", "europe-west2", "serverless-connector-euw2", "corp-vpc", "10.100.0.0/28");
    gcp.seedSubnetwork("myproject", "us-central1", "jobs-usc1", "default", "10.30.0.0/24");
    gcp.seedSubnetwork("myproject", "europe-west2", "corp-tools", "default", "10.20.0.0/16");
    gcp.seedNetwork("net-host-prod", "shared-vpc");
    gcp.run().egressProbe().resolve("github.com", "140.82.112.3").resolve("nexus.corp.internal", "10.20.4.10");
    String byHand = "Made by the network team with Terraform.";
    clients.connectors.createConnectorCallable().call(CreateConnectorRequest.newBuilder()
        .setParent("projects/net-host-prod/locations/europe-west2").setConnectorId("shared-euw2")
        .setConnector(Connector.newBuilder().setNetwork("shared-vpc").setIpCidrRange("10.200.0.0/28")
            .setMachineType("e2-micro").setMinInstances(2).setMaxInstances(10))
        .build());
    clients.connectors.createConnectorCallable().call(CreateConnectorRequest.newBuilder()
        .setParent("projects/myproject/locations/europe-west2").setConnectorId("team-conn")
        .setConnector(Connector.newBuilder().setNetwork("default").setIpCidrRange(Step.Pools.rangeOf("team-conn"))
            .setMachineType("e2-micro").setMinInstances(2).setMaxInstances(3))
        .build());
    insertRouter(clients, "net-host-prod", Router.newBuilder().setName("shared-vpc-router-euw2").setDescription(byHand)
        .setNetwork("projects/net-host-prod/global/networks/shared-vpc")
        .addNats(RouterNat.newBuilder().setName("shared-vpc-nat").setNatIpAllocateOption("AUTO_ONLY")
            .setSourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_IP_RANGES")).build());
    insertRouter(clients, "myproject", Router.newBuilder().setName(Step.Pools.TEAM_ROUTER).setDescription(byHand)
        .setNetwork("projects/myproject/global/networks/default").build());
    insertRouter(clients, "myproject", Router.newBuilder().setName("corp-router").setDescription(byHand)
        .setNetwork("projects/myproject/global/networks/corp-vpc")
        .addNats(RouterNat.newBuilder().setName("corp-nat").setNatIpAllocateOption("AUTO_ONLY")
            .setSourceSubnetworkIpRangesToNat("LIST_OF_SUBNETWORKS")
            .addSubnetworks(RouterNatSubnetworkToNat.newBuilder().setName("serverless-connector-euw2").addSourceIpRangesToNat("ALL_IP_RANGES")))
        .build());
    clients.firewalls.insertCallable().call(InsertFirewallRequest.newBuilder().setProject("myproject")
        .setFirewallResource(Firewall.newBuilder().setName("crej-my-agent-4-allow-web").setDescription(byHand)
            .setNetwork("projects/myproject/global/networks/default").setDirection("EGRESS").setPriority(800)
            .addTargetTags("web-proxies").addDestinationRanges("0.0.0.0/0").addAllowed(Allowed.newBuilder().setIPProtocol("tcp").addPorts("443")))
        .build());
    clients.addresses.insertCallable().call(InsertAddressRequest.newBuilder().setProject("myproject").setRegion("europe-west2")
        .setAddressResource(Address.newBuilder().setName("team-egress-ip").setDescription(byHand)).build());
    clients.jobs.createJobCallable().call(CreateJobRequest.newBuilder()
        .setParent("projects/myproject/locations/europe-west2").setJobId("my-agent-3")
        .setJob(Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder().setTemplate(TaskTemplate.newBuilder()
            .addContainers(Container.newBuilder().setImage("europe-west2-docker.pkg.dev/myproject/containers/my-agent:3.9.1"))
            .setServiceAccount("mgmt@myproject.iam.gserviceaccount.com"))))
        .build());
    // All of it was there long before the operator: its operations are done.
    gcp.clock().advance(Duration.ofHours(1));
  }

  private static void insertRouter(GcpClients clients, String project, Router router) {
    clients.routers.insertCallable().call(InsertRouterRequest.newBuilder().setProject(project).setRegion("europe-west2")
        .setRouterResource(router).build());
  }
}
