package dev.cloudrun.egress.gcp.fake;

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
import java.util.List;
import java.util.Optional;

/** Read access to what the fake holds, as of the FakeClock's now. Names are relative ("projects/..."). */
public interface GcpState {
  Optional<Connector> connector(String name);

  Optional<Network> network(String project, String name);

  Optional<Subnetwork> subnetwork(String project, String region, String name);

  Optional<Router> router(String project, String region, String name);

  /** As routers.getRouterStatus answers it: the IPs each NAT translates to. */
  Optional<RouterStatus> routerStatus(String project, String region, String name);

  Optional<Firewall> firewall(String project, String name);

  /** Every firewall rule of a project. */
  List<Firewall> firewalls(String project);

  /** Every router of a project in a region. */
  List<Router> routers(String project, String region);

  /** The subnets of a network, in every region. */
  List<Subnetwork> subnetworksOf(String project, String network);

  /** With status RESERVED or IN_USE, as a GET returns it. */
  Optional<Address> address(String project, String region, String name);

  Optional<Job> job(String name);

  Optional<Execution> execution(String name);

  List<Task> tasks(String executionName);
}
