package dev.cloudrun.egress.gcp.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.AbortedException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.run.v2.CancelExecutionRequest;
import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.CreateJobRequest;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.ExecutionReference;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.ExecutionsClient;
import com.google.cloud.run.v2.ExecutionsSettings;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.ListExecutionsRequest;
import com.google.cloud.run.v2.ListJobsRequest;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.TasksClient;
import com.google.cloud.run.v2.TasksSettings;
import com.google.cloud.run.v2.UpdateJobRequest;
import com.google.cloud.run.v2.VpcAccess;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.longrunning.Operation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cloud Run jobs, executions and tasks through the official clients over REST. */
class RunApiTest {
  private static final String PARENT = "projects/p/locations/europe-west2";
  private static final String JOB = PARENT + "/jobs/agent";

  private FakeGcp gcp;
  private JobsClient jobs;
  private ExecutionsClient executions;
  private TasksClient tasks;

  @BeforeEach
  void start() throws Exception {
    gcp = FakeGcp.start();
    jobs = JobsClient.create(gcp.configure(JobsSettings.newHttpJsonBuilder()).build());
    executions = ExecutionsClient.create(gcp.configure(ExecutionsSettings.newHttpJsonBuilder()).build());
    tasks = TasksClient.create(gcp.configure(TasksSettings.newHttpJsonBuilder()).build());
  }

  @AfterEach
  void stop() {
    jobs.close();
    executions.close();
    tasks.close();
    gcp.close();
  }

  @Test
  void aCreatedJobReconcilesForThreeSecondsThenIsReady() throws Exception {
    Operation operation = create("agent", job());

    assertThat(operation.getDone()).isFalse();
    Job deploying = jobs.getJob(JOB);
    assertThat(deploying.getReconciling()).isTrue();
    assertThat(deploying.getTerminalCondition().getState()).isEqualTo(Condition.State.CONDITION_RECONCILING);

    gcp.clock().advance(Duration.ofSeconds(3));

    Operation done = poll(operation);
    assertThat(done.getDone()).isTrue();
    assertThat(done.getResponse().getTypeUrl()).isEqualTo("type.googleapis.com/google.cloud.run.v2.Job");
    Job ready = jobs.getJob(JOB);
    assertThat(done.getResponse().unpack(Job.class)).isEqualTo(ready);
    assertThat(ready.getReconciling()).isFalse();
    assertThat(ready.getGeneration()).isEqualTo(1);
    assertThat(ready.getObservedGeneration()).isEqualTo(1);
    assertThat(ready.getTerminalCondition().getType()).isEqualTo("Ready");
    assertThat(ready.getTerminalCondition().getState()).isEqualTo(Condition.State.CONDITION_SUCCEEDED);
  }

  @Test
  void createAppliesTheApiDefaults() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);

    Job job = jobs.createJobAsync(PARENT, job(), "agent").get();

    assertThat(job.getTemplate().getTaskCount()).isEqualTo(1);
    assertThat(job.getTemplate().getTemplate().getMaxRetries()).isEqualTo(3);
    assertThat(job.getTemplate().getTemplate().getTimeout().getSeconds()).isEqualTo(600);
    assertThat(job.getLaunchStage()).isEqualTo(com.google.api.LaunchStage.GA);
    assertThat(job.getUid()).isNotEmpty();
    assertThat(job.getEtag()).isNotEmpty();
    assertThat(job.getTemplate().getTemplate().getVpcAccess().getEgress()).isEqualTo(VpcAccess.VpcEgress.ALL_TRAFFIC);
  }

  /** Ledger 6: a task timeout is at most 168 h; over 24 h it needs a launch stage that admits Preview features. */
  @Test
  void taskTimeoutsOverADayNeedBetaAndNoneExceedsAWeek() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    Job day = withTimeout(24 * 3600);
    Job moreThanADay = withTimeout(24 * 3600 + 1);

    assertThat(jobs.createJobAsync(PARENT, day, "a-day").get().getLaunchStage()).isEqualTo(com.google.api.LaunchStage.GA);
    // 400 FAILED_PRECONDITION: the Java REST client reads any 400 as INVALID_ARGUMENT.
    assertThatThrownBy(() -> jobs.createJobAsync(PARENT, moreThanADay, "more").get()).cause().isInstanceOf(InvalidArgumentException.class);
    assertThat(gcp.calls().count("run", "jobs.create", 400)).isEqualTo(1);
    assertThat(jobs.createJobAsync(PARENT, moreThanADay.toBuilder().setLaunchStage(com.google.api.LaunchStage.BETA).build(), "beta").get()
        .getLaunchStage()).isEqualTo(com.google.api.LaunchStage.BETA);
    assertThatThrownBy(() -> jobs.createJobAsync(PARENT, withTimeout(168 * 3600 + 1).toBuilder().setLaunchStage(com.google.api.LaunchStage.BETA)
        .build(), "week").get()).cause().isInstanceOf(InvalidArgumentException.class);
    assertThat(gcp.calls().count("run", "jobs.create", 400)).isEqualTo(2);
  }

  /** Ledger J6: the stage answered is the stage of the features in use, not the one sent. */
  @Test
  void launchStageOnOutputIsTheStageOfTheFeaturesInUse() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    Job betaWithoutPreviewFeatures = withTimeout(3600).toBuilder().setLaunchStage(com.google.api.LaunchStage.BETA).build();
    assertThat(jobs.createJobAsync(PARENT, betaWithoutPreviewFeatures, "plain").get().getLaunchStage()).isEqualTo(com.google.api.LaunchStage.GA);
    Job alphaWithABetaFeature = withTimeout(30 * 3600).toBuilder().setLaunchStage(com.google.api.LaunchStage.ALPHA).build();
    assertThat(jobs.createJobAsync(PARENT, alphaWithABetaFeature, "long").get().getLaunchStage()).isEqualTo(com.google.api.LaunchStage.BETA);
  }

  private static Job withTimeout(long seconds) {
    Job job = job();
    return job.toBuilder().setTemplate(job.getTemplate().toBuilder().setTemplate(job.getTemplate().getTemplate().toBuilder()
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(seconds)))).build();
  }

  /** Ledger 8g, 8i, J4: the CPU and memory pairs, task counts and system annotations Cloud Run refuses, and what it takes. */
  @Test
  void unsupportedResourcesTaskCountsAndSystemAnnotationsAreRefused() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    int id = 0;
    for (String[] refused : new String[][] {{"3", "2Gi"}, {"500m", "512Mi"}, {"1", "256Mi"}, {"8", "33Gi"}, {"4", "1Gi"}, {"6", "2Gi"},
        {"1", "5Gi"}, {"2", "9Gi"}, {"4", "17Gi"}, {"6", "25Gi"}, {"one", "1Gi"}}) {
      String name = "refused-" + id++;
      assertThatThrownBy(() -> jobs.createJobAsync(PARENT, withLimits(refused[0], refused[1]), name).get())
          .as(refused[0] + " CPU, " + refused[1]).cause().isInstanceOf(InvalidArgumentException.class);
    }
    for (String[] taken : new String[][] {{"1", "512Mi"}, {"1000m", "4Gi"}, {"2", "8Gi"}, {"4", "2Gi"}, {"8", "32Gi"}, {"6", "24Gi"}}) {
      assertThat(jobs.createJobAsync(PARENT, withLimits(taken[0], taken[1]), "taken-" + id++).get().getName()).isNotEmpty();
    }
    Job job = job();
    assertThatThrownBy(() -> jobs.createJobAsync(PARENT, job.toBuilder().setTemplate(job.getTemplate().toBuilder().setTaskCount(10_001)).build(),
        "too-many").get()).cause().isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> jobs.createJobAsync(PARENT, job.toBuilder().setTemplate(job.getTemplate().toBuilder().setTaskCount(2).setParallelism(3)).build(),
        "too-parallel").get()).cause().isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> jobs.createJobAsync(PARENT, job.toBuilder().putAnnotations("run.googleapis.com/launch-stage", "BETA").build(),
        "system-annotation").get()).cause().isInstanceOf(InvalidArgumentException.class);
    assertThat(jobs.createJobAsync(PARENT, job.toBuilder().putAnnotations("egress.cloudrun.dev/owner", "ns/name").build(), "own-annotation").get()
        .getAnnotationsMap()).containsKey("egress.cloudrun.dev/owner");
  }

  private static Job withLimits(String cpu, String memory) {
    Job job = job();
    TaskTemplate task = job.getTemplate().getTemplate();
    return job.toBuilder().setTemplate(job.getTemplate().toBuilder().setTemplate(task.toBuilder().setContainers(0, task.getContainers(0).toBuilder()
        .setResources(com.google.cloud.run.v2.ResourceRequirements.newBuilder().putLimits("cpu", cpu).putLimits("memory", memory))))).build();
  }

  /** Ledger J1: a VPC access without an egress setting gets PRIVATE_RANGES_ONLY. */
  @Test
  void vpcAccessWithoutEgressGetsPrivateRangesOnly() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);

    Job job = jobs.createJobAsync(PARENT, withVpcAccess(VpcAccess.newBuilder().setConnector(PARENT + "/connectors/conn").build()), "agent").get();

    assertThat(job.getTemplate().getTemplate().getVpcAccess().getEgress()).isEqualTo(VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY);
  }

  /** Ledger J2: a connector of the job's own project and region comes back by its short name, on create and update. */
  @Test
  void aConnectorPathInTheJobsProjectAndRegionIsAnsweredByItsShortName() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);

    Job created = jobs.createJobAsync(PARENT, withVpcAccess(VpcAccess.newBuilder()
        .setConnector(PARENT + "/connectors/conn").setEgress(VpcAccess.VpcEgress.ALL_TRAFFIC).build()), "agent").get();
    Job updated = jobs.updateJobAsync(withVpcAccess(VpcAccess.newBuilder().setConnector(PARENT + "/connectors/other")
        .setEgress(VpcAccess.VpcEgress.ALL_TRAFFIC).build()).toBuilder().setName(JOB).build()).get();
    // Another project's (or region's) connector: what Cloud Run answers is unsourced, so the fake keeps it as sent.
    String elsewhere = "projects/host/locations/europe-west2/connectors/shared";
    Job remote = jobs.createJobAsync(PARENT, withVpcAccess(VpcAccess.newBuilder().setConnector(elsewhere)
        .setEgress(VpcAccess.VpcEgress.ALL_TRAFFIC).build()), "remote").get();

    assertThat(created.getTemplate().getTemplate().getVpcAccess().getConnector()).isEqualTo("conn");
    assertThat(updated.getTemplate().getTemplate().getVpcAccess().getConnector()).isEqualTo("other");
    assertThat(jobs.getJob(JOB).getTemplate().getTemplate().getVpcAccess().getConnector()).isEqualTo("other");
    assertThat(remote.getTemplate().getTemplate().getVpcAccess().getConnector()).isEqualTo(elsewhere);
  }

  @Test
  void missingAndDuplicateJobs() {
    create("agent", job());

    assertThatThrownBy(() -> jobs.getJob(PARENT + "/jobs/nope")).isInstanceOf(NotFoundException.class)
        .cause().hasMessageContaining("Resource 'nope' of kind 'JOB' in region 'europe-west2' in project 'p' does not exist.");
    assertThatThrownBy(() -> create("agent", job())).isInstanceOf(AbortedException.class)
        .cause().hasMessageContaining("ALREADY_EXISTS");
    assertThatThrownBy(() -> create("Agent_1", job())).isInstanceOf(InvalidArgumentException.class)
        .cause().hasMessageContaining("Invalid job ID");
  }

  @Test
  void vpcAccessTakesExactlyOneOfConnectorAndNetworkInterfaces() {
    VpcAccess both = VpcAccess.newBuilder().setConnector("conn")
        .addNetworkInterfaces(VpcAccess.NetworkInterface.newBuilder().setNetwork("vpc").setSubnetwork("apps")).build();
    VpcAccess egressOnly = VpcAccess.newBuilder().setEgress(VpcAccess.VpcEgress.ALL_TRAFFIC).build();
    VpcAccess direct = VpcAccess.newBuilder()
        .addNetworkInterfaces(VpcAccess.NetworkInterface.newBuilder().setNetwork("vpc").setSubnetwork("apps")).build();

    for (VpcAccess invalid : List.of(both, egressOnly)) {
      assertThatThrownBy(() -> create("agent", withVpcAccess(invalid))).isInstanceOf(InvalidArgumentException.class)
          .cause().hasMessageContaining("vpc_access.connector: one and only one of connector and network_interfaces must be set");
    }
    assertThat(create("agent", withVpcAccess(direct)).getDone()).isFalse();
  }

  @Test
  void labelsInReservedNamespacesAreRejected() {
    assertThatThrownBy(() -> create("a", job().toBuilder().putLabels("run.googleapis.com/owner", "me").build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("run.googleapis.com/owner");
    assertThatThrownBy(() -> create("b", job().toBuilder().setTemplate(job().getTemplate().toBuilder()
            .putLabels("serving.knative.dev/service", "x")).build()))
        .isInstanceOf(InvalidArgumentException.class);
    assertThat(create("c", job().toBuilder().putLabels("refresh", "image").putLabels("example.com/team", "x").build()).getDone()).isFalse();
  }

  @Test
  void everyContainerNeedsAnImage() {
    assertThatThrownBy(() -> create("agent", Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder()
            .setTemplate(TaskTemplate.newBuilder().addContainers(Container.newBuilder().setName("main")))).build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("containers[0].image");
    assertThatThrownBy(() -> create("agent", Job.getDefaultInstance())).isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void updateReplacesTheWholeSpecAndBumpsTheGeneration() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    Job created = jobs.createJobAsync(PARENT, job().toBuilder().putLabels("refresh", "image").build(), "agent").get();

    Job updated = jobs.updateJobAsync(job().toBuilder().setName(JOB).setTemplate(job().getTemplate().toBuilder().setTaskCount(4)).build()).get();

    assertThat(updated.getGeneration()).isEqualTo(2);
    assertThat(updated.getObservedGeneration()).isEqualTo(2);
    assertThat(updated.getLabelsMap()).isEmpty();
    assertThat(updated.getTemplate().getTaskCount()).isEqualTo(4);
    assertThat(updated.getUid()).isEqualTo(created.getUid());
    assertThat(updated.getCreateTime()).isEqualTo(created.getCreateTime());
    assertThat(updated.getEtag()).isNotEqualTo(created.getEtag());
  }

  @Test
  void updateOfAMissingJobNeedsAllowMissingAndAStaleEtagIsAborted() throws Exception {
    gcp.latencies().setAll(Duration.ZERO);
    Job spec = job().toBuilder().setName(JOB).build();

    assertThatThrownBy(() -> jobs.updateJobAsync(spec).get()).cause().isInstanceOf(NotFoundException.class);
    Job upserted = jobs.updateJobAsync(UpdateJobRequest.newBuilder().setJob(spec).setAllowMissing(true).build()).get();
    assertThat(upserted.getGeneration()).isEqualTo(1);

    assertThatThrownBy(() -> jobs.updateJobAsync(spec.toBuilder().setEtag("stale").build()).get())
        .cause().isInstanceOf(AbortedException.class);
    assertThat(jobs.updateJobAsync(spec.toBuilder().setEtag(upserted.getEtag()).build()).get().getGeneration()).isEqualTo(2);
  }

  @Test
  void validateOnlyChecksWithoutCreating() {
    Operation operation = jobs.createJobCallable().call(CreateJobRequest.newBuilder().setParent(PARENT).setJobId("agent")
        .setJob(job()).setValidateOnly(true).build());

    assertThat(operation.getDone()).isTrue();
    assertThatThrownBy(() -> jobs.getJob(JOB)).isInstanceOf(NotFoundException.class);
  }

  @Test
  void listPagesThroughJobs() {
    for (String id : List.of("a", "b", "c")) {
      create(id, job());
    }

    var page = jobs.listJobsCallable().call(ListJobsRequest.newBuilder().setParent(PARENT).setPageSize(2).build());
    assertThat(page.getJobsList()).extracting(Job::getName).containsExactly(PARENT + "/jobs/a", PARENT + "/jobs/b");
    assertThat(StreamSupport.stream(jobs.listJobs(ListJobsRequest.newBuilder().setParent(PARENT).setPageSize(2).build())
        .iterateAll().spliterator(), false)).hasSize(3);
  }

  @Test
  void deleteRemovesTheJobAtOnceAndItsOperationCompletesLater() {
    gcp.latencies().set(Latencies.Kind.JOB_MUTATION, Duration.ZERO);
    create("agent", job());
    gcp.latencies().set(Latencies.Kind.JOB_MUTATION, Duration.ofSeconds(3));

    Operation operation = jobs.deleteJobCallable().call(com.google.cloud.run.v2.DeleteJobRequest.newBuilder().setName(JOB).build());

    assertThat(operation.getDone()).isFalse();
    assertThatThrownBy(() -> jobs.getJob(JOB)).isInstanceOf(NotFoundException.class);
    gcp.clock().advance(Duration.ofSeconds(3));
    assertThat(poll(operation).getDone()).isTrue();
  }

  @Test
  void aJobThatIsNotReadyCannotRun() {
    create("agent", job());

    assertThatThrownBy(() -> jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(JOB).build()))
        .isInstanceOf(InvalidArgumentException.class).cause().hasMessageContaining("FAILED_PRECONDITION");
  }

  @Test
  void anExecutionRunsItsTasksForThirtySecondsAndSucceeds() throws Exception {
    readyJob(job().toBuilder().setTemplate(job().getTemplate().toBuilder().setTaskCount(3)).build());

    Operation run = jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(JOB).build());
    Execution running = run.getMetadata().unpack(Execution.class);
    assertThat(running.getName()).startsWith(JOB + "/executions/agent-");
    assertThat(running.getRunningCount()).isEqualTo(3);
    assertThat(tasks.listTasks(running.getName()).iterateAll()).extracting(Task::getIndex).containsExactly(0, 1, 2);
    assertThat(jobs.getJob(JOB).getLatestCreatedExecution().getCompletionStatus())
        .isEqualTo(ExecutionReference.CompletionStatus.EXECUTION_RUNNING);

    gcp.clock().advance(Duration.ofSeconds(30));

    Execution done = executions.getExecution(running.getName());
    assertThat(done.getSucceededCount()).isEqualTo(3);
    assertThat(done.getRunningCount()).isZero();
    assertThat(done.hasCompletionTime()).isTrue();
    assertThat(done.getConditions(0).getType()).isEqualTo("Completed");
    assertThat(done.getConditions(0).getState()).isEqualTo(Condition.State.CONDITION_SUCCEEDED);
    Operation finished = poll(run);
    assertThat(finished.getDone()).isTrue();
    assertThat(finished.getResponse().unpack(Execution.class)).isEqualTo(done);
    Job job = jobs.getJob(JOB);
    assertThat(job.getExecutionCount()).isEqualTo(1);
    assertThat(job.getLatestCreatedExecution().getCompletionStatus()).isEqualTo(ExecutionReference.CompletionStatus.EXECUTION_SUCCEEDED);
  }

  @Test
  void aTaskBehaviourChoosesExitCodesAndFailuresAreRetried() throws Exception {
    gcp.run().taskBehaviour((job, execution, task, state) -> task.getIndex() == 1 ? 2 : 0);
    Job spec = job().toBuilder().setTemplate(job().getTemplate().toBuilder().setTaskCount(3)
        .setTemplate(job().getTemplate().getTemplate().toBuilder().setMaxRetries(1))).build();
    readyJob(spec);
    String execution = jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(JOB).build())
        .getMetadata().unpack(Execution.class).getName();

    gcp.clock().advance(Duration.ofSeconds(30));
    Execution retrying = executions.getExecution(execution);
    assertThat(retrying.getSucceededCount()).isEqualTo(2);
    assertThat(retrying.getRunningCount()).isEqualTo(1);
    assertThat(retrying.getRetriedCount()).isEqualTo(1);

    gcp.clock().advance(Duration.ofSeconds(30));
    Execution failed = executions.getExecution(execution);
    assertThat(failed.getFailedCount()).isEqualTo(1);
    assertThat(failed.getConditions(0).getState()).isEqualTo(Condition.State.CONDITION_FAILED);
    assertThat(failed.getConditions(0).getExecutionReason()).isEqualTo(Condition.ExecutionReason.NON_ZERO_EXIT_CODE);
    assertThat(failed.getConditions(0).getMessage()).contains("2/3 tasks were a success");
    Task task = tasks.getTask(execution + "/tasks/" + execution.substring(execution.lastIndexOf('/') + 1) + "-task1");
    assertThat(task.getLastAttemptResult().getExitCode()).isEqualTo(2);
    assertThat(task.getRetried()).isEqualTo(1);
    assertThat(jobs.getJob(JOB).getLatestCreatedExecution().getCompletionStatus()).isEqualTo(ExecutionReference.CompletionStatus.EXECUTION_FAILED);
  }

  @Test
  void aTaskBehaviourCanReadTheFakesStateForExampleTheConnector() throws Exception {
    gcp.run().taskBehaviour((job, execution, task, state) -> state
        .connector(PARENT + "/connectors/" + job.getTemplate().getTemplate().getVpcAccess().getConnector())
        .filter(c -> c.getState() == Connector.State.READY).isPresent() ? 0 : 1);
    readyJob(job().toBuilder().setTemplate(job().getTemplate().toBuilder()
        .setTemplate(job().getTemplate().getTemplate().toBuilder().setMaxRetries(0))).build());

    String execution = jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(JOB).build())
        .getMetadata().unpack(Execution.class).getName();
    gcp.clock().advance(Duration.ofSeconds(30));

    assertThat(executions.getExecution(execution).getFailedCount()).isEqualTo(1);
  }

  @Test
  void overridesChangeTaskCountArgsAndEnvOfOneExecution() throws Exception {
    readyJob(job());

    Execution execution = jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(JOB).setOverrides(RunJobRequest.Overrides
        .newBuilder().setTaskCount(2).addContainerOverrides(RunJobRequest.Overrides.ContainerOverride.newBuilder()
            .addArgs("--dry-run").addEnv(com.google.cloud.run.v2.EnvVar.newBuilder().setName("version").setValue("18")))).build())
        .getMetadata().unpack(Execution.class);

    assertThat(execution.getTaskCount()).isEqualTo(2);
    Container container = execution.getTemplate().getContainers(0);
    assertThat(container.getArgsList()).containsExactly("--dry-run");
    assertThat(container.getEnvList()).extracting(e -> e.getName() + "=" + e.getValue()).containsExactly("env=pdev", "version=18");
    assertThat(jobs.getJob(JOB).getTemplate().getTaskCount()).isEqualTo(1);
  }

  @Test
  void executionsAreListedNewestFirstPageByPage() throws Exception {
    readyJob(job());
    List<String> started = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      started.add(0, jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(JOB).build()).getMetadata().unpack(Execution.class).getName());
      gcp.clock().advance(Duration.ofSeconds(1));
    }
    var firstPage = executions.listExecutions(ListExecutionsRequest.newBuilder().setParent(JOB).setPageSize(2).build()).getPage();
    assertThat(firstPage.getValues()).extracting(Execution::getName).containsExactlyElementsOf(started.subList(0, 2));
    assertThat(executions.listExecutions(ListExecutionsRequest.newBuilder().setParent(JOB).setPageSize(2).build()).iterateAll())
        .extracting(Execution::getName).containsExactlyElementsOf(started);
  }

  @Test
  void cancellingStopsTheRunningTasks() throws Exception {
    readyJob(job().toBuilder().setTemplate(job().getTemplate().toBuilder().setTaskCount(2)).build());
    String execution = jobs.runJobCallable().call(RunJobRequest.newBuilder().setName(JOB).build())
        .getMetadata().unpack(Execution.class).getName();

    Execution cancelled = executions.cancelExecutionAsync(CancelExecutionRequest.newBuilder().setName(execution).build()).get();
    gcp.clock().advance(Duration.ofSeconds(30));

    assertThat(cancelled.getCancelledCount()).isEqualTo(2);
    assertThat(cancelled.getConditions(0).getExecutionReason()).isEqualTo(Condition.ExecutionReason.CANCELLED);
    Execution later = executions.getExecution(execution);
    assertThat(later.getSucceededCount()).isZero();
    assertThat(later.getCancelledCount()).isEqualTo(2);
    assertThat(jobs.getJob(JOB).getLatestCreatedExecution().getCompletionStatus()).isEqualTo(ExecutionReference.CompletionStatus.EXECUTION_CANCELLED);
    assertThat(executions.listExecutions(JOB).iterateAll()).extracting(Execution::getName).containsExactly(execution);
  }

  @Test
  void anInjectedFailureFailsTheOperationAndTheReadyCondition() throws Exception {
    gcp.faults().failNextOperation("run", "jobs.create", 400, "Revision template is invalid");
    Operation operation = create("agent", job());
    gcp.clock().advance(Duration.ofSeconds(3));

    Operation done = poll(operation);
    assertThat(done.getError().getCode()).isEqualTo(com.google.rpc.Code.INVALID_ARGUMENT_VALUE);
    Job job = jobs.getJob(JOB);
    assertThat(job.getTerminalCondition().getState()).isEqualTo(Condition.State.CONDITION_FAILED);
    assertThat(job.getTerminalCondition().getMessage()).isEqualTo("Revision template is invalid");
  }

  @Test
  void outOfBandEditsAndDeletesAreSeenByTheApi() {
    gcp.latencies().setAll(Duration.ZERO);
    create("agent", job());

    gcp.run().editJob(JOB, j -> j.toBuilder().putLabels("edited-by", "console").build());
    assertThat(jobs.getJob(JOB).getLabelsMap()).containsEntry("edited-by", "console");

    gcp.run().deleteJob(JOB);
    assertThatThrownBy(() -> jobs.getJob(JOB)).isInstanceOf(NotFoundException.class);
    assertThat(gcp.job(JOB)).isEmpty();
  }

  private void readyJob(Job job) throws Exception {
    gcp.latencies().set(Latencies.Kind.JOB_MUTATION, Duration.ZERO);
    jobs.createJobAsync(PARENT, job, "agent").get();
  }

  private Operation create(String id, Job job) {
    return jobs.createJobCallable().call(CreateJobRequest.newBuilder().setParent(PARENT).setJobId(id).setJob(job).build());
  }

  private Operation poll(Operation operation) {
    return jobs.getHttpJsonOperationsClient().getOperation(operation.getName());
  }

  private static Job withVpcAccess(VpcAccess vpcAccess) {
    return job().toBuilder().setTemplate(job().getTemplate().toBuilder()
        .setTemplate(job().getTemplate().getTemplate().toBuilder().setVpcAccess(vpcAccess))).build();
  }

  /** The job of the users' gcloud command, reduced to what the fake looks at. */
  private static Job job() {
    return Job.newBuilder().setTemplate(ExecutionTemplate.newBuilder().setTemplate(TaskTemplate.newBuilder()
        .addContainers(Container.newBuilder().setImage("europe-west2-docker.pkg.dev/p/containers/agent:latest")
            .addEnv(com.google.cloud.run.v2.EnvVar.newBuilder().setName("env").setValue("pdev")))
        .setVpcAccess(VpcAccess.newBuilder().setConnector("conn").setEgress(VpcAccess.VpcEgress.ALL_TRAFFIC))
        .setServiceAccount("mgmt@p.iam.gserviceaccount.com"))).build();
  }
}
