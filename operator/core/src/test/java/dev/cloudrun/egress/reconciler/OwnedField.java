package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Allowed;
import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.PatchFirewallRequest;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.compute.v1.RouterNatLogConfig;
import com.google.cloud.compute.v1.UpdateRouterRequest;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.UpdateJobRequest;
import com.google.cloud.run.v2.VpcAccess;
import com.google.cloud.vpcaccess.v1.Connector;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.ConnectorSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A change someone makes, through GCP's API as gcloud or the console would, to one field the
 * operator owns on an object a resource manages (its ledger holds it). Each answers false when the
 * resource manages no such object, and otherwise starts the change and returns true.
 */
enum OwnedField {
  FIREWALL_PRIORITY(rule(false, f -> f.toBuilder().setPriority(f.getPriority() + 1).build())),
  FIREWALL_TARGET_TAGS(rule(false, f -> f.toBuilder().clearTargetTags().addTargetTags("someone-elses-tag").build())),
  FIREWALL_DESTINATION_RANGES(rule(false, f -> f.toBuilder().clearDestinationRanges().addDestinationRanges("192.0.2.0/24").build())),
  FIREWALL_ALLOWED(rule(false, f -> f.toBuilder().clearAllowed().addAllowed(Allowed.newBuilder().setIPProtocol("all")).build())),
  FIREWALL_DISABLED(rule(false, f -> f.toBuilder().setDisabled(true).build())),
  FIREWALL_DENIED(rule(true, f -> f.toBuilder().clearDenied().addDenied(Denied.newBuilder().setIPProtocol("tcp")).build())),
  NAT_SOURCE_RANGES(nat(n -> n.getSourceSubnetworkIpRangesToNat().equals("ALL_SUBNETWORKS_ALL_IP_RANGES")
      ? n.toBuilder().setSourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES").build() : null)),
  NAT_LOGGING(nat(n -> n.toBuilder().setLogConfig(RouterNatLogConfig.newBuilder().setEnable(!n.getLogConfig().getEnable())
      .setFilter("ALL")).build())),
  NAT_IP_ALLOCATION(nat(n -> n.getNatIpAllocateOption().equals("MANUAL_ONLY")
      ? n.toBuilder().setNatIpAllocateOption("AUTO_ONLY").clearNatIps().build() : null)),
  CONNECTOR_MACHINE_TYPE((world, cr) -> {
    ConnectorSpec spec = cr.getSpec().getEgress().getConnector();
    if (spec == null || spec.getExisting()) {
      return false;
    }
    String name = Targets.of(cr).connectorPath();
    Optional<Connector> connector = world.gcp().connector(name).filter(c -> c.getState() == Connector.State.READY);
    if (connector.isEmpty() || !manages(cr, Ledger.Kind.CONNECTOR, name)) {
      return false;
    }
    String other = connector.get().getMachineType().equals("f1-micro") ? "e2-micro" : "f1-micro";
    world.gcpClients().connectorPatcher.patch(connector.get().toBuilder().setMachineType(other).build(), List.of("machineType"));
    return true;
  }),
  JOB_IMAGE(job(c -> c.setImage("gcr.io/someone-else/tampered:1"))),
  JOB_ENV(job(c -> c.addEnv(EnvVar.newBuilder().setName("ADDED_BY_HAND").setValue("1")))),
  JOB_ARGS(job(c -> c.clearArgs().addArgs("--by-hand"))),
  JOB_CPU(job(c -> c.getResourcesBuilder().putLimits("cpu", c.getResources().getLimitsOrDefault("cpu", "1").equals("2") ? "1" : "2"))),
  JOB_TASK_COUNT(jobTemplate(j -> j.getTemplateBuilder().setTaskCount(j.getTemplate().getTaskCount() + 1))),
  JOB_MAX_RETRIES(jobTemplate(j -> j.getTemplateBuilder().getTemplateBuilder().setMaxRetries(j.getTemplate().getTemplate().getMaxRetries() == 0 ? 1 : 0))),
  /** A minute longer, or shorter at the 168 h GCP allows (ledger 6). */
  JOB_TIMEOUT(jobTemplate(j -> j.getTemplateBuilder().getTemplateBuilder().getTimeoutBuilder().setSeconds(
      j.getTemplate().getTemplate().getTimeout().getSeconds() + (j.getTemplate().getTemplate().getTimeout().getSeconds() >= 168 * 3600 ? -60 : 60)))),
  JOB_EGRESS(jobTemplate(j -> j.getTemplateBuilder().getTemplateBuilder().getVpcAccessBuilder().setEgress(
      j.getTemplate().getTemplate().getVpcAccess().getEgress() == VpcAccess.VpcEgress.ALL_TRAFFIC
          ? VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY : VpcAccess.VpcEgress.ALL_TRAFFIC))),
  /**
   * A label of spec.job.labels. (The operator's own marker labels are not in this list: changed by
   * someone, they say the job is no longer the operator's, which then leaves it alone: NotOwned.)
   */
  JOB_LABEL((world, cr) -> {
    var labels = cr.getSpec().getJob().getLabels();
    return labels != null && !labels.isEmpty()
        && jobTemplate(j -> j.putLabels(labels.keySet().iterator().next(), "changed-by-hand")).apply(world, cr);
  }),
  SCHEDULE_CRON(schedule((world, job) -> world.gcpClients().scheduler.updateJob(com.google.cloud.scheduler.v1.UpdateJobRequest.newBuilder()
      .setJob(job.toBuilder().setSchedule("15 4 * * *")).setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("schedule")).build()))),
  SCHEDULE_INVOKER(schedule((world, job) -> world.gcpClients().scheduler.updateJob(com.google.cloud.scheduler.v1.UpdateJobRequest.newBuilder()
      .setJob(job.toBuilder().setHttpTarget(job.getHttpTarget().toBuilder().setOauthToken(job.getHttpTarget().getOauthToken().toBuilder()
          .setServiceAccountEmail("someone-else@myproject.iam.gserviceaccount.com"))))
      .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("http_target")).build()))),
  /** Paused by hand (gcloud scheduler jobs pause) while the spec does not suspend it. */
  SCHEDULE_PAUSED(schedule((world, job) -> world.gcpClients().scheduler.pauseJob(job.getName())));

  /** Starts the change on {@code cr}'s object; false when it has none to change. */
  interface Change {
    boolean apply(World world, CloudRunEgressJob cr);
  }

  private final Change change;

  OwnedField(Change change) {
    this.change = change;
  }

  boolean apply(World world, CloudRunEgressJob cr) {
    return change.apply(world, cr);
  }

  /** Whether the resource's ledger holds the object: a field of someone else's is not the operator's to correct. */
  private static boolean manages(CloudRunEgressJob cr, Ledger.Kind kind, String name) {
    return cr.getStatus() != null && Ledger.manages(cr.getStatus(), new Ledger.Key(kind, name));
  }

  /** The resource's Cloud Scheduler job, enabled (as every example's spec has it). */
  private static Change schedule(java.util.function.BiConsumer<World, com.google.cloud.scheduler.v1.Job> edit) {
    return (world, cr) -> {
      String name = Targets.of(cr).schedulePath();
      var job = world.gcp().schedulerJob(name).filter(j -> j.getState() == com.google.cloud.scheduler.v1.Job.State.ENABLED);
      if (job.isEmpty() || !manages(cr, Ledger.Kind.SCHEDULE, name)) {
        return false;
      }
      edit.accept(world, job.get());
      return true;
    };
  }

  /** The first allow rule, or the deny-all, of the resource. */
  private static Change rule(boolean deny, UnaryOperator<Firewall> edit) {
    return (world, cr) -> {
      var firewall = cr.getSpec().getEgress().getFirewall();
      Targets t = Targets.of(cr);
      String name = firewall == null ? null : deny ? (firewall.getLeastPrivilege() ? t.denyRuleName() : null)
          : firewall.getAllow() == null || firewall.getAllow().isEmpty() ? null : t.allowRuleName(firewall.getAllow().get(0));
      Optional<Firewall> rule = name == null ? Optional.empty() : world.gcp().firewall(t.networkProject(), name);
      if (rule.isEmpty() || !manages(cr, Ledger.Kind.FIREWALL, t.firewallPath(name))) {
        return false;
      }
      world.gcpClients().firewalls.patchCallable().call(PatchFirewallRequest.newBuilder().setProject(t.networkProject())
          .setFirewall(name).setFirewallResource(edit.apply(rule.get())).build());
      return true;
    };
  }

  /** The resource's NAT, rewritten on its router as gcloud does (a read, then the router back whole); null: nothing to change. */
  private static Change nat(UnaryOperator<RouterNat> edit) {
    return (world, cr) -> {
      NatSpec spec = cr.getSpec().getEgress().getNat();
      if (spec == null || spec.getExisting()) {
        return false;
      }
      Targets t = Targets.of(cr);
      Optional<Router> router = world.gcp().router(t.networkProject(), t.region(), spec.getRouter());
      Optional<RouterNat> nat = router.flatMap(r -> r.getNatsList().stream().filter(n -> n.getName().equals(spec.getName())).findFirst());
      RouterNat changed = nat.map(edit).orElse(null);
      if (changed == null || !manages(cr, Ledger.Kind.NAT, t.natPath(spec.getRouter(), spec.getName()))) {
        return false;
      }
      Router.Builder updated = router.get().toBuilder().clearNats();
      router.get().getNatsList().forEach(n -> updated.addNats(n.getName().equals(spec.getName()) ? changed : n));
      world.gcpClients().routers.updateCallable().call(UpdateRouterRequest.newBuilder().setProject(t.networkProject())
          .setRegion(t.region()).setRouter(spec.getRouter()).setRouterResource(updated).build());
      return true;
    };
  }

  private static Change job(java.util.function.Consumer<Container.Builder> edit) {
    return jobTemplate(j -> edit.accept(j.getTemplateBuilder().getTemplateBuilder().getContainersBuilder(0)));
  }

  /** The resource's job, updated whole as gcloud run jobs update does. */
  private static Change jobTemplate(java.util.function.Consumer<Job.Builder> edit) {
    return (world, cr) -> {
      String name = Targets.of(cr).jobPath();
      Optional<Job> job = world.gcp().job(name).filter(j -> !j.getReconciling());
      if (job.isEmpty() || !manages(cr, Ledger.Kind.JOB, name)) {
        return false;
      }
      Job.Builder changed = job.get().toBuilder();
      edit.accept(changed);
      world.gcpClients().jobs.updateJobCallable().call(UpdateJobRequest.newBuilder().setJob(changed).build());
      return true;
    };
  }
}
