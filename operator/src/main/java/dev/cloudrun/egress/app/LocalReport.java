package dev.cloudrun.egress.app;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.VpcAccess;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.GcpErrors;
import dev.cloudrun.egress.reconciler.Targets;
import io.fabric8.kubernetes.api.model.Condition;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What a user would see after local mode: {@code kubectl get crej -A}, each resource's conditions,
 * and the GCP objects the resources name, read through the official clients. Job environment
 * values are not printed, only their names; secrets appear as references.
 */
final class LocalReport {
  /** The CRD's printer columns (CloudRunEgressJob's @AdditionalPrinterColumn), after NAMESPACE and NAME. */
  static final List<String> COLUMNS = List.of("NAMESPACE", "NAME", "REGION", "EGRESS", "EGRESS-IP", "METADATA", "READY", "REASON", "AGE");

  private final PrintWriter out;
  private final GcpClients gcp;

  LocalReport(PrintWriter out, GcpClients gcp) {
    this.out = out;
    this.gcp = gcp;
  }

  void print(List<CloudRunEgressJob> resources) {
    out.println();
    out.println("$ kubectl get cloudrunegressjobs -A");
    table(resources);
    out.println();
    out.println("Conditions:");
    resources.forEach(this::conditions);
    out.println();
    out.println("In GCP:");
    gcpObjects(resources);
    out.flush();
  }

  private void table(List<CloudRunEgressJob> resources) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(COLUMNS);
    for (CloudRunEgressJob cr : resources) {
      CloudRunEgressJobStatus status = cr.getStatus();
      rows.add(List.of(
          cr.getMetadata().getNamespace(),
          cr.getMetadata().getName(),
          cr.getSpec().getRegion(),
          String.valueOf(cr.getSpec().getEgress().getVpcEgress()),
          status == null ? "" : String.join(",", status.getEgressIPs()),
          condition(cr, "MetadataReachable").map(Condition::getStatus).orElse(""),
          condition(cr, "Ready").map(Condition::getStatus).orElse(""),
          condition(cr, "Ready").map(Condition::getReason).orElse(""),
          age(cr.getMetadata().getCreationTimestamp())));
    }
    int[] widths = new int[COLUMNS.size()];
    rows.forEach(row -> {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    });
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 3) + "s", row.get(i)));
      }
      out.println(line.toString().stripTrailing());
    }
  }

  private void conditions(CloudRunEgressJob cr) {
    out.println("  " + cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName());
    if (cr.getStatus() == null) {
      out.println("    (no status: the operator has not reconciled it)");
      return;
    }
    for (Condition c : cr.getStatus().getConditions()) {
      out.printf("    %-17s %-5s %-20s %s%n", c.getType(), c.getStatus(), c.getReason(), c.getMessage());
    }
  }

  private void gcpObjects(List<CloudRunEgressJob> resources) {
    Set<String> connectors = new LinkedHashSet<>();
    Map<String, Targets> routers = new LinkedHashMap<>();
    Map<String, Targets> addresses = new LinkedHashMap<>();
    Map<String, Targets> firewalls = new LinkedHashMap<>();
    Set<String> jobs = new LinkedHashSet<>();
    for (CloudRunEgressJob cr : resources) {
      Targets targets = Targets.of(cr);
      if (cr.getSpec().getEgress().getConnector() != null) {
        connectors.add(targets.connectorPath());
      }
      NatSpec nat = cr.getSpec().getEgress().getNat();
      if (nat != null) {
        routers.putIfAbsent(nat.getRouter(), targets);
        if (nat.getAddresses() != null) {
          nat.getAddresses().forEach(a -> addresses.putIfAbsent(a.getName(), targets));
        }
      }
      if (cr.getStatus() != null && cr.getStatus().getFirewall() != null) {
        cr.getStatus().getFirewall().getRules().forEach(rule -> firewalls.putIfAbsent(rule, targets));
      }
      jobs.add(targets.jobPath());
    }
    connectors.forEach(name -> show("Connector " + name, () -> connector(gcp.connectors.getConnector(name))));
    addresses.forEach((name, t) -> show("Static address " + name, () -> address(gcp.addresses.get(t.networkProject(), t.region(), name))));
    routers.forEach((name, t) -> show("Cloud Router " + t.routerPath(name), () -> router(gcp.routers.get(t.networkProject(), t.region(), name))));
    firewalls.forEach((name, t) -> show("Firewall rule " + name, () -> firewall(gcp.firewalls.get(t.networkProject(), name))));
    jobs.forEach(name -> show("Cloud Run job " + name, () -> job(gcp.jobs.getJob(name))));
  }

  private void show(String title, Supplier<String> details) {
    String text;
    try {
      text = details.get();
    } catch (ApiException e) {
      text = GcpErrors.isNotFound(e) ? "not found" : "cannot read: " + GcpErrors.describe(e);
    }
    out.println("  " + title);
    text.lines().forEach(line -> out.println("      " + line));
  }

  private static String connector(Connector c) {
    String range = c.hasSubnet() && !c.getSubnet().getName().isEmpty() ? "subnet " + c.getSubnet().getName() : c.getIpCidrRange() + " on " + c.getNetwork();
    return c.getState() + ", " + range + ", " + c.getMachineType() + " x " + c.getMinInstances() + "-" + c.getMaxInstances() + " instances";
  }

  private static String address(Address a) {
    return a.getAddress() + " (" + a.getStatus() + ")";
  }

  private static String router(Router r) {
    StringBuilder text = new StringBuilder("network " + last(r.getNetwork()));
    r.getNatsList().forEach(nat -> text.append("\nNAT ").append(nat.getName()).append(": ").append(nat.getNatIpAllocateOption())
        .append(nat.getNatIpsCount() == 0 ? "" : " " + nat.getNatIpsList().stream().map(LocalReport::last).toList())
        .append(", translates ").append(nat.getSourceSubnetworkIpRangesToNat())
        .append(nat.getSubnetworksCount() == 0 ? "" : " " + nat.getSubnetworksList().stream().map(s -> last(s.getName())).toList()));
    return text.toString();
  }

  private static String firewall(Firewall f) {
    boolean allow = f.getAllowedCount() > 0;
    String rules = (allow ? f.getAllowedList().stream().map(a -> a.getIPProtocol() + (a.getPortsCount() == 0 ? "" : ":" + String.join(",", a.getPortsList())))
        : f.getDeniedList().stream().map(d -> d.getIPProtocol() + (d.getPortsCount() == 0 ? "" : ":" + String.join(",", d.getPortsList()))))
        .collect(Collectors.joining(" "));
    return f.getDirection() + " " + (allow ? "allow " : "deny ") + rules + " to " + f.getDestinationRangesList()
        + ", priority " + f.getPriority() + ", targets " + f.getTargetTagsList();
  }

  private static String job(Job job) {
    TaskTemplate task = job.getTemplate().getTemplate();
    Container container = task.getContainers(0);
    VpcAccess vpc = task.getVpcAccess();
    String egress = !vpc.getConnector().isEmpty() ? "connector " + vpc.getConnector() + ", egress " + vpc.getEgress()
        : vpc.getNetworkInterfacesCount() > 0 ? "Direct VPC " + vpc.getNetworkInterfacesList().stream()
            .map(n -> last(n.getSubnetwork()) + " tags " + n.getTagsList()).toList() + ", egress " + vpc.getEgress()
        : "none (no VPC egress)";
    return "image " + container.getImage()
        + "\nvpcAccess " + egress
        + "\nservice account " + (task.getServiceAccount().isEmpty() ? "(default)" : task.getServiceAccount())
        + (container.getEnvCount() == 0 ? "" : "\nenv " + container.getEnvList().stream().map(LocalReport::envName).toList())
        + "\nlabels " + job.getLabelsMap();
  }

  /** The name, and for a secret its reference; never a value. */
  private static String envName(EnvVar env) {
    return env.hasValueSource()
        ? env.getName() + "=secret:" + env.getValueSource().getSecretKeyRef().getSecret() + ":" + env.getValueSource().getSecretKeyRef().getVersion()
        : env.getName();
  }

  private static java.util.Optional<Condition> condition(CloudRunEgressJob cr, String type) {
    return cr.getStatus() == null ? java.util.Optional.empty()
        : cr.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** kubectl's short age: 42s, 3m, 5h, 2d. */
  private static String age(String creationTimestamp) {
    if (creationTimestamp == null) {
      return "";
    }
    long seconds = Math.max(0, Duration.between(OffsetDateTime.parse(creationTimestamp).toInstant(), Instant.now()).getSeconds());
    return seconds < 120 ? seconds + "s" : seconds < 7200 ? seconds / 60 + "m" : seconds < 172800 ? seconds / 3600 + "h" : seconds / 86400 + "d";
  }

  private static String last(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
