package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;

/**
 * The settings of an EgressPolicy, as defaults or as a namespace's overrides. Nothing here has a
 * schema default: an unset setting must stay unset so that an override entry does not mask the
 * defaults with values nobody wrote. A list restricts to its values; an empty list allows nothing.
 */
@Data
public class EgressRules {
  /** Longest list a policy may hold; the admission policy's messages print lists up to this size. */
  public static final int MAX_VALUES = 32;
  /**
   * Fewer image registry prefixes, each up to 200 characters: a denial prints the job's image (up to
   * 1024 characters) and every allowed prefix, and the API server replaces a message longer than
   * 5 KiB with the rule's static text. 16 such prefixes keep it under, with room for the longest
   * EgressPolicy and namespace names.
   */
  public static final int MAX_IMAGE_REGISTRIES = 16;
  /**
   * The beginning of an image reference as spec.job.image writes it (lowercase registry host, an
   * optional port, path segments) ending with /: ASCII only, so a prefix's length in characters is
   * its length in the denial's bytes.
   */
  static final String IMAGE_PREFIX = "^[a-z0-9]+([._-][a-z0-9]+)*([.:][a-z0-9-]+)*(/[a-zA-Z0-9._-]+)*/$";

  @Size(max = MAX_VALUES)
  @ValidationRule(
      value = "self.all(p, p.matches('" + CelPatterns.PROJECT + "'))",
      message = "allowedProjects must be GCP project IDs such as my-project")
  @JsonPropertyDescription("Projects a job may use (spec.project).")
  private List<@Size(max = 30) String> allowedProjects;

  @Size(max = MAX_VALUES)
  @ValidationRule(
      value = "self.all(r, r.matches('" + CelPatterns.REGION + "'))",
      message = "allowedRegions must be GCP regions such as europe-west2")
  @JsonPropertyDescription("Regions a job may run in (spec.region).")
  private List<@Size(max = 40) String> allowedRegions;

  @Size(max = MAX_VALUES)
  @ValidationRule(
      value = "self.all(n, n.matches('" + CelPatterns.GCE_NAME + "') || n.matches('" + CelPatterns.NETWORK_PATH + "'))",
      message = "allowedNetworks must be network names such as default, or projects/HOST/global/networks/NAME, written as jobs write spec.egress.network")
  @JsonPropertyDescription("VPC networks a job's traffic may enter (spec.egress.network), written as the job writes them.")
  // 119: the longest projects/HOST/global/networks/NAME the pattern admits (9 + 30 + 17 + 63).
  private List<@Size(max = 119) String> allowedNetworks;

  @JsonPropertyDescription("The spec.egress.vpcEgress every job must use: AllTraffic (public traffic through NAT) or PrivateRangesOnly.")
  private EgressSpec.VpcEgress requiredVpcEgress;

  @JsonPropertyDescription("True: public traffic must leave from a static IP, so jobs need vpcEgress AllTraffic and a NAT that is either created with ipAllocation Static or existing (restrict which with nats.allowedExisting).")
  private Boolean requireStaticEgressIP;

  @JsonPropertyDescription("Which Serverless VPC Access connectors jobs may use or create.")
  private ConnectorRules connectors;

  @JsonPropertyDescription("Which Cloud NATs jobs may use or create.")
  private NatRules nats;

  @JsonPropertyDescription("What the Cloud Run Job itself may run as and from.")
  private JobRules job;

  @JsonPropertyDescription("What the jobs' firewall rules may open.")
  private FirewallRules firewall;

  @JsonPropertyDescription("True: jobs must turn the diagnosis probe on (spec.diagnosis.probe.enabled; a job without it counts as off).")
  private Boolean requireDiagnosis;

  @JsonPropertyDescription("What the runs the operator starts (spec.execution) may do: schedules, their invokers and how often they fire, overrides.")
  private RunRules runs;

  @Data
  public static class ConnectorRules {
    @Size(max = MAX_VALUES)
    @ValidationRule(
        value = "self.all(c, c.matches('" + CelPatterns.CONNECTOR_ID + "') || c.matches('" + CelPatterns.CONNECTOR_PATH + "'))",
        message = "connectors.allowedExisting must be connector names, or projects/HOST/locations/REGION/connectors/NAME, written as jobs write spec.egress.connector.name")
    @JsonPropertyDescription("Existing connectors (existing: true) jobs may use, written as jobs write spec.egress.connector.name.")
    private List<@Size(max = 120) String> allowedExisting;

    @JsonPropertyDescription("False: jobs may not have the operator create connectors (existing: false); they must use an existing one.")
    private Boolean allowCreate;

    @Min(3)
    @Max(10)
    @JsonPropertyDescription("Largest maxInstances of a connector a job creates (a job that leaves it unset asks for 10).")
    private Integer maxInstances;

    @Size(max = MAX_VALUES)
    @JsonPropertyDescription("Machine types of connectors jobs create (a job that leaves it unset asks for e2-micro).")
    private List<ConnectorSpec.MachineType> allowedMachineTypes;
  }

  @Data
  public static class NatRules {
    @Size(max = MAX_VALUES)
    @ValidationRule(
        value = "self.all(n, n.matches('" + CelPatterns.NAT_REF + "'))",
        message = "nats.allowedExisting entries must be ROUTER/NAT, e.g. shared-router/shared-nat")
    @JsonPropertyDescription("Existing NATs (existing: true) jobs may use, each as ROUTER/NAT (spec.egress.nat.router and name).")
    private List<@Size(max = 127) String> allowedExisting;

    @JsonPropertyDescription("False: jobs may not have the operator create NATs (existing: false); they must use an existing one.")
    private Boolean allowCreate;
  }

  @Data
  public static class JobRules {
    @Size(max = MAX_IMAGE_REGISTRIES)
    @ValidationRule(
        value = "self.all(p, p.matches('" + IMAGE_PREFIX + "'))",
        message = "job.allowedImageRegistries prefixes must end with / (e.g. europe-west2-docker.pkg.dev/myproject/), otherwise a longer host name such as europe-west2-docker.pkg.dev.example.com would match too; and they must begin an image reference as spec.job.image writes it (lowercase registry host, optional :port, path segments)")
    @JsonPropertyDescription("Prefixes a job's image (spec.job.image) must start with, e.g. europe-west2-docker.pkg.dev/myproject/. Each ends with /; up to 16 of up to 200 characters.")
    private List<@Size(max = 200) String> allowedImageRegistries;

    @Size(max = 300)
    @ValidationRule(
        value = "self.startsWith('^') && self.endsWith('$')",
        message = "job.encryptionKeyPattern must start with ^ and end with $: CEL matches() finds a pattern anywhere in the key otherwise")
    @JsonPropertyDescription("Regular expression (RE2) spec.job.encryptionKey must match; jobs must then set a CMEK key. Anchored with ^ and $.")
    private String encryptionKeyPattern;

    @Size(max = 300)
    @ValidationRule(
        value = "self.startsWith('^') && self.endsWith('$')",
        message = "job.serviceAccountPattern must start with ^ and end with $: CEL matches() finds a pattern anywhere in the email otherwise")
    @JsonPropertyDescription("Regular expression (RE2) spec.job.serviceAccount must match; jobs must then name a service account instead of the default compute one. Anchored with ^ and $.")
    private String serviceAccountPattern;
  }

  @Data
  public static class FirewallRules {
    @JsonPropertyDescription("True: jobs must set spec.egress.firewall.leastPrivilege, so the connector or tags reach only what the allow rules open.")
    private Boolean requireLeastPrivilege;

    @Size(max = MAX_VALUES)
    @ValidationRule(
        value = "self.all(r, r.matches('" + CelPatterns.IPV4_CIDR + "'))",
        message = "firewall.allowedDestinationRanges must be IPv4 CIDR ranges such as 10.20.0.0/16")
    @JsonPropertyDescription("Destination ranges firewall allow rules may open, compared as written (standard CEL has no CIDR arithmetic): list each range jobs may use.")
    private List<@Size(max = 18) String> allowedDestinationRanges;

    @Size(max = MAX_VALUES)
    @ValidationRule(
        value = "self.all(p, p.matches('" + CelPatterns.PORT_OR_RANGE + "'))",
        message = "firewall.allowedPorts must be ports 1-65535 or ranges like 8000-8080, written as strings")
    @JsonPropertyDescription("Ports firewall allow rules may open, compared as written (\"443\", \"8000-8080\"). Rules must then list their ports, so rules for all ports (icmp, all, or no ports) are refused.")
    private List<@Size(max = 11) String> allowedPorts;
  }

  @Data
  public static class RunRules {
    @JsonPropertyDescription("False: jobs may not run on a schedule (spec.execution.schedule); runs from spec.execution.runToken or the run-requested-at annotation still start.")
    private Boolean allowSchedules;

    // 100: spec.execution.schedule.serviceAccount's own limit, so every email a job may write fits.
    @Size(max = MAX_VALUES)
    @ValidationRule(
        value = "self.all(s, s.matches('" + CelPatterns.SERVICE_ACCOUNT + "'))",
        message = "runs.allowedInvokers must be service account emails such as NAME@PROJECT.iam.gserviceaccount.com, written as jobs write spec.execution.schedule.serviceAccount")
    @JsonPropertyDescription("Service accounts a schedule may call the job's :run endpoint as (spec.execution.schedule.serviceAccount), compared as written.")
    private List<@Size(max = 100) String> allowedInvokers;

    @JsonPropertyDescription("How often a schedule may fire, as far as its cron text shows it. Hourly: the minute field of spec.execution.schedule.cron must be a single number"
        + " (at most one firing an hour). Daily: the minute and hour fields must be single numbers (at most one firing a day). Lists, ranges, steps and * are refused in those fields.")
    private ScheduleInterval minimumScheduleInterval;

    @JsonPropertyDescription("False: runs must use the job as deployed: jobs may not set spec.execution.overrides nor spec.execution.schedule.overrides.")
    private Boolean allowOverrides;

    /**
     * The intervals standard CEL can check on a unix-cron text: it has no cron parser, but a
     * regular expression tells whether a field is a single number, and a single minute (and hour)
     * bounds the firings whatever the other fields say.
     */
    public enum ScheduleInterval {
      Hourly,
      Daily
    }
  }
}
