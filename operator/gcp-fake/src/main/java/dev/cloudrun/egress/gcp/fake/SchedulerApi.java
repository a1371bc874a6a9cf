package dev.cloudrun.egress.gcp.fake;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.scheduler.v1.AppEngineHttpTarget;
import com.google.cloud.scheduler.v1.HttpMethod;
import com.google.cloud.scheduler.v1.HttpTarget;
import com.google.cloud.scheduler.v1.Job;
import com.google.cloud.scheduler.v1.ListJobsResponse;
import com.google.cloud.scheduler.v1.PubsubTarget;
import com.google.cloud.scheduler.v1.RetryConfig;
import com.google.protobuf.Empty;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.FieldMaskUtil;
import com.google.rpc.Code;
import com.google.rpc.Status;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cloud Scheduler v1: jobs that fire on a unix-cron schedule, measured on the {@link FakeClock}.
 * Every method answers at once (the API has no long-running operations). A firing is delivered
 * only to Cloud Run Admin v2's {@code jobs.run} (an HTTP target with an OAuth token): it starts an
 * execution through {@link RunApi} as the token's service account. Any other target is recorded as
 * an attempt the fake could not deliver (code UNIMPLEMENTED). Ledger section "Cloud Scheduler".
 */
public final class SchedulerApi {
  private static final String API = "cloudscheduler";
  // Ledger S3: letters, digits, hyphens and underscores, at most 500 characters.
  private static final Pattern JOB_ID = Pattern.compile("^[A-Za-z0-9_-]{1,500}$");
  // Ledger S14: the documented jobs.run of Cloud Run Admin v2.
  private static final Pattern RUN_V2 =
      Pattern.compile("^https://run\\.googleapis\\.com/v2/(projects/[^/]+/locations/[^/]+/jobs/[^/:?#]+):run$");
  private static final Pattern TOPIC = Pattern.compile("^projects/([^/]+)/topics/[^/]+$");
  static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";
  private static final int MAX_PAGE_SIZE = 500;
  private static final int MAX_RETRY_COUNT = 5;
  private static final int MAX_DESCRIPTION = 500;
  private static final int MAX_URI = 2083;
  private static final com.google.protobuf.Duration HTTP_DEADLINE = Durations.fromSeconds(180);
  private static final com.google.protobuf.Duration MIN_DEADLINE = Durations.fromSeconds(15);
  private static final com.google.protobuf.Duration MAX_HTTP_DEADLINE = Durations.fromMinutes(30);
  private static final com.google.protobuf.Duration MAX_APP_ENGINE_DEADLINE = Durations.add(Durations.fromHours(24), Durations.fromSeconds(15));
  private static final com.google.protobuf.Duration MIN_BACKOFF = Durations.fromSeconds(5);
  private static final com.google.protobuf.Duration MAX_BACKOFF = Durations.fromHours(1);
  private static final int MAX_DOUBLINGS = 5;
  /** The fields a caller sets; the rest are output only and ignored on input (ledger S8). */
  private static final List<String> USER_FIELDS = List.of("description", "schedule", "time_zone", "retry_config",
      "attempt_deadline", "pubsub_target", "app_engine_http_target", "http_target");
  private static final Set<String> OUTPUT_FIELDS =
      Set.of("name", "user_update_time", "state", "status", "schedule_time", "last_attempt_time");
  private static final FieldMaskUtil.MergeOptions REPLACE = new FieldMaskUtil.MergeOptions()
      .setReplaceMessageFields(true).setReplaceRepeatedFields(true).setReplacePrimitiveFields(true);
  private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  /** One attempt to deliver a job: when, what came back (code 0 is a success), and whether {@code :run} forced it. */
  public record Attempt(Instant at, Status status, boolean forced) {}

  private volatile boolean held;

  private final Simulation sim;
  private final Faults faults;
  private final RunApi run;
  private final Store<Job> jobs = new Store<>();
  /** Job name to the number of its one live timer: a timer whose number is not here any more does nothing. */
  private final Map<String, Long> armed = new HashMap<>();
  private final Map<String, List<Attempt>> attempts = new HashMap<>();
  private final Map<String, ExecutionTime> executionTimes = new HashMap<>();
  private long timers;
  private final Set<String> grants = ConcurrentHashMap.newKeySet();

  SchedulerApi(Simulation sim, Faults faults, RunApi run) {
    this.sim = sim;
    this.faults = faults;
    this.run = run;
  }

  void register(Routes routes) {
    String location = "/v1/projects/{project}/locations/{location}";
    String job = location + "/jobs/{job}";
    routes.add(API, "jobs.create", "POST", location + "/jobs", this::create);
    routes.add(API, "jobs.list", "GET", location + "/jobs", this::list);
    routes.add(API, "jobs.get", "GET", job, r -> require(jobName(r)));
    routes.add(API, "jobs.patch", "PATCH", job, this::patch);
    routes.add(API, "jobs.delete", "DELETE", job, this::delete);
    routes.add(API, "jobs.pause", "POST", job + ":pause", this::pause);
    routes.add(API, "jobs.resume", "POST", job + ":resume", this::resume);
    routes.add(API, "jobs.run", "POST", job + ":run", this::forceRun);
  }

  // ---- who may run which Cloud Run job (roles/run.invoker) ----

  /**
   * Grants the account every Cloud Run job. A firing whose token's account may not run the job ends
   * with PERMISSION_DENIED, as without roles/run.invoker. Before any grant every
   * "*.iam.gserviceaccount.com" may; the first grant replaces that, so only granted accounts may.
   */
  public SchedulerApi allowInvoker(String serviceAccountEmail) {
    return allowInvoker(serviceAccountEmail, "*");
  }

  /** Grants the account one Cloud Run job ("projects/p/locations/l/jobs/j"); see {@link #allowInvoker(String)}. */
  public SchedulerApi allowInvoker(String serviceAccountEmail, String runJob) {
    grants.add(serviceAccountEmail + " " + runJob);
    return this;
  }

  private boolean mayRun(String email, String runJob) {
    return grants.isEmpty() ? email.endsWith(".iam.gserviceaccount.com") : grants.contains(email + " *") || grants.contains(email + " " + runJob);
  }

  /**
   * True stops every firing, as if Cloud Scheduler's clock stood still (jobs keep their
   * scheduleTime): for tests about something else that run through many hours of the fake's clock,
   * whose scheduled runs would be noise. False again arms every ENABLED job at its next time from
   * now, so a job whose time passed while held fires again.
   */
  public SchedulerApi holdFirings(boolean hold) {
    sim.locked(() -> {
      if (held && !hold) {
        jobs.under("projects/").stream().filter(job -> job.getState() == Job.State.ENABLED).toList().forEach(this::rearm);
      }
      held = hold;
      return null;
    });
    return this;
  }

  // ---- out-of-band access ----

  /** Every attempt to deliver the job since it was created, oldest first. */
  public List<Attempt> attempts(String name) {
    return sim.locked(() -> List.copyOf(attempts.getOrDefault(name, List.of())));
  }

  Optional<Job> job(String name) {
    return sim.locked(() -> jobs.get(name));
  }

  List<Job> jobs() {
    return sim.locked(() -> List.copyOf(jobs.under("projects/")));
  }

  // ---- handlers ----

  private Message create(Routes.Request r) {
    Job body = r.body(Job.newBuilder()).build();
    String parent = parent(r);
    // Ledger S3: the name is optional; without one the system picks a unique one.
    String name = body.getName().isEmpty() ? parent + "/jobs/" + Simulation.newId() : body.getName();
    checkName(name, parent);
    if (jobs.contains(name)) {
      throw ApiError.alreadyExists("Job " + name + " already exists.");
    }
    Job job = checked(withDefaults(userFields(body).setName(name).build()));
    return rearm(job.toBuilder().setState(Job.State.ENABLED).setUserUpdateTime(Simulation.timestamp(sim.now())).build());
  }

  private Message list(Routes.Request r) {
    int size = Math.min(r.intQuery("pageSize") > 0 ? r.intQuery("pageSize") : MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    var page = jobs.page(parent(r) + "/jobs/", size, r.query("pageToken"), MAX_PAGE_SIZE);
    return ListJobsResponse.newBuilder().addAllJobs(page.items()).setNextPageToken(page.nextPageToken()).build();
  }

  /**
   * Only the masked fields change (a masked field the body leaves out is cleared); without a mask
   * every user field is replaced (ledger S9). The state is kept: a PAUSED job stays paused.
   */
  private Message patch(Routes.Request r) {
    String name = jobName(r);
    Job current = require(name);
    Job body = r.body(Job.newBuilder()).build();
    Job.Builder updated = current.toBuilder();
    FieldMaskUtil.merge(mask(r.query("updateMask")), body, updated, REPLACE);
    Job job = checked(withDefaults(updated.build()));
    Optional<ApiError> failure = faults.takeOperationFailure(API, r.method());
    if (failure.isPresent()) {
      // Ledger S10: a patch that does not return successfully may leave the job in UPDATE_FAILED, where it does not run.
      rearm(current.toBuilder().setState(Job.State.UPDATE_FAILED).build());
      throw failure.get();
    }
    Job.State state = current.getState() == Job.State.UPDATE_FAILED ? Job.State.ENABLED : current.getState();
    return rearm(job.toBuilder().setState(state).setUserUpdateTime(Simulation.timestamp(sim.now())).build());
  }

  private Message delete(Routes.Request r) {
    require(jobName(r));
    remove(jobName(r));
    return Empty.getDefaultInstance();
  }

  /** Ledger S11: a job must be ENABLED to be paused. */
  private Message pause(Routes.Request r) {
    Job job = require(jobName(r));
    if (job.getState() != Job.State.ENABLED) {
      throw ApiError.failedPrecondition("Job " + job.getName() + " is " + job.getState() + "; only an ENABLED job can be paused.");
    }
    return rearm(job.toBuilder().setState(Job.State.PAUSED).build());
  }

  /** Ledger S11: PAUSED becomes ENABLED and is scheduled from now; an ENABLED job is answered as it is. */
  private Message resume(Routes.Request r) {
    Job job = require(jobName(r));
    return switch (job.getState()) {
      case ENABLED -> job;
      case PAUSED -> rearm(job.toBuilder().setState(Job.State.ENABLED).build());
      default -> throw ApiError.failedPrecondition("Job " + job.getName() + " is " + job.getState() + "; only a PAUSED job can be resumed.");
    };
  }

  /** Ledger S13: delivers now, whatever the state; the schedule and its next time are left as they are. */
  private Message forceRun(Routes.Request r) {
    Job job = require(jobName(r));
    Instant now = sim.now();
    Status status = attempt(job, now, true);
    return jobs.put(job.getName(), job.toBuilder().setLastAttemptTime(Simulation.timestamp(now)).setStatus(status).build());
  }

  // ---- firing ----

  /**
   * Stores the job and gives it one live timer: at its next cron time if ENABLED, none otherwise.
   * Every earlier timer of the job is void from here on, so a pause, patch or delete never meets
   * a stale firing.
   */
  private Job rearm(Job job) {
    Optional<Instant> next = job.getState() == Job.State.ENABLED ? next(job, sim.now()) : Optional.empty();
    armed.remove(job.getName());
    Job.Builder stored = job.toBuilder().clearScheduleTime();
    next.ifPresent(at -> {
      arm(job.getName(), at, 0);
      stored.setScheduleTime(Simulation.timestamp(at));
    });
    return jobs.put(job.getName(), stored.build());
  }

  private void arm(String name, Instant at, int retries) {
    long timer = ++timers;
    armed.put(name, timer);
    sim.enqueue(at, () -> fire(name, timer, at, retries));
  }

  /**
   * The job is due at {@code at}: one attempt, then the next timer. A failure is retried (ledger
   * S12) while retries are left and the retry comes before the next cron time; otherwise the next
   * cron time follows.
   */
  private void fire(String name, long timer, Instant at, int retries) {
    if (held || !Long.valueOf(timer).equals(armed.get(name))) {
      return;
    }
    armed.remove(name);
    Job job = jobs.get(name).orElse(null);
    if (job == null || job.getState() != Job.State.ENABLED) {
      return;
    }
    Status status = attempt(job, at, false);
    Job.Builder updated = job.toBuilder().setLastAttemptTime(Simulation.timestamp(at)).setStatus(status).clearScheduleTime();
    Optional<Instant> nextRun = next(job, at);
    Optional<Instant> retry = status.getCode() == Code.OK_VALUE || retries >= job.getRetryConfig().getRetryCount()
        ? Optional.empty()
        : Optional.of(at.plus(backoff(job.getRetryConfig(), retries))).filter(t -> nextRun.map(t::isBefore).orElse(true));
    if (retry.isPresent()) {
      arm(name, retry.get(), retries + 1);
      updated.setScheduleTime(Simulation.timestamp(retry.get()));
    } else if (nextRun.isPresent()) {
      arm(name, nextRun.get(), 0);
      updated.setScheduleTime(Simulation.timestamp(nextRun.get()));
    }
    jobs.put(name, updated.build());
  }

  /**
   * The wait before retry number {@code retries + 1}: min_backoff, doubled max_doublings times,
   * then growing by the last doubled value each time, never above max_backoff (the proto's worked
   * example: 10s, 20s, 40s, 80s, 160s, 240s, 300s, 300s for 10s, 300s and 3 doublings).
   */
  static Duration backoff(RetryConfig config, int retries) {
    long min = Durations.toMillis(config.getMinBackoffDuration());
    long max = Durations.toMillis(config.getMaxBackoffDuration());
    int doublings = Math.min(config.getMaxDoublings(), 40);
    double wait = retries <= doublings ? min * Math.pow(2, retries) : min * Math.pow(2, doublings) * (retries - doublings + 1);
    return Duration.ofMillis((long) Math.min(wait, max));
  }

  private Status attempt(Job job, Instant at, boolean forced) {
    Status status = deliver(job);
    attempts.computeIfAbsent(job.getName(), n -> new ArrayList<>()).add(new Attempt(at, status, forced));
    return status;
  }

  /** Ledger S14/S15: what the target answers, as a google.rpc.Status (code 0 when it accepted). */
  private Status deliver(Job job) {
    if (!job.hasHttpTarget()) {
      return status(Code.UNIMPLEMENTED, "The fake delivers HTTP targets only.");
    }
    HttpTarget target = job.getHttpTarget();
    Matcher runJob = RUN_V2.matcher(target.getUri());
    if (!runJob.matches()) {
      return status(Code.UNIMPLEMENTED, "The fake delivers only to Cloud Run Admin v2 jobs.run "
          + "(https://run.googleapis.com/v2/projects/P/locations/L/jobs/J:run), not to " + target.getUri() + ".");
    }
    if (target.getHttpMethod() != HttpMethod.POST) {
      return status(Code.NOT_FOUND, "jobs.run takes POST, not " + target.getHttpMethod() + ".");
    }
    if (!target.hasOauthToken()) {
      return status(Code.UNAUTHENTICATED, "Cloud Run Admin needs an OAuth access token; the job sends "
          + (target.hasOidcToken() ? "an OIDC token." : "no credentials."));
    }
    String email = target.getOauthToken().getServiceAccountEmail();
    if (!mayRun(email, runJob.group(1))) {
      return status(Code.PERMISSION_DENIED, "Permission 'run.jobs.run' denied to " + email + " on " + runJob.group(1) + ".");
    }
    try {
      RunJobRequest request = Json.parse(target.getBody().toStringUtf8(), RunJobRequest.newBuilder()).setName(runJob.group(1)).build();
      run.run(runJob.group(1), request, email);
      return Status.getDefaultInstance();
    } catch (ApiError error) {
      return error.toStatus();
    }
  }

  private static Status status(Code code, String message) {
    return Status.newBuilder().setCode(code.getNumber()).setMessage(message).build();
  }

  /** The first time the schedule matches strictly after {@code after}, in the job's time zone. */
  private Optional<Instant> next(Job job, Instant after) {
    // Parsing costs about a millisecond; a jump of the clock over a day of a minutely job would pay it 1,440 times.
    ExecutionTime times = executionTimes.computeIfAbsent(job.getSchedule(), schedule -> ExecutionTime.forCron(cron(schedule)));
    return times.nextExecution(after.atZone(zone(job.getTimeZone()))).map(ZonedDateTime::toInstant);
  }

  // ---- validation and defaults ----

  /** Ledger S4: unix-cron, five fields, evaluated by cron-utils' UNIX definition. */
  private static Cron cron(String schedule) {
    try {
      return CRON.parse(schedule).validate();
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("schedule: '" + schedule + "' is not a valid unix-cron schedule: " + e.getMessage());
    }
  }

  /** Ledger S5: a tz database name; "utc" in any case, or nothing, is UTC. */
  private static ZoneId zone(String timeZone) {
    if (timeZone.isEmpty() || timeZone.equalsIgnoreCase("utc")) {
      return ZoneOffset.UTC;
    }
    if (!ZoneId.getAvailableZoneIds().contains(timeZone)) {
      throw ApiError.invalid("time_zone: '" + timeZone + "' is not a time zone of the tz database.");
    }
    return ZoneId.of(timeZone);
  }

  private static void checkName(String name, String parent) {
    String prefix = parent + "/jobs/";
    if (!name.startsWith(prefix)) {
      throw ApiError.invalid("name: '" + name + "' is not a job of " + parent + ".");
    }
    if (!JOB_ID.matcher(name.substring(prefix.length())).matches()) {
      throw ApiError.invalid("name: the job ID '" + name.substring(prefix.length()) + "' must be 1 to 500 letters, digits,"
          + " hyphens or underscores.");
    }
  }

  private static Job.Builder userFields(Job body) {
    Job.Builder job = Job.newBuilder();
    FieldMaskUtil.merge(FieldMask.newBuilder().addAllPaths(USER_FIELDS).build(), body, job, REPLACE);
    return job;
  }

  /** The updateMask query as the REST clients send it (camelCase paths); snake_case is taken too. */
  private static FieldMask mask(String query) {
    if (query.isBlank()) {
      return FieldMask.newBuilder().addAllPaths(USER_FIELDS).build();
    }
    FieldMask.Builder mask = FieldMask.newBuilder();
    for (String path : FieldMaskUtil.fromJsonString(query).getPathsList()) {
      if (!FieldMaskUtil.isValid(Job.getDescriptor(), path)) {
        throw ApiError.invalid("update_mask: '" + path + "' is not a field of a job.");
      }
      if (!OUTPUT_FIELDS.contains(path.split("\\.")[0])) {
        mask.addPaths(path);
      }
    }
    return mask.build();
  }

  /** Ledger S6/S7: what GCP fills in when the caller leaves it out. */
  private static Job withDefaults(Job job) {
    Job.Builder filled = job.toBuilder();
    if (job.hasHttpTarget()) {
      HttpTarget.Builder http = filled.getHttpTargetBuilder().setUri(withRootPath(job.getHttpTarget().getUri()));
      if (http.getHttpMethod() == HttpMethod.HTTP_METHOD_UNSPECIFIED) {
        http.setHttpMethod(HttpMethod.POST);
      }
      if (http.hasOauthToken() && http.getOauthToken().getScope().isEmpty()) {
        http.getOauthTokenBuilder().setScope(CLOUD_PLATFORM);
      }
      if (http.hasOidcToken() && http.getOidcToken().getAudience().isEmpty()) {
        http.getOidcTokenBuilder().setAudience(http.getUri());
      }
      if (!job.hasAttemptDeadline()) {
        filled.setAttemptDeadline(HTTP_DEADLINE);
      }
    }
    if (job.hasAppEngineHttpTarget() && job.getAppEngineHttpTarget().getHttpMethod() == HttpMethod.HTTP_METHOD_UNSPECIFIED) {
      filled.getAppEngineHttpTargetBuilder().setHttpMethod(HttpMethod.POST);
    }
    RetryConfig.Builder retry = filled.getRetryConfigBuilder();
    if (!retry.hasMaxRetryDuration()) {
      retry.setMaxRetryDuration(Durations.ZERO);
    }
    if (!retry.hasMinBackoffDuration()) {
      retry.setMinBackoffDuration(MIN_BACKOFF);
    }
    if (!retry.hasMaxBackoffDuration()) {
      retry.setMaxBackoffDuration(MAX_BACKOFF);
    }
    if (retry.getMaxDoublings() == 0) {
      retry.setMaxDoublings(MAX_DOUBLINGS);
    }
    return filled.build();
  }

  /** Ledger S7: an address without a path comes back with "/" (the diff Terraform suppresses). */
  private static String withRootPath(String uri) {
    try {
      URI parsed = new URI(uri);
      return parsed.getHost() != null && parsed.getRawPath() != null && parsed.getRawPath().isEmpty()
          && parsed.getRawQuery() == null && parsed.getRawFragment() == null ? uri + "/" : uri;
    } catch (URISyntaxException e) {
      return uri;
    }
  }

  /** Ledger S4-S7: refuses what GCP refuses with 400 INVALID_ARGUMENT, naming the field. */
  private static Job checked(Job job) {
    // A patch need not send the schedule, but the job it leaves must have one.
    if (job.getSchedule().isEmpty()) {
      throw ApiError.invalid("schedule: a job needs a schedule.");
    }
    cron(job.getSchedule());
    zone(job.getTimeZone());
    if (job.getDescription().length() > MAX_DESCRIPTION) {
      throw ApiError.invalid("description: at most " + MAX_DESCRIPTION + " characters, got " + job.getDescription().length() + ".");
    }
    switch (job.getTargetCase()) {
      case HTTP_TARGET -> checkHttp(job.getHttpTarget(), job.getAttemptDeadline());
      case APP_ENGINE_HTTP_TARGET -> checkAppEngine(job.getAppEngineHttpTarget(), job);
      case PUBSUB_TARGET -> checkPubsub(job.getPubsubTarget(), job.getName());
      default -> throw ApiError.invalid("target: a job needs one of http_target, pubsub_target or app_engine_http_target.");
    }
    RetryConfig retry = job.getRetryConfig();
    if (retry.getRetryCount() < 0 || retry.getRetryCount() > MAX_RETRY_COUNT) {
      throw ApiError.invalid("retry_config.retry_count: must be between 0 and " + MAX_RETRY_COUNT + ", got " + retry.getRetryCount() + ".");
    }
    checkNotNegative("retry_config.max_retry_duration", retry.getMaxRetryDuration());
    checkNotNegative("retry_config.min_backoff_duration", retry.getMinBackoffDuration());
    checkNotNegative("retry_config.max_backoff_duration", retry.getMaxBackoffDuration());
    if (retry.getMaxDoublings() < 0) {
      throw ApiError.invalid("retry_config.max_doublings: must not be negative, got " + retry.getMaxDoublings() + ".");
    }
    return job;
  }

  private static void checkHttp(HttpTarget http, com.google.protobuf.Duration deadline) {
    String uri = http.getUri();
    if (!uri.startsWith("http://") && !uri.startsWith("https://")) {
      throw ApiError.invalid("http_target.uri: must begin with http:// or https://, got '" + uri + "'.");
    }
    if (uri.length() > MAX_URI) {
      throw ApiError.invalid("http_target.uri: at most " + MAX_URI + " characters, got " + uri.length() + ".");
    }
    Set<HttpMethod> withBody = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);
    if (!http.getBody().isEmpty() && !withBody.contains(http.getHttpMethod())) {
      throw ApiError.invalid("http_target.body: a body goes only with POST, PUT or PATCH, not " + http.getHttpMethod() + ".");
    }
    checkDeadline(deadline, MAX_HTTP_DEADLINE);
  }

  private static void checkAppEngine(AppEngineHttpTarget target, Job job) {
    if (target.getHttpMethod() == HttpMethod.PATCH || target.getHttpMethod() == HttpMethod.OPTIONS) {
      throw ApiError.invalid("app_engine_http_target.http_method: PATCH and OPTIONS are not permitted.");
    }
    if (!target.getBody().isEmpty() && target.getHttpMethod() != HttpMethod.POST && target.getHttpMethod() != HttpMethod.PUT) {
      throw ApiError.invalid("app_engine_http_target.body: a body goes only with POST or PUT, not " + target.getHttpMethod() + ".");
    }
    if (!target.getRelativeUri().isEmpty() && !target.getRelativeUri().startsWith("/")) {
      throw ApiError.invalid("app_engine_http_target.relative_uri: must begin with '/', got '" + target.getRelativeUri() + "'.");
    }
    // 0 means the service's own default deadline.
    if (job.hasAttemptDeadline() && !job.getAttemptDeadline().equals(Durations.ZERO)) {
      checkDeadline(job.getAttemptDeadline(), MAX_APP_ENGINE_DEADLINE);
    }
  }

  private static void checkPubsub(PubsubTarget target, String jobName) {
    Matcher topic = TOPIC.matcher(target.getTopicName());
    if (!topic.matches()) {
      throw ApiError.invalid("pubsub_target.topic_name: must be projects/PROJECT_ID/topics/TOPIC_ID, got '" + target.getTopicName() + "'.");
    }
    if (!topic.group(1).equals(jobName.split("/")[1])) {
      throw ApiError.invalid("pubsub_target.topic_name: the topic must be in the job's project.");
    }
    if (target.getData().isEmpty() && target.getAttributesCount() == 0) {
      throw ApiError.invalid("pubsub_target: a message needs data or at least one attribute.");
    }
  }

  private static void checkDeadline(com.google.protobuf.Duration deadline, com.google.protobuf.Duration max) {
    if (Durations.compare(deadline, MIN_DEADLINE) < 0 || Durations.compare(deadline, max) > 0) {
      throw ApiError.invalid("attempt_deadline: must be between " + Durations.toString(MIN_DEADLINE) + " and "
          + Durations.toString(max) + ", got " + Durations.toString(deadline) + ".");
    }
  }

  private static void checkNotNegative(String field, com.google.protobuf.Duration value) {
    if (Durations.isNegative(value)) {
      throw ApiError.invalid(field + ": must not be negative, got " + Durations.toString(value) + ".");
    }
  }

  // ---- helpers ----

  private void remove(String name) {
    jobs.remove(name);
    armed.remove(name);
    attempts.remove(name);
  }

  private Job require(String name) {
    return jobs.require(name, "Job " + name + " was not found.");
  }

  private static String parent(Routes.Request r) {
    return "projects/" + r.path("project") + "/locations/" + r.path("location");
  }

  private static String jobName(Routes.Request r) {
    return parent(r) + "/jobs/" + r.path("job");
  }
}
