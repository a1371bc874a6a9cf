package dev.cloudrun.egress.reconciler;

import com.google.api.LaunchStage;
import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.CreateJobRequest;
import com.google.cloud.run.v2.DeleteJobRequest;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.EnvVarSource;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ResourceRequirements;
import com.google.cloud.run.v2.SecretKeySelector;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.UpdateJobRequest;
import com.google.cloud.run.v2.VpcAccess;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.JobStatus;
import dev.cloudrun.egress.api.v1alpha1.DirectVpcSpec;
import dev.cloudrun.egress.api.v1alpha1.Durations;
import dev.cloudrun.egress.api.v1alpha1.EgressSpec;
import dev.cloudrun.egress.api.v1alpha1.JobSpec;
import dev.cloudrun.egress.gcp.Operations;
import dev.cloudrun.egress.gcp.ResourceNames;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The Cloud Run Job (v2), created once its connector is READY, with vpcAccess from spec.egress. */
final class CloudRunJobPart {
  static final String PART = "job";
  /** Task timeouts above this were a Preview feature of Cloud Run jobs (ledger 6). */
  static final long PREVIEW_TIMEOUT_SECONDS = 24 * 3600;
  private CloudRunJobPart() {}

  static Job desired(Pass pass) {
    JobSpec spec = pass.cr.getSpec().getJob();
    Container.Builder container = Container.newBuilder()
        .setImage(spec.getImage())
        .setResources(ResourceRequirements.newBuilder()
            .putLimits("cpu", spec.getCpu() != null ? spec.getCpu() : "1")
            .putLimits("memory", spec.getMemory() != null ? spec.getMemory() : "512Mi"));
    if (spec.getCommand() != null) {
      container.addAllCommand(spec.getCommand());
    }
    if (spec.getArgs() != null) {
      container.addAllArgs(spec.getArgs());
    }
    container.addAllEnv(environment(spec, name -> true));
    TaskTemplate.Builder task = networkAndIdentity(pass)
        .addContainers(container)
        .setMaxRetries(spec.getMaxRetries() != null ? spec.getMaxRetries() : 3)
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(seconds(spec.getTaskTimeout() != null ? spec.getTaskTimeout() : "10m")));
    ExecutionTemplate.Builder execution = ExecutionTemplate.newBuilder()
        .setTaskCount(spec.getTaskCount() != null ? spec.getTaskCount() : 1)
        .setTemplate(task);
    if (spec.getParallelism() != null) {
      execution.setParallelism(spec.getParallelism());
    }
    Job.Builder job = owned(pass, pass.targets.jobPath()).setTemplate(execution);
    if (task.getTimeout().getSeconds() > PREVIEW_TIMEOUT_SECONDS) {
      // Task timeouts over 24 h were Preview (ledger 6): BETA admits them either way. Sent on create and
      // with every update, never compared: GCP answers the stage of the features in use, which may read GA.
      job.setLaunchStage(LaunchStage.BETA);
    }
    if (spec.getLabels() != null) {
      job.putAllLabels(spec.getLabels());
    }
    return job.build();
  }

  /** The job's plain and secret variables whose names pass {@code include}, in the spec's order. */
  static List<EnvVar> environment(JobSpec spec, java.util.function.Predicate<String> include) {
    List<EnvVar> env = new ArrayList<>();
    if (spec.getEnv() != null) {
      spec.getEnv().stream().filter(e -> include.test(e.getName()))
          .forEach(e -> env.add(EnvVar.newBuilder().setName(e.getName()).setValue(e.getValue() != null ? e.getValue() : "").build()));
    }
    if (spec.getSecretEnv() != null) {
      spec.getSecretEnv().stream().filter(s -> include.test(s.getName())).forEach(s -> env.add(EnvVar.newBuilder().setName(s.getName())
          .setValueSource(EnvVarSource.newBuilder().setSecretKeyRef(SecretKeySelector.newBuilder()
              .setSecret(s.getSecret()).setVersion(s.getVersion() != null ? s.getVersion() : "latest"))).build()));
    }
    return env;
  }

  /** What every job of the resource shares with the real one: its VPC egress, service account and encryption key. */
  static TaskTemplate.Builder networkAndIdentity(Pass pass) {
    JobSpec spec = pass.cr.getSpec().getJob();
    TaskTemplate.Builder task = TaskTemplate.newBuilder().setVpcAccess(vpcAccess(pass));
    if (spec.getServiceAccount() != null) {
      task.setServiceAccount(spec.getServiceAccount());
    }
    if (spec.getEncryptionKey() != null) {
      task.setEncryptionKey(spec.getEncryptionKey());
    }
    return task;
  }

  /** A job named {@code name} carrying the resource's ownership labels and annotation. */
  static Job.Builder owned(Pass pass, String name) {
    return Job.newBuilder()
        .setName(name)
        .putAllLabels(Ownership.labels(pass.cr))
        .putAnnotations(Ownership.OWNER_ANNOTATION, Ownership.owner(pass.cr));
  }

  private static VpcAccess vpcAccess(Pass pass) {
    EgressSpec egress = pass.cr.getSpec().getEgress();
    VpcAccess.Builder vpc = VpcAccess.newBuilder().setEgress(egress.getVpcEgress() == EgressSpec.VpcEgress.AllTraffic
        ? VpcAccess.VpcEgress.ALL_TRAFFIC : VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY);
    if (egress.getConnector() != null) {
      return vpc.setConnector(pass.targets.connectorPath()).build();
    }
    DirectVpcSpec direct = egress.getDirectVpc();
    VpcAccess.NetworkInterface.Builder nic = VpcAccess.NetworkInterface.newBuilder()
        .setNetwork(pass.targets.networkPath())
        .setSubnetwork(pass.targets.subnetworkPath(direct.getSubnet()));
    if (direct.getNetworkTags() != null) {
      nic.addAllTags(direct.getNetworkTags());
    }
    return vpc.addNetworkInterfaces(nic).build();
  }

  static PartResult reconcile(Pass pass, PartResult connector) {
    String name = pass.targets.jobPath();
    Optional<PartResult> settling = KIND.settle(pass, name);
    Job observed = KIND.observe(pass, name);
    report(pass, observed);
    if (settling.isPresent()) {
      return settling.get();
    }
    if (!connector.isReady()) {
      return PartResult.progressing("WaitingForConnector", "The job is created once its connector is READY: " + connector.message());
    }
    return KIND.converge(pass, name, desired(pass), observed);
  }

  static final JobKind KIND = new JobKind(Ledger.Kind.JOB, PART);

  /**
   * Cloud Run jobs, by their path projects/P/locations/R/jobs/NAME: the user's job, and (as a kind
   * of its own in the ledger, with its own part) the egress probe's.
   */
  static final class JobKind extends ObjectKind<Job> {
    JobKind(Ledger.Kind kind, String part) {
      super(kind, part, Operations.Api.RUN, "Cloud Run job", true);
    }

    @Override
    Job observe(Pass pass, String name) {
      return pass.inventory.jobs(ResourceNames.project(name), ResourceNames.region(name)).get(name);
    }

    @Override
    void reread(Pass pass, String name) {
      Pass.reread(pass.inventory.jobs(ResourceNames.project(name), ResourceNames.region(name)), name, () -> pass.services.gcp().jobs.getJob(name));
    }

    @Override
    String marker(Job observed) {
      return Ownership.markerOf(observed.getLabelsMap());
    }

    @Override
    String startCreate(Pass pass, String name, Job desired) {
      return pass.services.gcp().jobs.createJobCallable().call(CreateJobRequest.newBuilder()
          .setParent(ResourceNames.parent(name))
          .setJobId(ResourceNames.id(name))
          .setJob(desired.toBuilder().clearName())
          .build()).getName();
    }

    /** The observed job with the operator's labels, annotations and template: what others set on it stays. */
    @Override
    String startUpdate(Pass pass, String name, Job desired, Job observed, List<String> fields) {
      Job.Builder update = observed.toBuilder()
          .putAllLabels(desired.getLabelsMap())
          .putAllAnnotations(desired.getAnnotationsMap())
          .setTemplate(desired.getTemplate());
      if (desired.getLaunchStage() != LaunchStage.LAUNCH_STAGE_UNSPECIFIED) {
        update.setLaunchStage(desired.getLaunchStage());
      }
      return pass.services.gcp().jobs.updateJobCallable().call(UpdateJobRequest.newBuilder().setJob(update.build()).build()).getName();
    }

    @Override
    String startDelete(Pass pass, String name) {
      return pass.services.gcp().jobs.deleteJobCallable().call(DeleteJobRequest.newBuilder().setName(name).build()).getName();
    }

    @Override
    List<String> differences(Job desired, Job observed) {
      return CloudRunJobPart.differences(desired, observed);
    }

    /** Ready once Cloud Run reports the job ready. */
    @Override
    PartResult state(String name, Job observed) {
      Condition terminal = observed.getTerminalCondition();
      if (observed.getReconciling()) {
        return PartResult.progressing("Updating", "Cloud Run job " + name + " is reconciling.");
      }
      if (terminal.getState() == Condition.State.CONDITION_FAILED) {
        return PartResult.blocked("JobFailed", "Cloud Run job " + name + " is not ready: " + terminal.getMessage()
            + ". Fix what Cloud Run reports (often the image, the service account or the KMS key in spec.job); the operator updates the job when the spec changes.");
      }
      return PartResult.ready("Ready", "Cloud Run job " + name + " is ready with " + vpcSummary(observed) + ".");
    }

    @Override
    String notOwnedFix() {
      return "Delete or rename it, set spec.job.name to another name, or spec.adoptExisting: true to manage it.";
    }
  }

  private static void report(Pass pass, Job observed) {
    if (observed == null) {
      pass.status.setJob(null);
      return;
    }
    JobStatus status = new JobStatus();
    status.setName(observed.getName());
    status.setGeneration(observed.getGeneration());
    pass.status.setJob(status);
  }

  /** Compares only what the operator sets: labels and annotations it writes, and the template fields from the spec. */
  private static List<String> differences(Job desired, Job observed) {
    List<String> fields = new ArrayList<>();
    desired.getLabelsMap().forEach((k, v) -> {
      if (!v.equals(observed.getLabelsMap().get(k))) {
        fields.add("labels." + k);
      }
    });
    ExecutionTemplate d = desired.getTemplate();
    ExecutionTemplate o = observed.getTemplate();
    if (d.getTaskCount() != o.getTaskCount()) {
      fields.add("taskCount");
    }
    // Unset, GCP fills a value it does not publish (ledger 9l): compared only when the spec sets it.
    if (d.getParallelism() != 0 && d.getParallelism() != o.getParallelism()) {
      fields.add("parallelism");
    }
    TaskTemplate dt = d.getTemplate();
    TaskTemplate ot = o.getTemplate();
    if (dt.getMaxRetries() != ot.getMaxRetries()) {
      fields.add("maxRetries");
    }
    if (!dt.getTimeout().equals(ot.getTimeout())) {
      fields.add("timeout");
    }
    if (!dt.getServiceAccount().equals(ot.getServiceAccount()) && !dt.getServiceAccount().isEmpty()) {
      fields.add("serviceAccount");
    }
    if (!dt.getEncryptionKey().equals(ot.getEncryptionKey())) {
      fields.add("encryptionKey");
    }
    if (!withConnectorPath(dt.getVpcAccess(), desired.getName()).equals(withConnectorPath(ot.getVpcAccess(), desired.getName()))) {
      fields.add("vpcAccess");
    }
    if (ot.getContainersCount() != 1) {
      fields.add("containers");
    } else {
      Container dc = dt.getContainers(0);
      Container oc = ot.getContainers(0);
      if (!dc.getImage().equals(oc.getImage())) {
        fields.add("image");
      }
      if (!dc.getCommandList().equals(oc.getCommandList()) || !dc.getArgsList().equals(oc.getArgsList())) {
        fields.add("command/args");
      }
      if (!dc.getEnvList().equals(oc.getEnvList())) {
        fields.add("env");
      }
      if (!sameQuantities(dc.getResources().getLimitsMap(), oc.getResources().getLimitsMap())) {
        fields.add("resources.limits");
      }
    }
    return fields;
  }

  /**
   * Whether the limits are the same amounts: GCP may answer a limit in another form than it was
   * sent ("1" and "1000m", "1Gi" and "1024Mi"; ledger 9l), which is no change.
   */
  static boolean sameQuantities(Map<String, String> desired, Map<String, String> observed) {
    if (!desired.keySet().equals(observed.keySet())) {
      return false;
    }
    return desired.entrySet().stream().allMatch(e -> e.getValue().equals(observed.get(e.getKey())) || sameAmount(e.getValue(), observed.get(e.getKey())));
  }

  private static boolean sameAmount(String a, String b) {
    try {
      return Quantity.getAmountInBytes(new Quantity(a))
          .compareTo(Quantity.getAmountInBytes(new Quantity(b))) == 0;
    } catch (IllegalArgumentException | ArithmeticException e) {
      return false; // not quantities: only the same text is the same
    }
  }

  /** Cloud Run answers a connector of the job's project and region by its short name (ledger J2): compare full paths. */
  private static VpcAccess withConnectorPath(VpcAccess vpc, String jobName) {
    if (vpc.getConnector().isEmpty() || ResourceNames.isFull(vpc.getConnector())) {
      return vpc;
    }
    return vpc.toBuilder().setConnector(ResourceNames.child(ResourceNames.parent(jobName), "connectors", vpc.getConnector())).build();
  }

  private static String vpcSummary(Job job) {
    VpcAccess vpc = job.getTemplate().getTemplate().getVpcAccess();
    return (vpc.getConnector().isEmpty() ? "Direct VPC egress" : "connector " + vpc.getConnector()) + ", egress " + vpc.getEgress();
  }

  /** Seconds of a duration the CRD already validated (30s, 10m, 1h30m). */
  static long seconds(String duration) {
    return Durations.parse(duration).orElseThrow(() -> new IllegalArgumentException("not a duration: " + duration)).toSeconds();
  }

}
