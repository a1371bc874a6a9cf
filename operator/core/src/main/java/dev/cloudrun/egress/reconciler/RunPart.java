package dev.cloudrun.egress.reconciler;

import com.google.cloud.run.v2.CancelExecutionRequest;
import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ListExecutionsRequest;
import com.google.cloud.run.v2.ListTasksRequest;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.run.v2.Task;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Timestamps;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.FailedTask;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.Run;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.RunRequest;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.RunsStatus;
import dev.cloudrun.egress.api.v1alpha1.ExecutionSpec;
import dev.cloudrun.egress.gcp.GcpErrors;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Runs of the user's job: the ones the operator is asked for (a new spec.execution.runToken, a new
 * value of the run-requested-at annotation), started exactly once, and every execution of the job,
 * whoever started it, reported in status.execution with an event when it starts and ends.
 *
 * <p>Exactly once: jobs.run is not idempotent, so a run is first recorded in
 * status.execution.request with an id of its own, and started on a later pass with that id in the
 * execution's {@value #MARKER} variable (an env override, which the execution's template keeps).
 * A pass whose record of the start was lost (a crash, a write that lost to another writer) finds
 * the execution carrying the id instead of starting another.
 *
 * <p>Executions are observed through one executions.list of the job, and only while something is
 * asked for or running, or the job's latest execution is not the one status knows: at rest a pass
 * makes no call for runs.
 */
public final class RunPart {
  static final String PART = "run";
  /** The variable each execution the operator starts carries, holding its run's id. */
  static final String MARKER = "EGRESS_OPERATOR_RUN";
  /** Executions read per look: the newest page. */
  static final int EXECUTIONS_READ = 50;
  // status.execution's triggers: who asked for a run.
  public static final String RUN_TOKEN = "RunToken";
  public static final String ANNOTATION = "Annotation";
  public static final String SCHEDULE = "Schedule";
  public static final String MANUAL = "Manual";
  private static final int MAX_FAILED_TASKS = 10;
  /**
   * How long after a jobs.run call that got no answer its execution may still be missing from the
   * list: the request waits that long before calling again (a second call would be a second run).
   */
  static final java.time.Duration RUN_MAY_STILL_APPEAR = java.time.Duration.ofMinutes(2);

  private RunPart() {}

  /**
   * What runs leave for the pass: the condition of the last run (empty before the first), and
   * whether to come back soon: {@code asked} when a run was just recorded and starts next pass,
   * {@code watching} while a run is asked for or an execution runs.
   */
  record Outcome(Optional<PartResult> lastRun, boolean asked, boolean watching) {
    static Outcome none() {
      return new Outcome(Optional.empty(), false, false);
    }
  }

  static Outcome reconcile(Pass pass, PartResult jobReady) {
    RunsStatus runs = pass.status.getExecution() != null ? pass.status.getExecution() : new RunsStatus();
    String jobName = pass.targets.jobPath();
    Job job = CloudRunJobPart.KIND.observe(pass, jobName);
    boolean asked = unhandled(runs, pass).isPresent();
    boolean look = runs.getRequest() != null || asked || runs.getHistory().stream().anyMatch(RunPart::isActive)
        || isActive(runs.getLast()) || latestUnknown(job, runs);
    List<Execution> executions = look && job != null ? executions(pass, jobName) : null;
    if (executions != null) {
      observe(pass, runs, executions);
    }
    boolean justAsked = false;
    if (runs.getRequest() != null && executions != null) {
      drive(pass, runs, executions, jobReady);
    }
    if (runs.getRequest() == null) {
      // Asked afresh: a request just settled (started, found, skipped) may leave a newer value asked.
      Optional<String> trigger = unhandled(runs, pass);
      if (trigger.isPresent()) {
        runs.setRequest(request(pass, trigger.get(), wanted(pass, trigger.get())));
        justAsked = true;
      }
    }
    boolean empty = runs.getRequest() == null && runs.getLast() == null && runs.getRunToken() == null && runs.getRunRequest() == null
        && runs.getSchedule() == null;
    pass.status.setExecution(empty ? null : runs);
    // A request that waits on the job is paced by the job's part (polled while it progresses, at the
    // error ceiling while it is blocked); one that waits on a running execution, and any running
    // execution, are watched.
    // (A job that is gone runs nothing: its last run, shown running, is not watched until the job is back.)
    boolean running = job != null && (isActive(runs.getLast()) || executions != null && executions.stream().anyMatch(e -> !e.hasCompletionTime()));
    boolean watching = running || runs.getRequest() != null && jobReady.isReady();
    return new Outcome(Optional.ofNullable(runs.getLast()).map(RunPart::verdict), justAsked, watching);
  }

  /** What the spec (RunToken) or the annotation (Annotation) asks for now, or null. */
  private static String wanted(Pass pass, String trigger) {
    return trigger.equals(RUN_TOKEN)
        ? Optional.ofNullable(pass.cr.getSpec().getExecution()).map(ExecutionSpec::getRunToken).orElse(null)
        : ReconcileTriggers.annotation(pass.cr, ReconcileTriggers.RUN_REQUESTED);
  }

  /** The trigger whose wanted value status has not handled yet; the token first. */
  private static Optional<String> unhandled(RunsStatus runs, Pass pass) {
    String token = wanted(pass, RUN_TOKEN);
    if (token != null && !token.equals(runs.getRunToken())) {
      return Optional.of(RUN_TOKEN);
    }
    String annotation = wanted(pass, ANNOTATION);
    return annotation != null && !annotation.equals(runs.getRunRequest()) ? Optional.of(ANNOTATION) : Optional.empty();
  }

  private static RunRequest request(Pass pass, String trigger, String value) {
    RunRequest request = new RunRequest();
    request.setId((trigger.equals(RUN_TOKEN) ? "t-" : "a-") + UUID.randomUUID().toString().substring(0, 8));
    request.setTrigger(trigger);
    request.setValue(value);
    request.setAskedAt(pass.now.toString());
    return request;
  }

  /**
   * Takes the recorded request one step: the execution carrying its id was started by an earlier
   * pass; a request the spec or annotation no longer asks for is skipped; otherwise it starts once
   * the job is ready and the concurrency policy lets it.
   */
  private static void drive(Pass pass, RunsStatus runs, List<Execution> executions, PartResult jobReady) {
    RunRequest request = runs.getRequest();
    Optional<Execution> started = executions.stream().filter(e -> request.getId().equals(marker(e))).findFirst();
    if (started.isPresent()) {
      // Started by an earlier pass whose record was lost (its RunStarted event came with the list): followed, not started again.
      handled(runs, request);
      return;
    }
    String uid = pass.cr.getMetadata().getUid();
    Optional<java.time.Instant> mayStillAppear = pass.services.attempts().createMayRunUntil(uid, runKey(request), RUN_MAY_STILL_APPEAR);
    if (mayStillAppear.filter(pass.now::isBefore).isPresent()) {
      // This process called jobs.run for it and heard no answer (a timeout): the execution may yet be listed.
      request.setWaiting("Waiting until " + mayStillAppear.get() + " for the execution of a jobs.run call that got no answer to be listed,"
          + " before calling it again.");
      return;
    }
    Optional<String> newer = supersededBy(pass, request);
    if (newer.isPresent()) {
      handled(runs, request);
      pass.services.events().normal(pass.cr, "RunSkipped", "The run for " + describe(request) + " never started: " + newer.get() + ".");
      return;
    }
    if (!jobReady.isReady()) {
      request.setWaiting("Waiting for the job to be ready: " + jobReady.message());
      return;
    }
    ExecutionSpec spec = pass.cr.getSpec().getExecution();
    ExecutionSpec.ConcurrencyPolicy policy = spec != null ? spec.getConcurrencyPolicy() : ExecutionSpec.ConcurrencyPolicy.Forbid;
    List<Execution> running = executions.stream().filter(e -> !e.hasCompletionTime()).toList();
    if (!running.isEmpty() && policy == ExecutionSpec.ConcurrencyPolicy.Forbid) {
      request.setWaiting("Waiting for execution " + running.get(0).getName() + " to finish: spec.execution.concurrencyPolicy is Forbid.");
      return;
    }
    if (!pass.services.writeBudget().acquire(pass.cr.getMetadata().getUid())) {
      request.setWaiting("Waiting for the operator's budget of GCP writes.");
      return;
    }
    if (policy == ExecutionSpec.ConcurrencyPolicy.Replace) {
      running.forEach(execution -> cancel(pass, execution, request));
    }
    pass.services.attempts().callingCreate(uid, runKey(request), pass.now);
    com.google.longrunning.Operation operation;
    try {
      operation = pass.services.gcp().jobs.runJobCallable().call(RunJobRequest.newBuilder()
          .setName(pass.targets.jobPath()).setOverrides(overrides(spec != null ? spec.getOverrides() : null, request.getId())).build());
    } catch (RuntimeException e) {
      if (!GcpErrors.isTransient(e)) {
        pass.services.attempts().createRefused(uid, runKey(request)); // refused: nothing is on its way
        request.setWaiting("GCP refused jobs.run: " + GcpErrors.describe(e));
      }
      throw e;
    }
    pass.markGcpChanged();
    Execution execution;
    try {
      execution = operation.getMetadata().unpack(Execution.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("Cloud Run answered jobs.run for " + pass.targets.jobPath() + " without an Execution: " + e.getMessage(), e);
    }
    handled(runs, request);
    Run run = run(execution, pass);
    record(runs, run);
    pass.services.events().normal(pass.cr, "RunStarted", "Execution " + execution.getName() + " started for " + describe(request) + ".");
  }

  /**
   * Cancels a running execution for a run under Replace. One that ended or went meanwhile (the list
   * is a moment old) needs no cancel.
   */
  private static void cancel(Pass pass, Execution execution, RunRequest request) {
    try {
      pass.services.gcp().executions.cancelExecutionCallable().call(CancelExecutionRequest.newBuilder().setName(execution.getName()).build());
    } catch (RuntimeException e) {
      if (GcpErrors.isNotFound(e) || e instanceof com.google.api.gax.rpc.FailedPreconditionException) {
        return;
      }
      throw e;
    }
    pass.services.events().normal(pass.cr, "RunCancelled", "Execution " + execution.getName() + " is cancelled for the run of "
        + describe(request) + ": spec.execution.concurrencyPolicy is Replace.");
  }

  /** How {@link Attempts} knows this process called jobs.run for the request. */
  private static String runKey(RunRequest request) {
    return "run/" + request.getId();
  }

  /** The request no longer asked for: the spec's token or the annotation changed (or went) since it was recorded. */
  private static Optional<String> supersededBy(Pass pass, RunRequest request) {
    String now = wanted(pass, request.getTrigger());
    if (Objects.equals(now, request.getValue())) {
      return Optional.empty();
    }
    return Optional.of(now == null ? "it is no longer asked for" : "a newer value (" + now + ") replaced it");
  }


  private static void handled(RunsStatus runs, RunRequest request) {
    if (request.getTrigger().equals(RUN_TOKEN)) {
      runs.setRunToken(request.getValue());
    } else {
      runs.setRunRequest(request.getValue());
    }
    runs.setRequest(null);
  }

  private static String describe(RunRequest request) {
    return request.getTrigger().equals(RUN_TOKEN) ? "runToken " + request.getValue() : "run-requested-at " + request.getValue();
  }

  /**
   * RunJobRequest.overrides from {@code given} (spec.execution.overrides or the schedule's), on the
   * job's only container, with the run's id as {@value #MARKER} when it has one (a scheduled run has none).
   */
  static RunJobRequest.Overrides overrides(ExecutionSpec.RunOverrides given, String runId) {
    RunJobRequest.Overrides.ContainerOverride.Builder container = RunJobRequest.Overrides.ContainerOverride.newBuilder();
    RunJobRequest.Overrides.Builder overrides = RunJobRequest.Overrides.newBuilder();
    if (given != null) {
      if (given.getArgs() != null) {
        container.addAllArgs(given.getArgs()).setClearArgs(given.getArgs().isEmpty());
      }
      if (given.getEnv() != null) {
        given.getEnv().forEach(e -> container.addEnv(EnvVar.newBuilder().setName(e.getName()).setValue(e.getValue() != null ? e.getValue() : "")));
      }
      if (given.getTaskCount() != null) {
        overrides.setTaskCount(given.getTaskCount());
      }
      if (given.getTimeout() != null) {
        overrides.setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(CloudRunJobPart.seconds(given.getTimeout())));
      }
    }
    if (runId != null) {
      container.addEnv(EnvVar.newBuilder().setName(MARKER).setValue(runId));
    }
    if (container.getArgsCount() == 0 && !container.getClearArgs() && container.getEnvCount() == 0) {
      return overrides.build();
    }
    return overrides.addContainerOverrides(container).build();
  }
  // ---- observing executions ----

  /**
   * The job's newest executions, newest first: one page of one list call. Everything the part reads
   * is there: the history's newest {@link RunsStatus#MAX_HISTORY}, the running ones and one carrying a
   * run id just asked for (both new). A job that ran more often than a page holds keeps the last
   * success status already knows. Not every page: a job run every minute has thousands.
   */
  private static List<Execution> executions(Pass pass, String jobName) {
    List<Execution> executions = new ArrayList<>();
    try {
      pass.services.gcp().executions.listExecutions(ListExecutionsRequest.newBuilder().setParent(jobName).setPageSize(EXECUTIONS_READ).build())
          .getPage().getValues().forEach(executions::add);
    } catch (RuntimeException e) {
      if (!GcpErrors.isNotFound(e)) {
        throw e;
      }
      return executions; // the job went since the inventory listed it: it has no executions
    }
    executions.sort(Comparator.comparing((Execution e) -> Timestamps.toMillis(e.getCreateTime())).reversed()
        .thenComparing(Execution::getName));
    return executions;
  }

  /**
   * status.execution from the executions: the newest {@link RunsStatus#MAX_HISTORY} as runs, the
   * last one and the last successful one; an event for each start and end not seen before. A
   * failed execution's tasks are listed once, when it is first seen failed.
   */
  private static void observe(Pass pass, RunsStatus runs, List<Execution> executions) {
    Map<String, Run> known = new java.util.HashMap<>();
    runs.getHistory().forEach(r -> known.put(r.getName(), r));
    if (runs.getLastSuccessful() != null) {
      known.putIfAbsent(runs.getLastSuccessful().getName(), runs.getLastSuccessful());
    }
    // The first look at an adopted job reports its past without an event for each run that ended before the resource was made.
    boolean firstLook = known.isEmpty();
    String created = pass.cr.getMetadata().getCreationTimestamp();
    List<Run> history = new ArrayList<>();
    for (Execution execution : executions.subList(0, Math.min(RunsStatus.MAX_HISTORY, executions.size()))) {
      Run before = known.get(execution.getName());
      Run run = before != null && !isActive(before) ? before : run(execution, pass);
      history.add(run);
      boolean past = firstLook && !isActive(run) && created != null
          && Timestamps.toMillis(execution.getCreateTime()) < java.time.Instant.parse(created).toEpochMilli();
      if (!past) {
        announce(pass, before, run);
      }
    }
    runs.setHistory(history);
    runs.setLast(history.isEmpty() ? null : history.get(0));
    executions.stream().filter(e -> phase(e).equals("Succeeded")).findFirst()
        .map(e -> history.stream().filter(r -> r.getName().equals(e.getName())).findFirst().orElseGet(() -> run(e, pass)))
        .ifPresent(runs::setLastSuccessful);
  }

  /** Puts a run the pass started at the head of status, before any list shows it. */
  private static void record(RunsStatus runs, Run run) {
    List<Run> history = new ArrayList<>();
    history.add(run);
    runs.getHistory().stream().filter(r -> !r.getName().equals(run.getName())).limit(RunsStatus.MAX_HISTORY - 1).forEach(history::add);
    runs.setHistory(history);
    runs.setLast(run);
  }

  /** The run of an execution; a failed one with its failed tasks (listed here, once). */
  private static Run run(Execution execution, Pass pass) {
    Run run = new Run();
    run.setName(execution.getName());
    String marker = marker(execution);
    run.setTrigger(marker != null ? (marker.startsWith("t-") ? RUN_TOKEN : ANNOTATION)
        : execution.getCreator().equals(invoker(pass)) ? SCHEDULE : MANUAL);
    run.setCreator(execution.getCreator().isEmpty() ? null : execution.getCreator());
    run.setPhase(phase(execution));
    run.setTaskCount(execution.getTaskCount());
    run.setSucceeded(execution.getSucceededCount());
    run.setFailed(execution.getFailedCount());
    run.setCancelled(execution.getCancelledCount());
    if (execution.hasStartTime()) {
      run.setStartTime(Timestamps.toString(execution.getStartTime()));
    }
    if (execution.hasCompletionTime()) {
      run.setCompletionTime(Timestamps.toString(execution.getCompletionTime()));
    }
    run.setLogUri(execution.getLogUri().isEmpty() ? null : execution.getLogUri());
    if (!run.getPhase().equals("Succeeded") && execution.hasCompletionTime()) {
      run.setReason(completed(execution).map(Condition::getMessage).filter(m -> !m.isEmpty()).orElse(null));
    }
    if (run.getPhase().equals("Failed") && execution.getFailedCount() > 0) {
      run.setFailedTasks(failedTasks(pass, execution.getName()));
    }
    return run;
  }

  /** The schedule's invoker, whose OAuth token Cloud Scheduler's firings carry: the creator of scheduled runs. */
  private static String invoker(Pass pass) {
    ExecutionSpec spec = pass.cr.getSpec().getExecution();
    return spec != null && spec.getSchedule() != null ? spec.getSchedule().getServiceAccount() : null;
  }

  private static List<FailedTask> failedTasks(Pass pass, String execution) {
    List<FailedTask> failed = new ArrayList<>();
    for (Task task : pass.services.gcp().tasks.listTasks(ListTasksRequest.newBuilder().setParent(execution).build()).iterateAll()) {
      boolean taskFailed = task.getConditionsList().stream()
          .anyMatch(c -> c.getType().equals("Completed") && c.getState() == Condition.State.CONDITION_FAILED);
      if (!taskFailed || failed.size() >= MAX_FAILED_TASKS) {
        continue;
      }
      FailedTask entry = new FailedTask();
      entry.setIndex(task.getIndex());
      if (task.hasLastAttemptResult()) {
        entry.setExitCode(task.getLastAttemptResult().getExitCode());
        String message = task.getLastAttemptResult().getStatus().getMessage();
        entry.setMessage(message.isEmpty() ? null : message);
      }
      entry.setLogUri(task.getLogUri().isEmpty() ? null : task.getLogUri());
      failed.add(entry);
    }
    failed.sort(Comparator.comparing(FailedTask::getIndex));
    return failed;
  }

  /** RunStarted for an execution first seen running, RunSucceeded or RunFailed when one is first seen ended. */
  private static void announce(Pass pass, Run before, Run run) {
    boolean started = before == null && isActive(run);
    boolean ended = !isActive(run) && (before == null || isActive(before));
    String who = switch (run.getTrigger()) {
      case MANUAL -> "started by " + Optional.ofNullable(run.getCreator()).orElse("someone else");
      case SCHEDULE -> "started by the schedule";
      default -> "started by the operator (" + run.getTrigger() + ")";
    };
    if (started) {
      pass.services.events().normal(pass.cr, "RunStarted", "Execution " + run.getName() + " is running (" + who + ").");
    }
    if (!ended) {
      return;
    }
    pass.services.metrics().runEnded(run.getPhase());
    if (run.getPhase().equals("Succeeded")) {
      pass.services.events().normal(pass.cr, "RunSucceeded", "Execution " + run.getName() + " succeeded: " + run.getSucceeded() + " of "
          + run.getTaskCount() + " tasks (" + who + ").");
      return;
    }
    StringBuilder message = new StringBuilder("Execution " + run.getName() + " " + run.getPhase().toLowerCase() + " (" + who + "): "
        + run.getFailed() + " of " + run.getTaskCount() + " tasks failed, " + run.getCancelled() + " cancelled.");
    if (!run.getFailedTasks().isEmpty()) {
      FailedTask first = run.getFailedTasks().get(0);
      message.append(" Task ").append(first.getIndex()).append(first.getExitCode() != null ? " exited with code " + first.getExitCode() : " did not finish");
      if (first.getLogUri() != null) {
        message.append("; logs: ").append(first.getLogUri());
      }
      message.append('.');
    } else if (run.getLogUri() != null) {
      message.append(" Logs: ").append(run.getLogUri()).append('.');
    }
    pass.services.events().warning(pass.cr, "RunFailed", message.toString());
  }

  /** RunSucceeded: True when the last run succeeded, False when it failed or was cancelled, Unknown while it runs. */
  private static PartResult verdict(Run last) {
    String message = "Execution " + last.getName() + " " + switch (last.getPhase()) {
      case "Succeeded" -> "succeeded.";
      case "Pending", "Running" -> "is " + last.getPhase().toLowerCase() + ".";
      default -> last.getPhase().toLowerCase() + (last.getReason() != null ? ": " + last.getReason() : ".");
    };
    return switch (last.getPhase()) {
      case "Succeeded" -> PartResult.ready("Succeeded", message);
      case "Pending", "Running" -> PartResult.progressing(last.getPhase(), message);
      default -> PartResult.blocked(last.getPhase(), message);
    };
  }

  static String phase(Execution execution) {
    if (!execution.hasCompletionTime()) {
      return execution.getRunningCount() > 0 || execution.getSucceededCount() + execution.getFailedCount() > 0 ? "Running" : "Pending";
    }
    if (execution.getCancelledCount() > 0 || completed(execution).filter(c -> c.getExecutionReason() == Condition.ExecutionReason.CANCELLED).isPresent()) {
      return "Cancelled";
    }
    boolean failed = execution.getFailedCount() > 0
        || completed(execution).filter(c -> c.getState() == Condition.State.CONDITION_FAILED).isPresent();
    return failed ? "Failed" : "Succeeded";
  }

  private static Optional<Condition> completed(Execution execution) {
    return execution.getConditionsList().stream().filter(c -> c.getType().equals("Completed")).findFirst();
  }

  /** The run id an execution the operator started carries ("t-…" for a token, "a-…" for the annotation), or null. */
  public static String marker(Execution execution) {
    return execution.getTemplate().getContainersList().stream().flatMap(c -> c.getEnvList().stream())
        .filter(e -> e.getName().equals(MARKER)).map(EnvVar::getValue).findFirst().orElse(null);
  }

  /** Pending or running: its end is still to be seen. */
  public static boolean isActive(Run run) {
    return run != null && (run.getPhase().equals("Pending") || run.getPhase().equals("Running"));
  }

  /**
   * The job's latest execution, as the inventory last listed it, is newer than the last run status
   * knows: someone else started one. (A list older than a run the operator started shows an older
   * latest execution, which is no reason to look.)
   */
  private static boolean latestUnknown(Job job, RunsStatus runs) {
    if (job == null || !job.hasLatestCreatedExecution()) {
      return false;
    }
    Run last = runs.getLast();
    if (last == null) {
      return true;
    }
    String latest = job.getLatestCreatedExecution().getName();
    // The job's reference may give the execution's short name or its full one.
    boolean same = ResourceNames.id(last.getName()).equals(ResourceNames.id(latest));
    return !same && (last.getStartTime() == null
        || Timestamps.toMillis(job.getLatestCreatedExecution().getCreateTime()) > java.time.Instant.parse(last.getStartTime()).toEpochMilli());
  }
}
