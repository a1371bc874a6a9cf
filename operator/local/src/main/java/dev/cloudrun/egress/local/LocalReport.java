package dev.cloudrun.egress.local;

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
import com.google.protobuf.util.Timestamps;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.FailedTask;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.Run;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.RunsStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ScheduleStatus;
import dev.cloudrun.egress.api.v1alpha1.ExecutionSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.GcpErrors;
import dev.cloudrun.egress.gcp.ResourceNames;
import dev.cloudrun.egress.reconciler.Targets;
import io.fabric8.kubernetes.api.model.Condition;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What a user would see after local mode: {@code kubectl get crej -A}, each resource's conditions,
 * its runs and schedule as status.execution reports them, and the GCP objects the resources name,
 * read through the official clients. Job environment values are not printed, only their names;
 * secrets appear as references.
 */
final class LocalReport {
  /** The CRD's printer columns (CloudRunEgressJob's @AdditionalPrinterColumn), after NAMESPACE and NAME. */
  static final List<String> COLUMNS =
      List.of("NAMESPACE", "NAME", "REGION", "EGRESS", "EGRESS-IP", "METADATA", "READY", "REASON", "LAST-RUN", "NEXT-RUN", "AGE");

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
    List<CloudRunEgressJob> running = resources.stream().filter(cr -> cr.getStatus() != null && cr.getStatus().getExecution() != null).toList();
    if (!running.isEmpty()) {
      out.println();
      out.println("Runs (status.execution, newest first):");
      running.forEach(this::runs);
    }
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
          status == null || status.getExecution() == null || status.getExecution().getLast() == null ? "" : status.getExecution().getLast().getPhase(),
          status == null || status.getExecution() == null || status.getExecution().getSchedule() == null
              || status.getExecution().getSchedule().getNextRunTime() == null ? "" : status.getExecution().getSchedule().getNextRunTime(),
          age(cr.getMetadata().getCreationTimestamp())));
    }
    aligned(rows, "").forEach(out::println);
  }

  /** The rows in columns three spaces apart, as kubectl prints a table. */
  private static List<String> aligned(List<List<String>> rows, String indent) {
    int[] widths = new int[rows.get(0).size()];
    rows.forEach(row -> {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    });
    List<String> lines = new ArrayList<>();
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder(indent);
      for (int i = 0; i < row.size(); i++) {
        line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 3) + "s", row.get(i)));
      }
      lines.add(line.toString().stripTrailing());
    }
    return lines;
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

  /** Each run with its outcome, a failed task's exit code, the run asked for and not started, the schedule. */
  void runs(CloudRunEgressJob cr) {
    RunsStatus runs = cr.getStatus().getExecution();
    out.println("  " + cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName());
    if (!runs.getHistory().isEmpty()) {
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("EXECUTION", "TRIGGER", "PHASE", "TASKS", "STARTED", "COMPLETED"));
      runs.getHistory().forEach(run -> rows.add(List.of(ResourceNames.id(run.getName()), run.getTrigger(), run.getPhase(), tasks(run),
          time(run.getStartTime()), time(run.getCompletionTime()))));
      List<String> lines = aligned(rows, "    ");
      out.println(lines.get(0));
      for (int i = 0; i < runs.getHistory().size(); i++) {
        Run run = runs.getHistory().get(i);
        out.println(lines.get(i + 1));
        // Why it did not succeed: each failed task's exit code, or Cloud Run's message when no task failed (a timeout, a cancel).
        run.getFailedTasks().forEach(task -> out.println("      " + failedTask(task)));
        if (run.getReason() != null && run.getFailedTasks().isEmpty()) {
          out.println("      " + run.getReason());
        }
      }
    }
    if (runs.getRequest() != null) {
      out.println("    asked for, not started: " + runs.getRequest().getTrigger() + " " + runs.getRequest().getValue()
          + (runs.getRequest().getWaiting() == null ? "" : " (" + runs.getRequest().getWaiting() + ")"));
    }
    ScheduleStatus schedule = runs.getSchedule();
    if (schedule != null) {
      ZoneId zone = zone(cr);
      out.println("    schedule " + ResourceNames.id(schedule.getName()) + ": " + Objects.requireNonNullElse(schedule.getState(), "not created yet")
          + (schedule.getNextRunTime() == null ? "" : ", next run " + time(schedule.getNextRunTime(), zone))
          + (schedule.getLastAttemptTime() == null ? ", never fired"
              : ", last attempt " + time(schedule.getLastAttemptTime(), zone) + ": " + schedule.getLastAttemptStatus()));
    }
  }

  /** "1 task: 1 succeeded", "4 tasks: 3 succeeded, 1 failed": the counts Cloud Run gives, zeros left out. */
  static String tasks(Run run) {
    int count = Objects.requireNonNullElse(run.getTaskCount(), 0);
    List<String> counts = new ArrayList<>();
    if (Objects.requireNonNullElse(run.getSucceeded(), 0) > 0) {
      counts.add(run.getSucceeded() + " succeeded");
    }
    if (Objects.requireNonNullElse(run.getFailed(), 0) > 0) {
      counts.add(run.getFailed() + " failed");
    }
    if (Objects.requireNonNullElse(run.getCancelled(), 0) > 0) {
      counts.add(run.getCancelled() + " cancelled");
    }
    return count + (count == 1 ? " task" : " tasks") + (counts.isEmpty() ? "" : ": " + String.join(", ", counts));
  }

  private static String failedTask(FailedTask task) {
    return "task " + task.getIndex() + (task.getExitCode() != null ? " exited with code " + task.getExitCode() : " did not finish")
        + (task.getMessage() != null ? ": " + task.getMessage() : "") + (task.getLogUri() != null ? " (logs " + task.getLogUri() + ")" : "");
  }

  /** The schedule's time zone, to show a firing as the cron reads it. */
  private static ZoneId zone(CloudRunEgressJob cr) {
    ExecutionSpec execution = cr.getSpec().getExecution();
    String timeZone = execution == null || execution.getSchedule() == null ? null : execution.getSchedule().getTimeZone();
    try {
      return timeZone == null || timeZone.isEmpty() ? null : ZoneId.of(timeZone);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  /** An RFC 3339 time to the second, in UTC; empty for none. */
  static String time(String rfc3339) {
    return rfc3339 == null ? "" : Instant.parse(rfc3339).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** As {@link #time(String)}, with the wall time in {@code zone} beside it: "2026-12-02T02:00:00Z (02:00 Europe/London)". */
  static String time(String rfc3339, ZoneId zone) {
    return zone == null ? time(rfc3339)
        : time(rfc3339) + " (" + Instant.parse(rfc3339).atZone(zone).format(DateTimeFormatter.ofPattern("HH:mm")) + " " + zone.getId() + ")";
  }

  private void gcpObjects(List<CloudRunEgressJob> resources) {
    Set<String> connectors = new LinkedHashSet<>();
    Map<String, Targets> routers = new LinkedHashMap<>();
    Map<String, Targets> addresses = new LinkedHashMap<>();
    Map<String, Targets> firewalls = new LinkedHashMap<>();
    Set<String> jobs = new LinkedHashSet<>();
    Set<String> schedules = new LinkedHashSet<>();
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
      if (cr.getSpec().getExecution() != null && cr.getSpec().getExecution().getSchedule() != null) {
        schedules.add(targets.schedulePath());
      }
    }
    connectors.forEach(name -> show("Connector " + name, () -> connector(gcp.connectors.getConnector(name))));
    addresses.forEach((name, t) -> show("Static address " + name, () -> address(gcp.addresses.get(t.networkProject(), t.region(), name))));
    routers.forEach((name, t) -> show("Cloud Router " + t.routerPath(name), () -> router(gcp.routers.get(t.networkProject(), t.region(), name))));
    firewalls.forEach((name, t) -> show("Firewall rule " + name, () -> firewall(gcp.firewalls.get(t.networkProject(), name))));
    jobs.forEach(name -> show("Cloud Run job " + name, () -> job(gcp.jobs.getJob(name))));
    schedules.forEach(name -> show("Cloud Scheduler job " + name, () -> schedulerJob(gcp.scheduler.getJob(name))));
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
    StringBuilder text = new StringBuilder("network " + ResourceNames.id(r.getNetwork()));
    r.getNatsList().forEach(nat -> text.append("\nNAT ").append(nat.getName()).append(": ").append(nat.getNatIpAllocateOption())
        .append(nat.getNatIpsCount() == 0 ? "" : " " + nat.getNatIpsList().stream().map(ResourceNames::id).toList())
        .append(", translates ").append(nat.getSourceSubnetworkIpRangesToNat())
        .append(nat.getSubnetworksCount() == 0 ? "" : " " + nat.getSubnetworksList().stream().map(s -> ResourceNames.id(s.getName())).toList()));
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
            .map(n -> ResourceNames.id(n.getSubnetwork()) + " tags " + n.getTagsList()).toList() + ", egress " + vpc.getEgress()
        : "none (no VPC egress)";
    return "image " + container.getImage()
        + "\nvpcAccess " + egress
        + "\nservice account " + (task.getServiceAccount().isEmpty() ? "(default)" : task.getServiceAccount())
        + (container.getEnvCount() == 0 ? "" : "\nenv " + container.getEnvList().stream().map(LocalReport::envName).toList())
        + "\nlabels " + job.getLabelsMap()
        + (job.getExecutionCount() == 0 ? "" : "\nexecutions " + job.getExecutionCount() + ", latest " + job.getLatestCreatedExecution().getName()
            + " created " + time(Timestamps.toString(job.getLatestCreatedExecution().getCreateTime())));
  }

  /** What it calls, as whom, when: Cloud Scheduler's own view of the schedule. */
  private static String schedulerJob(com.google.cloud.scheduler.v1.Job job) {
    String invoker = job.getHttpTarget().hasOauthToken() ? job.getHttpTarget().getOauthToken().getServiceAccountEmail() : "(no OAuth token)";
    return job.getState() + ", \"" + job.getSchedule() + "\" " + job.getTimeZone()
        + "\n" + job.getHttpTarget().getHttpMethod() + " " + job.getHttpTarget().getUri() + " as " + invoker
        + (job.hasScheduleTime() ? "\nnext " + time(Timestamps.toString(job.getScheduleTime())) : "")
        + (job.hasLastAttemptTime() ? "\nlast attempt " + time(Timestamps.toString(job.getLastAttemptTime())) + ": "
            + (job.getStatus().getCode() == 0 ? "OK" : com.google.rpc.Code.forNumber(job.getStatus().getCode()) + " " + job.getStatus().getMessage())
            : "\nnever fired");
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

}
