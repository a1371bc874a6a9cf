package dev.cloudrun.egress.local;

import com.google.cloud.scheduler.v1.Job;
import com.google.protobuf.util.Timestamps;
import com.google.rpc.Code;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.Run;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.RunsStatus;
import dev.cloudrun.egress.api.v1alpha1.ExecutionSpec;
import dev.cloudrun.egress.app.Expectation;
import dev.cloudrun.egress.app.GoDuration;
import dev.cloudrun.egress.gcp.ResourceNames;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.SchedulerApi;
import dev.cloudrun.egress.reconciler.ReconcileTriggers;
import dev.cloudrun.egress.reconciler.RunPart;
import dev.cloudrun.egress.reconciler.Targets;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Local mode's runs. The runs the resources ask for (spec.execution.runToken, the run-requested-at
 * annotation) are awaited until they end. A schedule first fires at its next cron time, hours
 * away: with the fake GCP, local mode moves the fake's clock forward to that time (what waiting
 * would do, without the wait), so Cloud Scheduler fires as it would then and the report shows a
 * scheduled run with its outcome. Nothing else is bent: the firing, the execution and what the
 * operator reports of it are the fake's and the operator's own.
 */
final class LocalRuns {
  /**
   * Further than this a firing is not brought forward: every other schedule would fire all along
   * the way (a minutely one 44,640 times in a month).
   */
  static final int MAX_JUMP_DAYS = 31;
  private static final Duration MAX_JUMP = Duration.ofDays(MAX_JUMP_DAYS);

  private final KubernetesClient client;
  private final PrintWriter out;
  /** namespace/name to its schedule's first firing in the fake, for the resources whose firing local mode brought forward. */
  private final Map<String, SchedulerApi.Attempt> fired = new LinkedHashMap<>();

  LocalRuns(KubernetesClient client, PrintWriter out) {
    this.client = client;
    this.out = out;
  }

  /** Whether it asks the operator for a run: a runToken, or a run-requested-at annotation. */
  static boolean asksForRuns(CloudRunEgressJob cr) {
    ExecutionSpec execution = cr.getSpec().getExecution();
    return execution != null && execution.getRunToken() != null || ReconcileTriggers.annotation(cr, ReconcileTriggers.RUN_REQUESTED) != null;
  }

  static boolean hasSchedule(CloudRunEgressJob cr) {
    ExecutionSpec execution = cr.getSpec().getExecution();
    return execution != null && execution.getSchedule() != null;
  }

  /**
   * Whether the runs it asks for are handled and none runs any more. Only a resource that should
   * become Ready can run: one meant to stay Ready=False (its job NotOwned) waits on its job for ever.
   */
  static boolean askedRunsEnded(CloudRunEgressJob cr) {
    if (!asksForRuns(cr) || Expectation.of(cr).reason() != null) {
      return true;
    }
    RunsStatus runs = cr.getStatus() == null ? null : cr.getStatus().getExecution();
    if (runs == null || runs.getRequest() != null || runs.getLast() == null) {
      return false;
    }
    String token = cr.getSpec().getExecution() == null ? null : cr.getSpec().getExecution().getRunToken();
    String annotation = ReconcileTriggers.annotation(cr, ReconcileTriggers.RUN_REQUESTED);
    return (token == null || token.equals(runs.getRunToken())) && (annotation == null || annotation.equals(runs.getRunRequest()))
        && runs.getHistory().stream().noneMatch(RunPart::isActive);
  }

  /** Waits (within the run's one timeout) until every run asked for has ended; returns the resources as last read. */
  List<CloudRunEgressJob> awaitAskedRuns(Progress progress, List<CloudRunEgressJob> current, Duration timeout) throws InterruptedException {
    if (current.stream().allMatch(LocalRuns::askedRunsEnded)) {
      return current; // they ended while the resources became Ready, as progress showed
    }
    out.printf("%nRunning what the resources ask for (spec.execution.runToken, annotation %s):%n", ReconcileTriggers.RUN_REQUESTED);
    return progress.await(LocalRuns::askedRunsEnded, timeout);
  }

  /**
   * Brings the next firing of each schedule forward: in order of their cron times, moves the fake's
   * clock to each one (a firing an earlier move already reached is not moved to again), then asks
   * the operator to list GCP afresh, as a user would with kubectl, because it notices a run it did
   * not start only at its next resync. Waits until each scheduled run has ended.
   */
  List<CloudRunEgressJob> fireSchedules(FakeGcp fake, Progress progress, List<CloudRunEgressJob> current, Duration timeout)
      throws InterruptedException {
    Map<String, CloudRunEgressJob> schedules = new LinkedHashMap<>();
    current.stream().filter(cr -> hasSchedule(cr) && Expectation.of(cr).reason() == null && Expectation.of(cr).metBy(cr))
        .forEach(cr -> schedules.put(Targets.of(cr).schedulePath(), cr));
    if (schedules.isEmpty()) {
      return current;
    }
    out.printf("%nFiring the schedules (Cloud Scheduler fires at the next cron time; local mode moves the fake's clock there"
        + " instead of waiting, --no-fire-schedules to leave it):%n");
    Instant limit = fake.clock().now().plus(MAX_JUMP);
    List<String> byTime = schedules.keySet().stream()
        .sorted(Comparator.comparing(name -> fake.schedulerJob(name).filter(Job::hasScheduleTime)
            .map(job -> Instant.ofEpochSecond(job.getScheduleTime().getSeconds())).orElse(Instant.MAX)))
        .toList();
    for (String name : byTime) {
      CloudRunEgressJob cr = schedules.get(name);
      ZoneId zone = ZoneId.of(cr.getSpec().getExecution().getSchedule().getTimeZone());
      // This read also lets the fake apply what is due by now, firings included.
      Optional<Job> job = fake.schedulerJob(name);
      if (job.isEmpty() || job.get().getState() != Job.State.ENABLED || !job.get().hasScheduleTime()) {
        out.printf("  %s is %s: not fired.%n", name, job.map(j -> j.getState().name()).orElse("not in GCP"));
        continue;
      }
      if (fake.scheduler().attempts(name).isEmpty()) {
        Instant at = Instant.ofEpochSecond(job.get().getScheduleTime().getSeconds(), job.get().getScheduleTime().getNanos());
        if (at.isAfter(limit)) {
          out.printf("  %s fires next at %s, more than %d days away: not brought forward.%n", name,
              LocalReport.time(Timestamps.toString(job.get().getScheduleTime()), zone), MAX_JUMP_DAYS);
          continue;
        }
        Duration gap = Duration.between(fake.clock().now(), at);
        if (!gap.isNegative()) {
          fake.clock().advance(gap);
        }
        out.printf("  The fake's clock moved %s forward to %s, when %s fires (\"%s\" %s).%n",
            GoDuration.format(gap.isNegative() ? Duration.ZERO : gap.truncatedTo(ChronoUnit.SECONDS)),
            LocalReport.time(at.toString(), zone), name, job.get().getSchedule(), job.get().getTimeZone());
        fake.schedulerJob(name); // the firing happens on this read
      }
      List<SchedulerApi.Attempt> attempts = fake.scheduler().attempts(name);
      if (attempts.isEmpty()) {
        out.printf("  %s did not fire.%n", name);
        continue;
      }
      SchedulerApi.Attempt attempt = attempts.get(0);
      out.printf("  Cloud Scheduler called %s as %s: %s%n", job.get().getHttpTarget().getUri(),
          job.get().getHttpTarget().getOauthToken().getServiceAccountEmail(), answer(attempt));
      fired.put(key(cr), attempt);
    }
    if (fired.isEmpty()) {
      return current;
    }
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(); // as date -Is writes it
    out.printf("  The operator notices a run it did not start when it lists GCP again (every --resync-interval); asked now, as you would:%n");
    for (CloudRunEgressJob cr : current) {
      if (fired.containsKey(key(cr))) {
        out.printf("  $ kubectl annotate crej -n %s %s %s=%s --overwrite%n", cr.getMetadata().getNamespace(), cr.getMetadata().getName(),
            ReconcileTriggers.FORCE_RECONCILE, now);
        client.resources(CloudRunEgressJob.class).inNamespace(cr.getMetadata().getNamespace()).withName(cr.getMetadata().getName())
            .patch(PatchContext.of(PatchType.JSON_MERGE),
                Serialization.asJson(Map.of("metadata", Map.of("annotations", Map.of(ReconcileTriggers.FORCE_RECONCILE, now)))));
      }
    }
    out.flush();
    // A firing whose :run call failed started nothing: there is no run to wait for.
    return progress.await(cr -> !fired.containsKey(key(cr)) || !ok(fired.get(key(cr)))
        || scheduledRun(cr, fired.get(key(cr)).at()).filter(run -> !RunPart.isActive(run)).isPresent(), timeout);
  }

  /**
   * One line per resource that asked for runs or whose schedule fired: which execution ran and how
   * it ended. A run that failed is the job's outcome, not the operator's: it is reported, not a
   * failure of local mode; a run that never started or was never seen to end is. True when none is.
   */
  boolean summarize(List<CloudRunEgressJob> resources) {
    boolean allMet = true;
    for (CloudRunEgressJob cr : resources) {
      String name = key(cr);
      if (asksForRuns(cr) && Expectation.of(cr).reason() == null) {
        String asked = describeAsked(cr);
        RunsStatus runs = cr.getStatus() == null ? null : cr.getStatus().getExecution();
        Optional<Run> run = runs == null ? Optional.empty() : runs.getHistory().stream()
            .filter(r -> r.getTrigger().equals(RunPart.RUN_TOKEN) || r.getTrigger().equals(RunPart.ANNOTATION)).findFirst();
        if (askedRunsEnded(cr) && run.isPresent()) {
          out.printf("OK    %s ran for %s: %s%n", name, asked, outcome(run.get()));
        } else {
          allMet = false;
          out.printf("FAIL  %s should have run for %s and reported how it ended, but %s%n", name, asked,
              runs == null ? "status.execution is empty" : runs.getRequest() != null
                  ? "the run is still asked for" + (runs.getRequest().getWaiting() == null ? "" : ": " + runs.getRequest().getWaiting())
                  : run.map(r -> "its run is " + r.getPhase() + ": " + ResourceNames.id(r.getName())).orElse("no run it started is in status.execution.history"));
        }
      }
      SchedulerApi.Attempt attempt = fired.get(name);
      if (attempt != null) {
        String at = LocalReport.time(attempt.at().toString(), ZoneId.of(cr.getSpec().getExecution().getSchedule().getTimeZone()));
        Optional<Run> run = scheduledRun(cr, attempt.at()).filter(r -> !RunPart.isActive(r));
        if (run.isPresent()) {
          out.printf("OK    %s's schedule fired at %s: %s%n", name, at, outcome(run.get()));
        } else {
          allMet = false;
          out.printf("FAIL  %s's schedule fired at %s, but %s%n", name, at, ok(attempt)
              ? "status.execution shows no scheduled run that ended since." : "its :run call failed: " + answer(attempt));
        }
      }
    }
    return allMet;
  }

  private static String describeAsked(CloudRunEgressJob cr) {
    String token = cr.getSpec().getExecution() == null ? null : cr.getSpec().getExecution().getRunToken();
    String annotation = ReconcileTriggers.annotation(cr, ReconcileTriggers.RUN_REQUESTED);
    return String.join(" and ", Stream.of(token == null ? null : "runToken " + token,
        annotation == null ? null : ReconcileTriggers.RUN_REQUESTED + " " + annotation).filter(Objects::nonNull).toList());
  }

  /** "execution my-agent-9-ab12c Succeeded, 1 task: 1 succeeded" (and the first failed task's exit code). */
  private static String outcome(Run run) {
    String failed = run.getFailedTasks().isEmpty() ? ""
        : "; task " + run.getFailedTasks().get(0).getIndex() + (run.getFailedTasks().get(0).getExitCode() == null ? " did not finish"
            : " exited with code " + run.getFailedTasks().get(0).getExitCode());
    return "execution " + ResourceNames.id(run.getName()) + " " + run.getPhase() + ", " + LocalReport.tasks(run) + failed + ".";
  }

  /** The newest run the schedule started at or after {@code firedAt}, as status.execution reports it. */
  private static Optional<Run> scheduledRun(CloudRunEgressJob cr, Instant firedAt) {
    RunsStatus runs = cr.getStatus() == null ? null : cr.getStatus().getExecution();
    if (runs == null || runs.getSchedule() == null || runs.getSchedule().getLastAttemptTime() == null) {
      return Optional.empty();
    }
    return runs.getHistory().stream()
        .filter(r -> r.getTrigger().equals(RunPart.SCHEDULE) && r.getStartTime() != null && !Instant.parse(r.getStartTime()).isBefore(firedAt))
        .findFirst();
  }

  private static boolean ok(SchedulerApi.Attempt attempt) {
    return attempt.status().getCode() == 0;
  }

  /** How the :run call answered: OK, or the code and message Cloud Scheduler recorded. */
  private static String answer(SchedulerApi.Attempt attempt) {
    return ok(attempt) ? "OK" : Code.forNumber(attempt.status().getCode()) + " " + attempt.status().getMessage();
  }


  private static String key(CloudRunEgressJob cr) {
    return cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName();
  }
}
