package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.AbortedException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.scheduler.v1.CloudSchedulerClient;
import com.google.cloud.scheduler.v1.CloudSchedulerSettings;
import com.google.cloud.scheduler.v1.HttpMethod;
import com.google.cloud.scheduler.v1.HttpTarget;
import com.google.cloud.scheduler.v1.Job;
import com.google.cloud.scheduler.v1.ListJobsRequest;
import com.google.cloud.scheduler.v1.OAuthToken;
import com.google.cloud.scheduler.v1.OidcToken;
import com.google.cloud.scheduler.v1.PubsubTarget;
import com.google.cloud.scheduler.v1.RetryConfig;
import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import com.google.rpc.Code;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cloud Scheduler jobs through the official client over REST, firing on the FakeClock (which starts at 2025-01-01T00:00Z). */
class SchedulerApiTest {
  private static final String PARENT = "projects/p/locations/europe-west2";
  private static final String NAME = PARENT + "/jobs/nightly";
  private static final String RUN_JOB = PARENT + "/jobs/agent";
  private static final String RUN_URI = "https://run.googleapis.com/v2/" + RUN_JOB + ":run";
  private static final String INVOKER = "scheduler@p.iam.gserviceaccount.com";
  private static final Instant START = Instant.parse("2025-01-01T00:00:00Z");

  private FakeGcp gcp;
  private CloudSchedulerClient scheduler;
  private JobsClient runJobs;

  @BeforeEach
  void start() throws Exception {
    gcp = FakeGcp.start();
    scheduler = CloudSchedulerClient.create(gcp.configure(CloudSchedulerSettings.newHttpJsonBuilder()).build());
    runJobs = JobsClient.create(gcp.configure(JobsSettings.newHttpJsonBuilder()).build());
  }

  @AfterEach
  void stop() {
    scheduler.close();
    runJobs.close();
    gcp.close();
  }

  /** Ledger S6, S7, S8: GCP's defaults; output-only fields sent by the caller are ignored. */
  @Test
  void createFillsTheDefaultsAndSchedulesTheNextCronTime() {
    Job sent = job("30 * * * *").toBuilder().setState(Job.State.PAUSED).setLastAttemptTime(Timestamps.fromSeconds(1)).build();

    Job created = scheduler.createJob(PARENT, sent);

    assertThat(created.getName()).isEqualTo(NAME);
    assertThat(created.getState()).isEqualTo(Job.State.ENABLED);
    assertThat(created.hasLastAttemptTime()).isFalse();
    assertThat(created.hasStatus()).isFalse();
    assertThat(created.getHttpTarget().getHttpMethod()).isEqualTo(HttpMethod.POST);
    assertThat(created.getHttpTarget().getOauthToken().getScope()).isEqualTo("https://www.googleapis.com/auth/cloud-platform");
    assertThat(created.getAttemptDeadline()).isEqualTo(Durations.fromSeconds(180));
    assertThat(created.getRetryConfig()).isEqualTo(RetryConfig.newBuilder().setRetryCount(0).setMaxRetryDuration(Durations.ZERO)
        .setMinBackoffDuration(Durations.fromSeconds(5)).setMaxBackoffDuration(Durations.fromHours(1)).setMaxDoublings(5).build());
    assertThat(created.getTimeZone()).isEmpty();
    assertThat(instant(created.getUserUpdateTime())).isEqualTo(START);
    assertThat(instant(created.getScheduleTime())).isEqualTo(START.plus(Duration.ofMinutes(30)));
    assertThat(scheduler.getJob(NAME)).isEqualTo(created);
    assertThat(gcp.allSchedulerJobs()).containsExactly(created);
    assertThat(gcp.calls().count("cloudscheduler", "jobs.create", 200)).isEqualTo(1);
  }

  /** Ledger S7: an OIDC audience defaults to the URI, and an address without a path gains "/". */
  @Test
  void anOidcAudienceDefaultsToTheUriWhichGainsARootPath() {
    Job created = scheduler.createJob(PARENT, job("0 * * * *").toBuilder().setHttpTarget(HttpTarget.newBuilder()
        .setUri("https://hello-abc-uc.a.run.app").setOidcToken(OidcToken.newBuilder().setServiceAccountEmail(INVOKER))).build());

    assertThat(created.getHttpTarget().getUri()).isEqualTo("https://hello-abc-uc.a.run.app/");
    assertThat(created.getHttpTarget().getOidcToken().getAudience()).isEqualTo("https://hello-abc-uc.a.run.app/");
  }

  /** Ledger S2, S3, S4, S5, S7: 400 naming the field, 409 on a duplicate, 404 for a missing job. */
  @Test
  void invalidValuesAreRefusedAndDuplicatesAndMissingJobsAreReported() {
    scheduler.createJob(PARENT, job("0 9 * * *"));

    assertThatThrownBy(() -> scheduler.createJob(PARENT, job("0 9 * * *"))).isInstanceOf(AbortedException.class)
        .cause().hasMessageContaining("ALREADY_EXISTS");
    assertThatThrownBy(() -> scheduler.getJob(PARENT + "/jobs/nope")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> scheduler.deleteJob(PARENT + "/jobs/nope")).isInstanceOf(NotFoundException.class);
    refused(j -> j.setSchedule("61 * * * *"), "schedule");
    refused(j -> j.setSchedule("0 0 L * *"), "schedule");
    refused(j -> j.setSchedule("every 5 minutes"), "schedule");
    refused(j -> j.clearSchedule(), "schedule");
    refused(j -> j.setTimeZone("Mars/Olympus_Mons"), "time_zone");
    refused(j -> j.setTimeZone("+01:00"), "time_zone");
    refused(j -> j.setAttemptDeadline(Durations.fromSeconds(14)), "attempt_deadline");
    refused(j -> j.setAttemptDeadline(Durations.fromSeconds(30 * 60 + 1)), "attempt_deadline");
    refused(j -> j.setRetryConfig(RetryConfig.newBuilder().setRetryCount(6)), "retry_config.retry_count");
    refused(j -> j.setRetryConfig(RetryConfig.newBuilder().setRetryCount(-1)), "retry_config.retry_count");
    refused(j -> j.setRetryConfig(RetryConfig.newBuilder().setMinBackoffDuration(Durations.fromSeconds(-1))), "retry_config.min_backoff_duration");
    refused(j -> j.setDescription("x".repeat(501)), "description");
    refused(j -> j.clearHttpTarget(), "target");
    refused(j -> j.getHttpTargetBuilder().setUri("ftp://example.com/"), "http_target.uri");
    refused(j -> j.getHttpTargetBuilder().setHttpMethod(HttpMethod.GET).setBody(ByteString.copyFromUtf8("{}")), "http_target.body");
    refused(j -> j.setPubsubTarget(PubsubTarget.newBuilder().setTopicName("projects/other/topics/t").setData(ByteString.copyFromUtf8("x"))),
        "pubsub_target.topic_name");
    refused(j -> j.setName(PARENT + "/jobs/no spaces"), "name");
    refused(j -> j.setName("projects/other/locations/europe-west2/jobs/elsewhere"), "name");
    // The limits themselves are accepted, and "utc" in any case is UTC.
    assertThat(scheduler.createJob(PARENT, job("0 9 * * *").toBuilder().setName(PARENT + "/jobs/edges").setTimeZone("utc")
        .setAttemptDeadline(Durations.fromMinutes(30)).setRetryConfig(RetryConfig.newBuilder().setRetryCount(5)).build()).getState())
        .isEqualTo(Job.State.ENABLED);
    assertThat(scheduler.createJob(PARENT, job("0 9 * * *").toBuilder().clearName().build()).getName()).startsWith(PARENT + "/jobs/");
  }

  private void refused(Consumer<Job.Builder> change, String field) {
    Job.Builder job = job("0 9 * * *").toBuilder().setName(PARENT + "/jobs/refused");
    change.accept(job);
    Job sent = job.build();
    assertThatThrownBy(() -> scheduler.createJob(PARENT, sent)).as(field).isInstanceOf(InvalidArgumentException.class)
        .cause().hasMessageContaining(field);
  }

  /** Ledger S9: only the masked fields change; a masked field the body leaves out is cleared; no mask replaces every user field. */
  @Test
  void patchChangesOnlyTheMaskedFields() {
    scheduler.createJob(PARENT, job("30 * * * *").toBuilder().setDescription("first").build());
    Job body = job("45 * * * *").toBuilder().setDescription("second").setTimeZone("Europe/Paris").build();

    Job masked = scheduler.updateJob(body, FieldMask.newBuilder().addPaths("schedule").build());
    assertThat(masked.getSchedule()).isEqualTo("45 * * * *");
    assertThat(masked.getDescription()).isEqualTo("first");
    assertThat(masked.getTimeZone()).isEmpty();
    assertThat(instant(masked.getScheduleTime())).isEqualTo(START.plus(Duration.ofMinutes(45)));

    Job nested = scheduler.updateJob(job("45 * * * *").toBuilder().setRetryConfig(RetryConfig.newBuilder().setRetryCount(3)).build(),
        FieldMask.newBuilder().addPaths("retry_config.retry_count").build());
    assertThat(nested.getRetryConfig().getRetryCount()).isEqualTo(3);
    assertThat(nested.getRetryConfig().getMinBackoffDuration()).isEqualTo(Durations.fromSeconds(5));

    Job cleared = scheduler.updateJob(Job.newBuilder().setName(NAME).build(), FieldMask.newBuilder().addPaths("description").build());
    assertThat(cleared.getDescription()).isEmpty();
    assertThat(cleared.getSchedule()).isEqualTo("45 * * * *");

    Job whole = scheduler.updateJob(body, FieldMask.getDefaultInstance());
    assertThat(whole.getDescription()).isEqualTo("second");
    assertThat(whole.getTimeZone()).isEqualTo("Europe/Paris");
    assertThat(whole.getRetryConfig().getRetryCount()).isZero();

    assertThatThrownBy(() -> scheduler.updateJob(body, FieldMask.newBuilder().addPaths("no_such_field").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("update_mask");
    assertThatThrownBy(() -> scheduler.updateJob(body.toBuilder().setSchedule("nonsense").build(),
        FieldMask.newBuilder().addPaths("schedule").build())).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> scheduler.updateJob(body.toBuilder().setName(PARENT + "/jobs/nope").build(), FieldMask.getDefaultInstance()))
        .isInstanceOf(NotFoundException.class);
    assertThat(scheduler.getJob(NAME).getSchedule()).isEqualTo("45 * * * *");
  }

  /** Ledger S16: one firing at the cron time, one execution of the Run job, created by the invoker. */
  @Test
  void aFiringAtTheCronTimeStartsOneExecutionAsTheInvoker() throws Exception {
    createRunJob();
    scheduler.createJob(PARENT, job("30 * * * *"));

    gcp.clock().advance(Duration.ofMinutes(29));
    assertThat(gcp.executionsOf(RUN_JOB)).isEmpty();

    gcp.clock().advance(Duration.ofMinutes(1));
    List<Execution> executions = gcp.executionsOf(RUN_JOB);
    assertThat(executions).hasSize(1);
    assertThat(executions.get(0).getCreator()).isEqualTo(INVOKER);
    Job fired = scheduler.getJob(NAME);
    assertThat(instant(fired.getLastAttemptTime())).isEqualTo(START.plus(Duration.ofMinutes(30)));
    assertThat(fired.hasStatus()).isTrue();
    assertThat(fired.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(instant(fired.getScheduleTime())).isEqualTo(START.plus(Duration.ofMinutes(90)));
    assertThat(gcp.scheduler().attempts(NAME)).extracting(SchedulerApi.Attempt::forced).containsExactly(false);

    gcp.clock().advance(Duration.ofMinutes(59));
    assertThat(gcp.executionsOf(RUN_JOB)).hasSize(1);
  }

  /** Ledger S16: a jump of the clock over three cron times fires three times, each at its own time. */
  @Test
  void aJumpOfTheClockFiresAtEveryCronTimeItPasses() throws Exception {
    createRunJob();
    scheduler.createJob(PARENT, job("0 * * * *"));

    gcp.clock().advance(Duration.ofHours(3).plusMinutes(5));

    assertThat(gcp.executionsOf(RUN_JOB)).hasSize(3);
    assertThat(gcp.scheduler().attempts(NAME)).extracting(SchedulerApi.Attempt::at)
        .containsExactly(START.plus(Duration.ofHours(1)), START.plus(Duration.ofHours(2)), START.plus(Duration.ofHours(3)));
    assertThat(instant(scheduler.getJob(NAME).getScheduleTime())).isEqualTo(START.plus(Duration.ofHours(4)));
  }

  /** Ledger S5: the schedule is read in the job's time zone. */
  @Test
  void theScheduleIsReadInTheJobsTimeZone() throws Exception {
    createRunJob();
    Job created = scheduler.createJob(PARENT, job("0 9 * * *").toBuilder().setTimeZone("Europe/Paris").build());
    Instant nineInParis = Instant.parse("2025-01-01T08:00:00Z");
    assertThat(instant(created.getScheduleTime())).isEqualTo(nineInParis);

    gcp.clock().advance(Duration.ofHours(8).minusSeconds(1));
    assertThat(gcp.executionsOf(RUN_JOB)).isEmpty();
    gcp.clock().advance(Duration.ofSeconds(1));
    assertThat(gcp.executionsOf(RUN_JOB)).hasSize(1);
    assertThat(instant(scheduler.getJob(NAME).getScheduleTime())).isEqualTo(nineInParis.plus(Duration.ofDays(1)));
  }

  /** Ledger S11: a paused job does not fire; pause twice is refused, resume of an ENABLED job is answered as it is. */
  @Test
  void aPausedJobDoesNotFireUntilResumed() throws Exception {
    createRunJob();
    scheduler.createJob(PARENT, job("30 * * * *"));

    Job paused = scheduler.pauseJob(NAME);
    assertThat(paused.getState()).isEqualTo(Job.State.PAUSED);
    assertThat(paused.hasScheduleTime()).isFalse();
    assertThatThrownBy(() -> scheduler.pauseJob(NAME)).isInstanceOf(InvalidArgumentException.class)
        .cause().hasMessageContaining("FAILED_PRECONDITION");
    gcp.clock().advance(Duration.ofHours(2));
    assertThat(gcp.executionsOf(RUN_JOB)).isEmpty();
    // A patch keeps the job paused.
    assertThat(scheduler.updateJob(job("40 * * * *"), FieldMask.newBuilder().addPaths("schedule").build()).getState())
        .isEqualTo(Job.State.PAUSED);

    Job resumed = scheduler.resumeJob(NAME);
    assertThat(resumed.getState()).isEqualTo(Job.State.ENABLED);
    assertThat(instant(resumed.getScheduleTime())).isEqualTo(START.plus(Duration.ofMinutes(2 * 60 + 40)));
    assertThat(scheduler.resumeJob(NAME)).isEqualTo(resumed);
    gcp.clock().advance(Duration.ofMinutes(40));
    assertThat(gcp.executionsOf(RUN_JOB)).hasSize(1);
  }

  /** Ledger S16: a deleted job, or the schedule a patch replaced, leaves no timer behind. */
  @Test
  void noFiringAfterDeleteNorAtAScheduleAPatchReplaced() throws Exception {
    createRunJob();
    scheduler.createJob(PARENT, job("30 * * * *"));
    scheduler.createJob(PARENT, job("10 * * * *").toBuilder().setName(PARENT + "/jobs/doomed").build());

    scheduler.updateJob(job("45 * * * *"), FieldMask.newBuilder().addPaths("schedule").build());
    scheduler.deleteJob(PARENT + "/jobs/doomed");
    gcp.clock().advance(Duration.ofMinutes(44));
    assertThat(gcp.executionsOf(RUN_JOB)).isEmpty();
    assertThatThrownBy(() -> scheduler.getJob(PARENT + "/jobs/doomed")).isInstanceOf(NotFoundException.class);

    gcp.clock().advance(Duration.ofMinutes(1));
    assertThat(gcp.executionsOf(RUN_JOB)).hasSize(1);
    scheduler.deleteJob(NAME);
    gcp.clock().advance(Duration.ofHours(3));
    assertThat(gcp.executionsOf(RUN_JOB)).hasSize(1);
    assertThat(gcp.allSchedulerJobs()).isEmpty();
  }

  /** Ledger S12, S15: a missing Run job answers NOT_FOUND; retries follow the backoff, then the schedule resumes. */
  @Test
  void aMissingRunJobFailsTheAttemptWhichIsRetriedWithBackoff() {
    scheduler.createJob(PARENT, job("30 * * * *").toBuilder().setRetryConfig(RetryConfig.newBuilder().setRetryCount(2)
        .setMinBackoffDuration(Durations.fromSeconds(10))).build());
    Instant due = START.plus(Duration.ofMinutes(30));

    gcp.clock().advance(Duration.ofMinutes(30));
    Job failed = scheduler.getJob(NAME);
    assertThat(failed.getStatus().getCode()).isEqualTo(Code.NOT_FOUND_VALUE);
    assertThat(failed.getStatus().getMessage()).contains("agent");
    assertThat(instant(failed.getScheduleTime())).isEqualTo(due.plusSeconds(10));

    gcp.clock().advance(Duration.ofMinutes(1));
    assertThat(gcp.scheduler().attempts(NAME)).extracting(SchedulerApi.Attempt::at)
        .containsExactly(due, due.plusSeconds(10), due.plusSeconds(30));
    Job afterRetries = scheduler.getJob(NAME);
    assertThat(instant(afterRetries.getLastAttemptTime())).isEqualTo(due.plusSeconds(30));
    assertThat(instant(afterRetries.getScheduleTime())).isEqualTo(due.plus(Duration.ofHours(1)));
  }

  /** Ledger S12: the worked example of the retry interval in the RetryConfig documentation. */
  @Test
  void backoffDoublesThenGrowsLinearlyUpToTheMaximum() {
    RetryConfig config = RetryConfig.newBuilder().setMinBackoffDuration(Durations.fromSeconds(10))
        .setMaxBackoffDuration(Durations.fromSeconds(300)).setMaxDoublings(3).build();

    assertThat(List.of(0, 1, 2, 3, 4, 5, 6, 7)).map(n -> SchedulerApi.backoff(config, n).toSeconds())
        .containsExactly(10L, 20L, 40L, 80L, 160L, 240L, 300L, 300L);
  }

  /** Ledger S15: an account without roles/run.invoker is refused; no OAuth token is unauthenticated. */
  @Test
  void anInvokerWithoutTheRoleOrWithoutAnOAuthTokenCannotRunTheJob() throws Exception {
    createRunJob();
    gcp.scheduler().allowInvoker("other@p.iam.gserviceaccount.com");
    scheduler.createJob(PARENT, job("30 * * * *"));
    scheduler.createJob(PARENT, job("30 * * * *").toBuilder().setName(PARENT + "/jobs/oidc").setHttpTarget(HttpTarget.newBuilder()
        .setUri(RUN_URI).setOidcToken(OidcToken.newBuilder().setServiceAccountEmail("other@p.iam.gserviceaccount.com"))).build());

    gcp.clock().advance(Duration.ofMinutes(30));

    assertThat(scheduler.getJob(NAME).getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED_VALUE);
    assertThat(scheduler.getJob(PARENT + "/jobs/oidc").getStatus().getCode()).isEqualTo(Code.UNAUTHENTICATED_VALUE);
    assertThat(gcp.executionsOf(RUN_JOB)).isEmpty();

    gcp.scheduler().allowInvoker(INVOKER, RUN_JOB);
    gcp.clock().advance(Duration.ofHours(1));
    assertThat(gcp.executionsOf(RUN_JOB)).extracting(Execution::getCreator).containsExactly(INVOKER);
  }

  /** Ledger S13, S14: :run delivers now (the body's overrides included) and leaves the next cron time alone. */
  @Test
  void aForcedRunFiresNowAndKeepsTheSchedule() throws Exception {
    createRunJob();
    Job created = scheduler.createJob(PARENT, job("30 * * * *").toBuilder().setHttpTarget(job("").getHttpTarget().toBuilder()
        .setBody(ByteString.copyFromUtf8("{\"overrides\":{\"taskCount\":3}}"))).build());
    gcp.clock().advance(Duration.ofMinutes(5));

    Job ran = scheduler.runJob(NAME);

    assertThat(instant(ran.getLastAttemptTime())).isEqualTo(START.plus(Duration.ofMinutes(5)));
    assertThat(ran.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(ran.getScheduleTime()).isEqualTo(created.getScheduleTime());
    assertThat(gcp.executionsOf(RUN_JOB)).extracting(Execution::getTaskCount).containsExactly(3);
    assertThat(gcp.scheduler().attempts(NAME)).extracting(SchedulerApi.Attempt::forced).containsExactly(true);
    // A paused job can be forced too (unsourced).
    scheduler.pauseJob(NAME);
    scheduler.runJob(NAME);
    assertThat(gcp.executionsOf(RUN_JOB)).hasSize(2);
  }

  /** Ledger S10: a patch that fails leaves the job UPDATE_FAILED, where it does not run, until a patch succeeds. */
  @Test
  void aFailedPatchLeavesTheJobUpdateFailedUntilAPatchSucceeds() throws Exception {
    createRunJob();
    scheduler.createJob(PARENT, job("30 * * * *"));
    gcp.faults().failNextOperation("cloudscheduler", "jobs.patch", 503, "backend unavailable");

    assertThatThrownBy(() -> scheduler.updateJob(job("40 * * * *"), FieldMask.newBuilder().addPaths("schedule").build()))
        .isInstanceOf(com.google.api.gax.rpc.UnavailableException.class);
    assertThat(scheduler.getJob(NAME).getState()).isEqualTo(Job.State.UPDATE_FAILED);
    gcp.clock().advance(Duration.ofMinutes(45));
    assertThat(gcp.executionsOf(RUN_JOB)).isEmpty();

    Job recovered = scheduler.updateJob(job("50 * * * *"), FieldMask.newBuilder().addPaths("schedule").build());
    assertThat(recovered.getState()).isEqualTo(Job.State.ENABLED);
    gcp.clock().advance(Duration.ofMinutes(5));
    assertThat(gcp.executionsOf(RUN_JOB)).hasSize(1);
  }

  /** Ledger S1: list pages through the jobs of a location. */
  @Test
  void listPagesThroughTheJobsOfALocation() {
    for (String id : List.of("a", "b", "c")) {
      scheduler.createJob(PARENT, job("0 9 * * *").toBuilder().setName(PARENT + "/jobs/" + id).build());
    }
    scheduler.createJob("projects/p/locations/us-central1", job("0 9 * * *").toBuilder()
        .setName("projects/p/locations/us-central1/jobs/elsewhere").build());

    var pages = scheduler.listJobs(ListJobsRequest.newBuilder().setParent(PARENT).setPageSize(2).build());

    assertThat(StreamSupport.stream(pages.iterateAll().spliterator(), false).map(Job::getName))
        .containsExactly(PARENT + "/jobs/a", PARENT + "/jobs/b", PARENT + "/jobs/c");
    assertThat(gcp.calls().count("cloudscheduler", "jobs.list")).isEqualTo(2);
  }

  // ---- helpers ----

  /** A Scheduler job that runs the Cloud Run job {@code agent} as {@link #INVOKER}, the way the operator will. */
  private static Job job(String schedule) {
    return Job.newBuilder().setName(NAME).setSchedule(schedule).setHttpTarget(HttpTarget.newBuilder().setUri(RUN_URI)
        .setOauthToken(OAuthToken.newBuilder().setServiceAccountEmail(INVOKER))).build();
  }

  /** The Cloud Run job, Ready at once (its deployment latency set to zero). */
  private void createRunJob() throws Exception {
    gcp.latencies().set(Latencies.Kind.JOB_MUTATION, Duration.ZERO);
    runJobs.createJobAsync(PARENT, com.google.cloud.run.v2.Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder()
        .setTemplate(TaskTemplate.newBuilder().addContainers(Container.newBuilder().setImage("europe-west2-docker.pkg.dev/p/c/agent:1"))))
        .build(), "agent").get();
  }

  private static Instant instant(com.google.protobuf.Timestamp timestamp) {
    return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }
}
