package dev.cloudrun.egress.reconciler;

import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.scheduler.v1.CreateJobRequest;
import com.google.cloud.scheduler.v1.DeleteJobRequest;
import com.google.cloud.scheduler.v1.HttpMethod;
import com.google.cloud.scheduler.v1.HttpTarget;
import com.google.cloud.scheduler.v1.Job;
import com.google.cloud.scheduler.v1.OAuthToken;
import com.google.cloud.scheduler.v1.PauseJobRequest;
import com.google.cloud.scheduler.v1.ResumeJobRequest;
import com.google.cloud.scheduler.v1.RetryConfig;
import com.google.cloud.scheduler.v1.UpdateJobRequest;
import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.google.protobuf.util.Timestamps;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.RunsStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.ScheduleStatus;
import dev.cloudrun.egress.api.v1alpha1.ExecutionSpec;
import dev.cloudrun.egress.gcp.Operations;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * spec.execution.schedule: a Cloud Scheduler job that POSTs to the Cloud Run job's v2 :run endpoint
 * with an OAuth token of the invoker service account, so scheduled runs go on while the operator is
 * down. Created once the job exists and is ready, drift-corrected (a pause or resume for
 * spec.execution.schedule.suspend, a patch of the fields that differ for the rest), deleted with
 * the resource or when the spec drops the schedule. Cloud Scheduler answers every call at once:
 * its change is done when its "operation" is recorded ({@link Operations.Api#SCHEDULER}).
 */
final class SchedulePart {
  static final String PART = "schedule";
  /** What Cloud Scheduler fills when an OAuth token names no scope (ledger S7): sent, so it is never drift. */
  static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";
  static final ScheduleKind KIND = new ScheduleKind();

  private SchedulePart() {}

  /** The schedule's condition, or empty when the spec has none. */
  static Optional<PartResult> reconcile(Pass pass, PartResult job) {
    ExecutionSpec execution = pass.cr.getSpec().getExecution();
    if (execution == null || execution.getSchedule() == null) {
      Optional.ofNullable(pass.status.getExecution()).ifPresent(runs -> runs.setSchedule(null));
      return Optional.empty();
    }
    String name = pass.targets.schedulePath();
    Optional<PartResult> settling = KIND.settle(pass, name);
    Job observed = KIND.observe(pass, name);
    report(pass, name, observed);
    if (settling.isPresent()) {
      return settling;
    }
    if (observed == null && !job.isReady()) {
      return Optional.of(PartResult.progressing("WaitingForJob", "The schedule is created once the job is ready: " + job.message()));
    }
    return Optional.of(KIND.converge(pass, name, desired(pass), observed));
  }

  static Job desired(Pass pass) {
    ExecutionSpec execution = pass.cr.getSpec().getExecution();
    ExecutionSpec.ScheduleSpec spec = execution.getSchedule();
    HttpTarget.Builder http = HttpTarget.newBuilder()
        .setUri("https://run.googleapis.com/v2/" + pass.targets.jobPath() + ":run")
        .setHttpMethod(HttpMethod.POST)
        .setOauthToken(OAuthToken.newBuilder().setServiceAccountEmail(spec.getServiceAccount()).setScope(CLOUD_PLATFORM));
    ExecutionSpec.RunOverrides overrides = spec.getOverrides() != null ? spec.getOverrides() : execution.getOverrides();
    if (overrides != null) {
      try {
        String body = JsonFormat.printer().omittingInsignificantWhitespace()
            .print(RunJobRequest.newBuilder().setOverrides(RunPart.overrides(overrides, null)));
        http.setBody(ByteString.copyFromUtf8(body)).putHeaders("Content-Type", "application/json");
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("cannot write the :run body of the schedule: " + e.getMessage(), e);
      }
    }
    return Job.newBuilder()
        .setName(pass.targets.schedulePath())
        .setDescription(Ownership.description(pass.cr))
        .setSchedule(spec.getCron())
        .setTimeZone(spec.getTimeZone())
        .setHttpTarget(http)
        .setRetryConfig(RetryConfig.newBuilder().setRetryCount(spec.getRetryCount()))
        .setAttemptDeadline(com.google.protobuf.Duration.newBuilder().setSeconds(CloudRunJobPart.seconds(spec.getAttemptDeadline())))
        .setState(spec.getSuspend() ? Job.State.PAUSED : Job.State.ENABLED)
        .build();
  }

  private static void report(Pass pass, String name, Job observed) {
    RunsStatus runs = pass.status.getExecution() != null ? pass.status.getExecution() : new RunsStatus();
    ScheduleStatus status = new ScheduleStatus();
    status.setName(name);
    if (observed != null) {
      status.setState(observed.getState().name());
      if (observed.hasScheduleTime() && observed.getState() == Job.State.ENABLED) {
        status.setNextRunTime(Timestamps.toString(observed.getScheduleTime()));
      }
      if (observed.hasLastAttemptTime()) {
        status.setLastAttemptTime(Timestamps.toString(observed.getLastAttemptTime()));
        status.setLastAttemptStatus(observed.getStatus().getCode() == 0 ? "OK"
            : com.google.rpc.Code.forNumber(observed.getStatus().getCode()) + ": " + observed.getStatus().getMessage());
      }
    }
    runs.setSchedule(status);
    pass.status.setExecution(runs);
  }

  /** Cloud Scheduler jobs, by their path projects/P/locations/R/jobs/NAME, marked by their description. */
  static final class ScheduleKind extends ObjectKind<Job> {
    ScheduleKind() {
      super(Ledger.Kind.SCHEDULE, PART, Operations.Api.SCHEDULER, "Cloud Scheduler job", true);
    }

    @Override
    Job observe(Pass pass, String name) {
      return pass.inventory.schedulerJobs(ResourceNames.project(name), ResourceNames.region(name)).get(name);
    }

    @Override
    void reread(Pass pass, String name) {
      Pass.reread(pass.inventory.schedulerJobs(ResourceNames.project(name), ResourceNames.region(name)), name, () -> pass.services.gcp().scheduler.getJob(name));
    }

    @Override
    String marker(Job observed) {
      return Ownership.markerOf(observed.getDescription());
    }

    /** Created ENABLED (the state is output only), and paused at once when the spec suspends it, as Terraform does. */
    @Override
    String startCreate(Pass pass, String name, Job desired) {
      pass.services.gcp().scheduler.createJob(CreateJobRequest.newBuilder()
          .setParent(ResourceNames.parent(name)).setJob(desired.toBuilder().clearState()).build());
      if (desired.getState() == Job.State.PAUSED) {
        pass.services.gcp().scheduler.pauseJob(PauseJobRequest.newBuilder().setName(name).build());
      }
      return done(name);
    }

    /** A patch of the fields that differ (masked), then a pause or resume when the state differs. */
    @Override
    String startUpdate(Pass pass, String name, Job desired, Job observed, List<String> fields) {
      List<String> mask = fields.stream().filter(f -> !f.equals("state")).toList();
      if (!mask.isEmpty() || observed.getState() == Job.State.UPDATE_FAILED) {
        List<String> paths = mask.isEmpty() ? List.of("schedule", "time_zone", "http_target", "retry_config", "attempt_deadline", "description") : mask;
        pass.services.gcp().scheduler.updateJob(UpdateJobRequest.newBuilder().setJob(desired.toBuilder().clearState())
            .setUpdateMask(FieldMask.newBuilder().addAllPaths(paths)).build());
      }
      if (fields.contains("state")) {
        if (desired.getState() == Job.State.PAUSED) {
          pass.services.gcp().scheduler.pauseJob(PauseJobRequest.newBuilder().setName(name).build());
        } else {
          pass.services.gcp().scheduler.resumeJob(ResumeJobRequest.newBuilder().setName(name).build());
        }
      }
      return done(name);
    }

    @Override
    String startDelete(Pass pass, String name) {
      pass.services.gcp().scheduler.deleteJob(DeleteJobRequest.newBuilder().setName(name).build());
      return done(name);
    }

    /** By update-mask path; "state" for a pause or resume. Headers Cloud Scheduler adds are not ours to compare. */
    @Override
    List<String> differences(Job desired, Job observed) {
      List<String> fields = new ArrayList<>();
      if (!desired.getSchedule().equals(observed.getSchedule())) {
        fields.add("schedule");
      }
      if (!desired.getTimeZone().equals(observed.getTimeZone())) {
        fields.add("time_zone");
      }
      if (!desired.getDescription().equals(observed.getDescription())) {
        fields.add("description");
      }
      HttpTarget d = desired.getHttpTarget();
      HttpTarget o = observed.getHttpTarget();
      boolean headers = d.getHeadersMap().entrySet().stream().allMatch(e -> e.getValue().equals(o.getHeadersMap().get(e.getKey())));
      if (!d.getUri().equals(o.getUri()) || d.getHttpMethod() != o.getHttpMethod() || !d.getOauthToken().equals(o.getOauthToken())
          || !d.getBody().equals(o.getBody()) || !headers || o.hasOidcToken()) {
        fields.add("http_target");
      }
      if (desired.getRetryConfig().getRetryCount() != observed.getRetryConfig().getRetryCount()) {
        fields.add("retry_config.retry_count");
      }
      if (!desired.getAttemptDeadline().equals(observed.getAttemptDeadline())) {
        fields.add("attempt_deadline");
      }
      boolean paused = observed.getState() == Job.State.PAUSED;
      if ((desired.getState() == Job.State.PAUSED) != paused && observed.getState() != Job.State.DISABLED) {
        fields.add("state");
      }
      if (observed.getState() == Job.State.UPDATE_FAILED && fields.isEmpty()) {
        fields.add("state"); // the last update failed: it is sent again
      }
      return fields;
    }

    @Override
    PartResult state(String name, Job observed) {
      return switch (observed.getState()) {
        case ENABLED -> PartResult.ready("Ready", noun + " " + name + " runs the job on its schedule"
            + (observed.hasScheduleTime() ? "; next at " + Timestamps.toString(observed.getScheduleTime()) : "") + ".");
        case PAUSED -> PartResult.ready("Suspended", noun + " " + name + " is paused: spec.execution.schedule.suspend is true.");
        case DISABLED -> PartResult.blocked("ScheduleDisabled", noun + " " + name + " was disabled by Cloud Scheduler after errors;"
            + " see its last attempt in status.execution.schedule and fix the cause, then delete it (gcloud scheduler jobs delete):"
            + " the operator makes it again. (Whether GCP resumes a disabled job is not documented; the operator does not try.)");
        default -> PartResult.progressing("Updating", noun + " " + name + " is " + observed.getState() + ".");
      };
    }

    @Override
    String notOwnedFix() {
      return "Delete or rename it, or set spec.job.name to another name (the schedule is named after the job).";
    }

    /** What is recorded as the operation of a synchronous call: nothing to wait for. */
    private static String done(String name) {
      return "done:" + name;
    }
  }
}
