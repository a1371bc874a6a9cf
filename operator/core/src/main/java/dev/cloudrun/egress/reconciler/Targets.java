package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import dev.cloudrun.egress.api.v1alpha1.FirewallSpec;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The GCP identities a CloudRunEgressJob maps to, derived once from its spec: which project holds
 * what, and the names and paths of every object. Shared VPC: a network given as
 * projects/HOST/global/networks/NAME puts the router, NAT, addresses and firewall rules in HOST.
 */
public record Targets(
    String project,
    String region,
    String networkProject,
    String networkName,
    String jobName,
    String connectorProject,
    String connectorName) {

  public static Targets of(CloudRunEgressJob cr) {
    CloudRunEgressJobSpec spec = cr.getSpec();
    String network = spec.getEgress().getNetwork();
    String networkProject = spec.getProject();
    String networkName = network;
    if (ResourceNames.isFull(network)) {
      networkProject = ResourceNames.project(network);
      networkName = ResourceNames.id(network);
    }
    String jobName = spec.getJob().getName() != null ? spec.getJob().getName() : cr.getMetadata().getName();
    String connectorProject = null;
    String connectorName = null;
    if (spec.getEgress().getConnector() != null) {
      String name = spec.getEgress().getConnector().getName();
      if (ResourceNames.isFull(name)) {
        connectorProject = ResourceNames.project(name);
        connectorName = ResourceNames.id(name);
      } else {
        connectorProject = spec.getProject();
        connectorName = name;
      }
    }
    return new Targets(spec.getProject(), spec.getRegion(), networkProject, networkName, jobName, connectorProject, connectorName);
  }

  public String networkPath() {
    return ResourceNames.global(networkProject, "networks", networkName);
  }

  public String jobPath() {
    return ResourceNames.inLocation(project, region, "jobs", jobName);
  }

  /** The Cloud Scheduler job of spec.execution.schedule, beside the job: JOB-schedule. */
  public String schedulePath() {
    return ResourceNames.inLocation(project, region, "jobs", derivedName("", "-schedule"));
  }

  public String connectorPath() {
    return ResourceNames.inLocation(connectorProject, region, "connectors", connectorName);
  }

  /** The tag every instance of the connector carries, which firewall rules can target. */
  public String connectorTag() {
    return "vpc-connector-" + region + "-" + connectorName;
  }

  public String routerPath(String router) {
    return ResourceNames.inRegion(networkProject, region, "routers", router);
  }

  /** A NAT has no name of its own in GCP: it is a nats[] entry of its router. */
  public String natPath(String router, String nat) {
    return ResourceNames.child(routerPath(router), "nats", nat);
  }

  public String subnetworkPath(String subnet) {
    return ResourceNames.inRegion(networkProject, region, "subnetworks", subnet);
  }

  public String addressPath(String address) {
    return ResourceNames.inRegion(networkProject, region, "addresses", address);
  }

  public String firewallPath(String rule) {
    return ResourceNames.global(networkProject, "firewalls", rule);
  }

  /** Firewall rule names are global per project: prefix with the job and keep within 63 characters. */
  public String allowRuleName(FirewallSpec.AllowRule rule) {
    return ruleName("allow-" + rule.getName());
  }

  public String denyRuleName() {
    return ruleName("deny-all");
  }

  /**
   * The least-privilege allow that keeps a connector's path to Google's serverless infrastructure
   * open (docs/gcp-fidelity.md 3b). Not "allow-...": an allow entry may be named "serverless".
   */
  public String serverlessRuleName() {
    return ruleName("to-serverless");
  }

  private String ruleName(String suffix) {
    return derivedName("crej-", "-" + suffix);
  }

  /** The egress probe's job, beside the job it checks. */
  public String probeJobPath(String suffix) {
    return ResourceNames.inLocation(project, region, "jobs", derivedName("", suffix));
  }

  /**
   * A name made from the job's, within GCP's 63 characters: a long job name is cut and told apart
   * from others cut alike by a hash of the whole.
   */
  private String derivedName(String prefix, String suffix) {
    String name = prefix + jobName + suffix;
    if (name.length() <= 63) {
      return name;
    }
    String hash = sha256(project + "/" + region + "/" + jobName).substring(0, 8);
    int keep = 63 - (prefix + "-" + hash + suffix).length();
    return prefix + jobName.substring(0, keep).replaceAll("-+$", "") + "-" + hash + suffix;
  }

  /** The SHA-256 of the text, in hex: the one hash the operator derives names and keys with. */
  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
