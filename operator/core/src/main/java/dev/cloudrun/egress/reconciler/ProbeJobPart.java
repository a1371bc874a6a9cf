package dev.cloudrun.egress.reconciler;

import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.ExecutionReference;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ListTasksRequest;
import com.google.cloud.run.v2.ResourceRequirements;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.TaskAttemptResult;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Timestamps;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OperationStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ProbeResult;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ProbeStatus;
import dev.cloudrun.egress.api.v1alpha1.DiagnosisSpec;
import dev.cloudrun.egress.diagnosis.ProbeExitCode;
import dev.cloudrun.egress.diagnosis.ProxySettings;
import dev.cloudrun.egress.gcp.GcpErrors;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The egress probe: a Cloud Run Job {@code <job>-egress-probe} with the job's egress settings,
 * service account and proxy variables, whose tasks each run one check of the probe script (one
 * task per check, picked by CLOUD_RUN_TASK_INDEX). It never runs the user's job. An execution is
 * started when the checks or their predicted paths change and every probe interval; its state is
 * recorded in status.diagnosis.probe and read back on later passes, never waited for.
 */
final class ProbeJobPart {
  static final String PART = "probe";
  /** The part of a run's intent in status.operations (PART is the probe job's own changes). */
  static final String RUN = "probe-run";
  static final String SUFFIX = "-egress-probe";
  static final String SCRIPT = script();
  /**
   * How far GCP's clock (an execution's createTime) may lag the operator's (an intent's startTime):
   * an execution created this much before its run was asked for is still taken for that run. Well
   * under a pass's poll interval, which separates a run asked anew from the run of an earlier intent.
   */
  static final java.time.Duration CLOCK_SKEW = java.time.Duration.ofSeconds(2);
  /** The probe job: a Cloud Run job like the user's, recorded apart in the ledger and status.operations. */
  static final CloudRunJobPart.JobKind KIND = new CloudRunJobPart.JobKind(Ledger.Kind.PROBE, PART);

  private ProbeJobPart() {}

  /**
   * The probe's state after this pass: its status, whether an execution runs (or is about to),
   * when the next one is due, and {@code refused} when GCP refused one of its requests for good.
   */
  record Run(ProbeStatus status, boolean running, Instant nextRun, boolean refused) {
    Run(ProbeStatus status, boolean running, Instant nextRun) {
      this(status, running, nextRun, false);
    }
  }

  static String name(Pass pass) {
    return pass.targets.probeJobPath(SUFFIX);
  }

  static Job desired(Pass pass, List<String> checks) {
    DiagnosisSpec.ProbeSpec probe = pass.cr.getSpec().getDiagnosis().getProbe();
    long timeout = CloudRunJobPart.seconds(probe.getTimeout());
    List<String> args = new ArrayList<>(List.of("egress-probe"));
    args.addAll(checks);
    Container container = Container.newBuilder()
        .setImage(probe.getImage())
        .addAllCommand(List.of("sh", "-c", SCRIPT))
        .addAllArgs(args)
        .addAllEnv(CloudRunJobPart.environment(pass.cr.getSpec().getJob(), ProxySettings.NAMES::contains))
        .addEnv(EnvVar.newBuilder().setName("PROBE_TIMEOUT").setValue(Long.toString(timeout)))
        .setResources(ResourceRequirements.newBuilder().putLimits("cpu", "1").putLimits("memory", "512Mi"))
        .build();
    // A failed check is a result, not a flake: no retries. The metadata check may ask twice per host.
    ExecutionTemplate execution = ExecutionTemplate.newBuilder()
        .setTaskCount(checks.size())
        .setTemplate(CloudRunJobPart.networkAndIdentity(pass)
            .addContainers(container)
            .setMaxRetries(0)
            .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(4 * timeout + 30)))
        .build();
    return CloudRunJobPart.owned(pass, name(pass)).setTemplate(execution).build();
  }

  /**
   * Keeps the probe job as desired, reads the last execution's exit codes once it completed, and
   * starts a new execution when {@code key} (the checks and their predicted paths) changed or the
   * interval passed. {@code checks} are the probe's arguments and {@code names} the checks' names.
   */
  static Run reconcile(Pass pass, PartResult connector, List<String> names, List<String> checks, String key, ProbeStatus previous) {
    String name = name(pass);
    ProbeStatus status = previous != null ? previous : new ProbeStatus();
    status.setJob(name);
    Optional<PartResult> settling = KIND.settle(pass, name);
    if (settling.isPresent()) {
      return waiting(status, settling.get());
    }
    Job observed = KIND.observe(pass, name);
    // Like the job, the probe job is created once the connector is READY; once it exists it also
    // runs against a connector that broke since, to confirm the failure.
    if (observed == null && !connector.isReady()) {
      return waiting(status, PartResult.progressing("WaitingForConnector", "The probe job is created once the connector is READY: " + connector.message()));
    }
    PartResult job = KIND.converge(pass, name, desired(pass, checks), observed);
    if (!job.isReady()) {
      return waiting(status, job);
    }
    boolean running = status.getExecution() != null && status.getCompletionTime() == null;
    if (running) {
      running = !readResults(pass, status, names);
    }
    Instant nextRun = status.getStartTime() == null ? pass.now
        : Instant.parse(status.getStartTime()).plusSeconds(CloudRunJobPart.seconds(pass.cr.getSpec().getDiagnosis().getProbe().getInterval()));
    boolean due = status.getExecution() == null || !key.equals(status.getSpecHash()) || !nextRun.isAfter(pass.now);
    if (!running && (due || pass.operation(RUN, name).isPresent())) {
      run(pass, status, name, key);
      return new Run(status, true, null);
    }
    if (running) {
      status.setMessage("Execution " + status.getExecution() + " is running.");
    }
    return new Run(status, running, running ? null : nextRun);
  }

  private static Run waiting(ProbeStatus status, PartResult why) {
    status.setMessage(why.message());
    return new Run(status, false, null);
  }

  /**
   * Runs the probe like any change, in two passes: the first records the intent in
   * status.operations (and the key it is for), the next starts the execution and records it in
   * status.diagnosis.probe instead. If the write of that record was lost (a crash, a write that
   * lost to another writer), the intent is still there: the job's latest execution, when it is not
   * the one recorded and started after the intent was recorded, is the one that pass started, and it
   * is followed instead of starting another. An intent asked for another key (the spec or the
   * predicted paths changed since) is asked anew: an execution it may have started ran for what
   * no longer holds, and its result must not count for the current key.
   */
  private static void run(Pass pass, ProbeStatus status, String job, String key) {
    Optional<OperationStatus> intent = pass.operation(RUN, job);
    if (intent.isEmpty() || !key.equals(status.getRunAskedFor())) {
      intent.ifPresent(outdated -> pass.done(RUN, job));
      status.setMessage(pass.intend(RUN, "run", job).message());
      status.setRunAskedFor(key);
      return;
    }
    pass.intend(RUN, "run", job); // drives the recorded intent
    ExecutionReference latest = latestExecution(pass, job);
    String execution = null;
    if (latest != null && !latest.getName().equals(status.getExecution())) {
      if (!instant(latest.getCreateTime()).plus(CLOCK_SKEW).isBefore(Instant.parse(intent.get().getStartTime()))) {
        execution = latest.getName(); // started for this intent by a pass whose record was lost
      } else if (!latest.hasCompletionTime()) {
        // An earlier run, perhaps for another spec, still runs: one run of the probe at a time.
        status.setMessage("Waiting for execution " + latest.getName() + ", started before this run was asked for, to finish.");
        return;
      }
    }
    if (execution == null) {
      if (!pass.services.writeBudget().acquire(pass.cr.getMetadata().getUid())) {
        return; // others under way go first; the intent stays
      }
      com.google.longrunning.Operation operation = pass.services.gcp().jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(job).build());
      pass.markGcpChanged();
      try {
        execution = operation.getMetadata().unpack(Execution.class).getName();
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("Cloud Run answered jobs.run for " + job + " without an Execution: " + e.getMessage(), e);
      }
      pass.services.events().normal(pass.cr, "ProbeStarted", "Egress probe execution " + execution + " started.");
    } else {
      pass.services.events().normal(pass.cr, "ProbeStarted", "Egress probe execution " + execution
          + " was started by an earlier pass whose record was lost; it is followed instead of starting another.");
    }
    pass.done(RUN, job);
    status.setExecution(execution);
    status.setSpecHash(key);
    status.setRunAskedFor(null);
    status.setStartTime(pass.now.toString());
    status.setCompletionTime(null);
    status.setResults(new ArrayList<>());
    status.setMessage("Execution " + execution + " started.");
  }

  /**
   * The probe job's latest execution, by its full name, or null: read afresh, as the listed job may
   * predate the run. With a run intent recorded, one created after the intent is the run a pass
   * started before its record was lost (the probe job is the operator's; an execution someone
   * started by hand since would be followed alike, and it ran the same job).
   */
  private static ExecutionReference latestExecution(Pass pass, String job) {
    Job current = pass.services.gcp().jobs.getJob(job);
    if (!current.hasLatestCreatedExecution()) {
      return null;
    }
    ExecutionReference latest = current.getLatestCreatedExecution();
    return latest.getName().contains("/executions/") ? latest : latest.toBuilder().setName(ResourceNames.child(job, "executions", latest.getName())).build();
  }

  private static Instant instant(com.google.protobuf.Timestamp timestamp) {
    return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }

  /** Reads the execution; once it completed, each task's exit code by task index. True when done. */
  private static boolean readResults(Pass pass, ProbeStatus status, List<String> names) {
    Execution execution;
    try {
      execution = pass.services.gcp().executions.getExecution(status.getExecution());
    } catch (RuntimeException e) {
      if (!GcpErrors.isNotFound(e)) {
        throw e;
      }
      execution = null; // deleted by someone: count its checks as not finished and run again
    }
    if (execution != null && !execution.hasCompletionTime()) {
      return false;
    }
    Map<Integer, Integer> exitCodes = new HashMap<>();
    if (execution != null) {
      for (Task task : pass.services.gcp().tasks.listTasks(ListTasksRequest.newBuilder().setParent(execution.getName()).build()).iterateAll()) {
        exitCodes.put(task.getIndex(), exitCode(task));
      }
    }
    List<ProbeResult> results = new ArrayList<>();
    List<String> failing = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      ProbeResult result = new ProbeResult();
      result.setName(names.get(i));
      result.setExitCode(exitCodes.getOrDefault(i, ProbeExitCode.DID_NOT_FINISH.code));
      result.setMeaning(ProbeExitCode.meaning(result.getExitCode()));
      results.add(result);
      if (result.getExitCode() != 0) {
        failing.add(result.getName() + " exited " + result.getExitCode());
      }
    }
    status.setResults(results);
    status.setCompletionTime(execution != null ? Timestamps.toString(execution.getCompletionTime()) : pass.now.toString());
    status.setMessage("Execution " + status.getExecution() + " completed: " + (failing.isEmpty() ? "every check passed." : String.join(", ", failing) + "."));
    if (failing.isEmpty()) {
      pass.services.events().normal(pass.cr, "ProbePassed", "Egress probe execution " + status.getExecution() + ": every check passed.");
    } else {
      pass.services.events().warning(pass.cr, "ProbeFailed", "Egress probe execution " + status.getExecution() + ": " + String.join(", ", failing) + ".");
    }
    return true;
  }

  /** The last attempt's exit code; a task stopped from outside (timeout, cancel) did not finish. */
  private static int exitCode(Task task) {
    if (!task.hasLastAttemptResult()) {
      return ProbeExitCode.DID_NOT_FINISH.code;
    }
    TaskAttemptResult attempt = task.getLastAttemptResult();
    return attempt.getExitCode() == 0 && attempt.getStatus().getCode() != 0 ? ProbeExitCode.DID_NOT_FINISH.code : attempt.getExitCode();
  }

  private static String script() {
    try (InputStream in = ProbeJobPart.class.getResourceAsStream("/probe/egress-probe.sh")) {
      if (in == null) {
        throw new IllegalStateException("probe/egress-probe.sh is missing from the operator's resources");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
