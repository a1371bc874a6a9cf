package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.run.v2.Job;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.EgressSpec;
import dev.cloudrun.egress.api.v1alpha1.FirewallSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The test's own answer to "which GCP objects does this spec call for", written from the CRD's
 * documentation, not from the reconciler (only the names come from {@link Targets}, which is
 * naming alone). Objects are identified as "KIND relative-name", the same way for what a spec
 * implies and for what the fake holds ({@link #inGcp}).
 */
final class Implied {
  private Implied() {}

  /** What the operator is to create and keep for this spec: objects marked existing are someone else's, not implied. */
  static Set<String> by(CloudRunEgressJob cr) {
    Set<String> ids = new TreeSet<>();
    Targets t = Targets.of(cr);
    EgressSpec egress = cr.getSpec().getEgress();
    if (egress.getConnector() != null && !egress.getConnector().getExisting()) {
      ids.add(connector(t.connectorPath()));
    }
    NatSpec nat = egress.getNat();
    if (nat != null && !nat.getExisting()) {
      if (!nat.getUseExistingRouter()) {
        ids.add(router(t.routerPath(nat.getRouter())));
      }
      ids.add(nat(t.routerPath(nat.getRouter()), nat.getName()));
      if (nat.getIpAllocation() == NatSpec.IpAllocation.Static && nat.getAddresses() != null) {
        nat.getAddresses().stream().filter(a -> !a.getExisting())
            .forEach(a -> ids.add(address("projects/" + t.networkProject() + "/regions/" + t.region() + "/addresses/" + a.getName())));
      }
    }
    FirewallSpec firewall = egress.getFirewall();
    if (firewall != null) {
      if (firewall.getAllow() != null) {
        firewall.getAllow().forEach(rule -> ids.add(firewall(t.networkProject(), t.allowRuleName(rule))));
      }
      if (firewall.getLeastPrivilege()) {
        ids.add(firewall(t.networkProject(), t.denyRuleName()));
        if (egress.getConnector() != null) { // the connector's return path to Google (ledger row 3b)
          ids.add(firewall(t.networkProject(), t.serverlessRuleName()));
        }
      }
    }
    ids.add(job(t.jobPath()));
    if (cr.getSpec().getExecution() != null && cr.getSpec().getExecution().getSchedule() != null) {
      ids.add(schedule(t.schedulePath()));
    }
    var diagnosis = cr.getSpec().getDiagnosis();
    if (diagnosis != null && diagnosis.getProbe() != null && diagnosis.getProbe().getEnabled()) {
      ids.add(job(t.probeJobPath(ProbeJobPart.SUFFIX)));
    }
    return ids;
  }

  /**
   * What the spec names as existing: the user's, used as it is. One the operator made and the spec
   * later marks existing (useExistingRouter turned on for the router it created) is handed over, not deleted.
   */
  static Set<String> namedAsExisting(CloudRunEgressJob cr) {
    Set<String> ids = new TreeSet<>();
    Targets t = Targets.of(cr);
    EgressSpec egress = cr.getSpec().getEgress();
    if (egress.getConnector() != null && egress.getConnector().getExisting()) {
      ids.add(connector(t.connectorPath()));
    }
    NatSpec nat = egress.getNat();
    if (nat != null) {
      if (nat.getExisting() || nat.getUseExistingRouter()) {
        ids.add(router(t.routerPath(nat.getRouter())));
      }
      if (nat.getExisting()) {
        ids.add(nat(t.routerPath(nat.getRouter()), nat.getName()));
      }
      if (nat.getAddresses() != null) {
        nat.getAddresses().stream().filter(a -> a.getExisting())
            .forEach(a -> ids.add(address("projects/" + t.networkProject() + "/regions/" + t.region() + "/addresses/" + a.getName())));
      }
    }
    return ids;
  }

  /** Every connector, router, NAT, address, firewall rule and job the fake holds, by id, with the object (a NAT with its router). */
  static Map<String, Object> inGcp(FakeGcp gcp) {
    Map<String, Object> objects = new LinkedHashMap<>();
    for (Connector c : gcp.allConnectors()) {
      objects.put(connector(c.getName()), c);
    }
    for (Router r : gcp.allRouters()) {
      String path = relative(r.getSelfLink());
      objects.put(router(path), r);
      for (RouterNat n : r.getNatsList()) {
        objects.put(nat(path, n.getName()), n);
      }
    }
    for (Address a : gcp.allAddresses()) {
      objects.put(address(relative(a.getSelfLink())), a);
    }
    for (Firewall f : gcp.allFirewalls()) {
      if (f.getName().startsWith("aet-")) {
        continue; // GCP's own rules for a connector (ledger row 3a): neither the operator's nor anyone's to leak
      }
      objects.put("firewall " + relative(f.getSelfLink()), f);
    }
    for (Job j : gcp.allJobs()) {
      objects.put(job(j.getName()), j);
    }
    for (com.google.cloud.scheduler.v1.Job s : gcp.allSchedulerJobs()) {
      objects.put(schedule(s.getName()), s);
    }
    return objects;
  }

  static String connector(String path) {
    return "connector " + path;
  }

  static String router(String path) {
    return "router " + path;
  }

  static String nat(String routerPath, String name) {
    return "nat " + routerPath + "/nats/" + name;
  }

  static String address(String path) {
    return "address " + path;
  }

  static String firewall(String project, String name) {
    return "firewall projects/" + project + "/global/firewalls/" + name;
  }

  static String job(String path) {
    return "job " + path;
  }

  static String schedule(String path) {
    return "schedule " + path;
  }

  /** The kind of an id: connector, router, nat, address, firewall, job or schedule. */
  static String kind(String id) {
    return id.substring(0, id.indexOf(' '));
  }

  private static String relative(String selfLink) {
    return selfLink.substring(selfLink.indexOf("projects/"));
  }
}
