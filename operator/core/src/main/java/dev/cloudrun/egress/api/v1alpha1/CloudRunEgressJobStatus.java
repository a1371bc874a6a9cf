package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

/** What the operator observed in GCP, and its verdict in conditions. Written only by the operator. */
@Data
public class CloudRunEgressJobStatus {
  /** The most entries status.operations holds; the operator records no intent past it. */
  public static final int MAX_OPERATIONS = 64;
  /** The most entries status.owned holds; the operator creates no object it could not record. */
  public static final int MAX_OWNED = 64;

  @JsonPropertyDescription("metadata.generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Ready, ConnectorReady, NatReady, FirewallReady, JobReady, MetadataReachable, EgressReachable, Reconciling and Stalled, in the metav1.Condition shape.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("External IPs that public traffic from the job leaves from, ready to copy into an allowlist. Empty when they are not fixed (Auto NAT, or public traffic bypassing the VPC).")
  private List<String> egressIPs = new ArrayList<>();

  @JsonPropertyDescription("The Serverless VPC Access connector as observed in GCP.")
  private ConnectorStatus connector;

  @JsonPropertyDescription("The Cloud Router and NAT as observed in GCP.")
  private NatStatus nat;

  @JsonPropertyDescription("The firewall rules as observed in GCP.")
  private FirewallStatus firewall;

  @JsonPropertyDescription("The Cloud Run Job as observed in GCP.")
  private JobStatus job;

  @JsonPropertyDescription("Runs of the job: the last one, the last successful one and a short history, whoever started them, and the runs asked for.")
  private RunsStatus execution;

  @JsonPropertyDescription("Egress diagnosis: the predicted path of every check and the last probe run.")
  private DiagnosisStatus diagnosis;

  @JsonPropertyDescription("Value of the egress.cloudrun.dev/reconcile-requested-at annotation the operator last acted on (by listing GCP afresh).")
  private String lastForcedReconcile;

  @JsonPropertyDescription("Changes the operator intends (name empty) or started in GCP and has not seen finish; resumed after a restart, never started twice."
      + " At most " + MAX_OPERATIONS + ": past that a new change waits until one is settled.")
  @Size(max = MAX_OPERATIONS)
  private List<OperationStatus> operations = new ArrayList<>();

  @JsonPropertyDescription("Every GCP object this resource created, adopted or shares, recorded before its create starts."
      + " What the spec no longer names is deleted from it (or released, when other resources still use it); deleting the resource deletes exactly these."
      + " At most " + MAX_OWNED + ": past that no new object is created.")
  @Size(max = MAX_OWNED)
  private List<OwnedObject> owned = new ArrayList<>();

  @Data
  public static class OwnedObject {
    @JsonPropertyDescription("connector, address, router, nat, firewall, job, probe (the probe job) or schedule (the Cloud Scheduler job of spec.execution.schedule).")
    private String kind;

    @JsonPropertyDescription("Full name: projects/P/locations/R/connectors/N, projects/P/regions/R/addresses/N, projects/P/regions/R/routers/N,"
        + " projects/P/regions/R/routers/N/nats/NAT, projects/P/global/firewalls/N, projects/P/locations/R/jobs/N.")
    private String name;

    @JsonPropertyDescription("True for a connector, router, NAT or address other resources may use too: deleted only when none of them is left.")
    private Boolean shared;

    @JsonPropertyDescription("Creating (recorded before the create starts), Created (by this resource), Claimed (created by the operator for another resource that shares it)"
        + " or Adopted (made outside the operator, taken over through spec.adoptExisting).")
    private String state;

    @JsonPropertyDescription("While Creating, for a connector or NAT (which carry no marker): what the create asked for, as JSON."
        + " An object found later exactly so is this resource's, whatever the spec says by then.")
    private String request;

    @JsonPropertyDescription("While Creating: when the create was recorded (RFC 3339). Compute shows a new router, NAT, address or firewall rule"
        + " only once its insert is done, so an object not found yet may still be on its way: one the spec no longer names is"
        + " looked for during 5 minutes after its create was called (or the operator restarted) before the entry is dropped, and deleted if it appears.")
    private String since;
  }

  @Data
  public static class OperationStatus {
    @JsonPropertyDescription("Which part the operation changes: connector, address, router, firewall, job, probe (the probe job), probe-run (a run of it) or schedule.")
    private String part;

    @JsonPropertyDescription("create, update, correct (an update undoing drift), delete, or run (probe-run).")
    private String action;

    @JsonPropertyDescription("Full name of the GCP object the operation changes.")
    private String target;

    @JsonPropertyDescription("Operation name to poll: projects/P/locations/L/operations/ID, or projects/P/regions/R/operations/NAME and projects/P/global/operations/NAME for Compute Engine. Empty while the change is only intended.")
    private String name;

    @JsonPropertyDescription("When the operator recorded the intent (RFC 3339).")
    private String startTime;

    @JsonPropertyDescription("Why GCP refused to start this change for good (not a retryable error), when it did: fix the cause; the operator tries it again at its error ceiling (5 minutes by default).")
    private String refusal;
  }

  @Data
  public static class ConnectorStatus {
    @JsonPropertyDescription("Full name: projects/P/locations/R/connectors/NAME.")
    private String name;

    @JsonPropertyDescription("Connector state reported by GCP: CREATING, READY, UPDATING, DELETING or ERROR.")
    private String state;

    @JsonPropertyDescription("The connector's /28, or its subnet, the range its traffic comes from.")
    private String ipCidrRange;

    @JsonPropertyDescription("Network tag of the connector's instances (vpc-connector-REGION-NAME), which the firewall rules target.")
    private String networkTag;

    @JsonPropertyDescription("How many CloudRunEgressJobs use this connector.")
    private Integer sharedBy;
  }

  @Data
  public static class NatStatus {
    @JsonPropertyDescription("Full name of the Cloud Router: projects/P/regions/R/routers/NAME.")
    private String router;

    @JsonPropertyDescription("Name of the NAT gateway on the router.")
    private String name;

    @JsonPropertyDescription("External IPs the NAT translates to.")
    private List<String> natIPs = new ArrayList<>();

    @JsonPropertyDescription("Which source ranges the NAT translates, as set in GCP (e.g. ALL_SUBNETWORKS_ALL_IP_RANGES).")
    private String sourceRanges;

    @JsonPropertyDescription("How many CloudRunEgressJobs use this NAT.")
    private Integer sharedBy;
  }

  @Data
  public static class FirewallStatus {
    @JsonPropertyDescription("Names of the firewall rules that apply to the job's traffic.")
    private List<String> rules = new ArrayList<>();
  }

  @Data
  public static class JobStatus {
    @JsonPropertyDescription("Full name: projects/P/locations/R/jobs/NAME.")
    private String name;

    @JsonPropertyDescription("Generation of the job in Cloud Run.")
    private Long generation;
  }

  @Data
  public static class RunsStatus {
    /** The most runs status.execution.history holds. */
    public static final int MAX_HISTORY = 10;

    @JsonPropertyDescription("The spec.execution.runToken whose run was started (or skipped for a newer one): a new value in the spec starts the next run.")
    private String runToken;

    @JsonPropertyDescription("The value of the egress.cloudrun.dev/run-requested-at annotation whose run was started.")
    private String runRequest;

    @JsonPropertyDescription("A run asked for and recorded before jobs.run is called; after a restart the execution carrying its id is found instead of starting another.")
    private RunRequest request;

    @JsonPropertyDescription("The newest execution of the job, whoever started it.")
    private Run last;

    @JsonPropertyDescription("The newest execution that succeeded.")
    private Run lastSuccessful;

    @JsonPropertyDescription("The Cloud Scheduler job of spec.execution.schedule, as observed.")
    private ScheduleStatus schedule;

    @JsonPropertyDescription("The newest executions, newest first, at most " + MAX_HISTORY + ".")
    @Size(max = MAX_HISTORY)
    private List<Run> history = new ArrayList<>();
  }

  @Data
  public static class ScheduleStatus {
    @JsonPropertyDescription("Full name: projects/P/locations/R/jobs/NAME (a Cloud Scheduler job).")
    private String name;

    @JsonPropertyDescription("ENABLED, PAUSED, DISABLED or UPDATE_FAILED, as Cloud Scheduler reports it.")
    private String state;

    @JsonPropertyDescription("When it fires next (RFC 3339).")
    private String nextRunTime;

    @JsonPropertyDescription("When it last fired (RFC 3339).")
    private String lastAttemptTime;

    @JsonPropertyDescription("How its last firing's :run call ended: OK, or the error Cloud Scheduler recorded.")
    private String lastAttemptStatus;
  }

  @Data
  public static class RunRequest {
    @JsonPropertyDescription("The run's id, which the execution carries in its EGRESS_OPERATOR_RUN variable.")
    private String id;

    @JsonPropertyDescription("RunToken or Annotation: what asked for the run.")
    private String trigger;

    @JsonPropertyDescription("The token or annotation value the run is for.")
    private String value;

    @JsonPropertyDescription("When the run was asked for (RFC 3339).")
    private String askedAt;

    @JsonPropertyDescription("Why it has not started yet, when it waits.")
    private String waiting;
  }

  @Data
  public static class Run {
    @JsonPropertyDescription("Full name of the execution: projects/P/locations/R/jobs/J/executions/E.")
    private String name;

    @JsonPropertyDescription("RunToken, Annotation (both started by the operator), Schedule, or Manual (anyone else: gcloud, the console, another tool).")
    private String trigger;

    @JsonPropertyDescription("Who created the execution, as Cloud Run records it.")
    private String creator;

    @JsonPropertyDescription("Pending, Running, Succeeded, Failed or Cancelled.")
    private String phase;

    @JsonPropertyDescription("Cloud Run's completion message, when the execution did not succeed.")
    private String reason;

    @JsonPropertyDescription("Tasks of the execution.")
    private Integer taskCount;

    @JsonPropertyDescription("Tasks that succeeded.")
    private Integer succeeded;

    @JsonPropertyDescription("Tasks that failed.")
    private Integer failed;

    @JsonPropertyDescription("Tasks cancelled.")
    private Integer cancelled;

    @JsonPropertyDescription("When the execution started (RFC 3339).")
    private String startTime;

    @JsonPropertyDescription("When it completed (RFC 3339), empty while it runs.")
    private String completionTime;

    @JsonPropertyDescription("Cloud Logging link for the execution.")
    private String logUri;

    @JsonPropertyDescription("The failed tasks (at most 10): index, exit code of the last attempt and log link.")
    @Size(max = 10)
    private List<FailedTask> failedTasks = new ArrayList<>();
  }

  @Data
  public static class FailedTask {
    @JsonPropertyDescription("CLOUD_RUN_TASK_INDEX of the task.")
    private Integer index;

    @JsonPropertyDescription("Exit code of its last attempt; empty when it was stopped from outside (timeout, cancel).")
    private Integer exitCode;

    @JsonPropertyDescription("Why its last attempt ended, as Cloud Run says.")
    private String message;

    @JsonPropertyDescription("Cloud Logging link for the task.")
    private String logUri;
  }

  @Data
  public static class DiagnosisStatus {
    @JsonPropertyDescription("One entry per check: the metadata server first, then each destination of spec.diagnosis (and egress-ip when checked).")
    private List<CheckStatus> checks = new ArrayList<>();

    @JsonPropertyDescription("The live probe, when spec.diagnosis.probe.enabled is true.")
    private ProbeStatus probe;
  }

  @Data
  public static class CheckStatus {
    @JsonPropertyDescription("metadata, egress-ip, or the destination as written in spec.diagnosis.destinations.")
    private String name;

    @JsonPropertyDescription("The path the check's traffic takes, as predicted: e.g. sandbox metadata server, proxy, direct from Google's network, connector then Cloud NAT with its IPs, or where it is blocked.")
    private String path;

    @JsonPropertyDescription("Whether the check is predicted to succeed.")
    private Boolean reachable;

    @JsonPropertyDescription("Predicted, or the reason it fails (ProxyIntercepts, NoNatForConnectorRange, FirewallBlocks...).")
    private String reason;

    @JsonPropertyDescription("Why, and what to change.")
    private String message;
  }

  @Data
  public static class ProbeStatus {
    @JsonPropertyDescription("Full name of the probe job: projects/P/locations/R/jobs/<job>-egress-probe.")
    private String job;

    @JsonPropertyDescription("Hash of the network-relevant spec and the predicted paths the last probe ran for; a new value starts a new run.")
    private String specHash;

    @JsonPropertyDescription("The specHash a run recorded in status.operations (probe-run) is asked for. An execution found after a restart without its record is taken for that run only when it started after the run was asked and the hash is still current.")
    private String runAskedFor;

    @JsonPropertyDescription("Full name of the last probe execution.")
    private String execution;

    @JsonPropertyDescription("When the last probe execution was started (RFC 3339).")
    private String startTime;

    @JsonPropertyDescription("When it completed (RFC 3339), empty while it runs.")
    private String completionTime;

    @JsonPropertyDescription("What the probe is doing, or why it cannot run.")
    private String message;

    @JsonPropertyDescription("Per check, the exit code of its task and what it means, once the execution completed.")
    private List<ProbeResult> results = new ArrayList<>();
  }

  @Data
  public static class ProbeResult {
    @JsonPropertyDescription("The check, as in checks[].name.")
    private String name;

    @JsonPropertyDescription("Exit code of the check's task (see the probe script's header); -1 when the task did not run to the end.")
    private Integer exitCode;

    @JsonPropertyDescription("What the exit code means.")
    private String meaning;
  }
}
