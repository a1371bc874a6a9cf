package dev.cloudrun.egress.reconciler;

import com.google.cloud.compute.v1.Denied;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterBgpPeer;
import com.google.cloud.compute.v1.RouterInterface;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import dev.cloudrun.egress.api.v1alpha1.ConnectorSpec;
import dev.cloudrun.egress.api.v1alpha1.DiagnosisSpec;
import dev.cloudrun.egress.api.v1alpha1.DirectVpcSpec;
import dev.cloudrun.egress.api.v1alpha1.EgressSpec;
import dev.cloudrun.egress.api.v1alpha1.ExecutionSpec;
import dev.cloudrun.egress.api.v1alpha1.FirewallSpec;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import dev.cloudrun.egress.gcp.fake.Latencies;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One thing that happens to the operator's world in a {@link History}: a user creates, edits or
 * deletes a CloudRunEgressJob, someone changes GCP by hand, GCP misbehaves, or the operator
 * process restarts or loses a status write. Each kind has one method, {@link #apply}. A step names
 * its resource by namespace/name; when that resource does not exist (a shrunk history dropped its
 * create) or the change does not fit its spec, the step does nothing. {@link #toString} is the
 * step as Java source, so a printed history can be pasted into a test.
 */
sealed interface Step {

  /** Applies the step to the world, before the world settles. */
  void apply(World world);

  /** A CloudRunEgressJob from examples/ ({@code doc} is the document in the file) under another name. */
  record Create(String example, int doc, String name) implements Step {
    @Override
    public void apply(World world) {
      CloudRunEgressJob cr = World.example(example, doc);
      cr.getMetadata().setName(name);
      world.create(cr);
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /** {@code kubectl annotate ... egress.cloudrun.dev/run-requested-at=NEW --overwrite}: one run of the job, asked from kubectl. */
  record RequestRun(String resource) implements Step {
    @Override
    public void apply(World world) {
      world.requestRun(resource);
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /** Several steps at once, before the world settles: e.g. a new runToken and a run asked from kubectl while the first runs. */
  record Together(List<Step> steps) implements Step {
    @Override
    public void apply(World world) {
      steps.forEach(step -> step.apply(world));
    }

    @Override
    public String toString() {
      return "new Step.Together(List.of(" + steps.stream().map(Step::toString).collect(Collectors.joining(", ")) + "))";
    }
  }

  /** {@code kubectl delete}: the resource gets its deletionTimestamp; the operator's finalizer holds it until cleanup is done. */
  record Delete(String resource) implements Step {
    @Override
    public void apply(World world) {
      world.delete(resource);
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /**
   * A resource renamed in Git: Argo CD creates the new one (the same spec under {@code name}) and
   * deletes the old one in one sync, neither waiting for the other, and the old one's deletion is
   * reconciled first. What they share passes from one to the other.
   */
  record Rename(String resource, String name) implements Step {
    @Override
    public void apply(World world) {
      world.resource(resource).filter(old -> old.getMetadata().getDeletionTimestamp() == null).ifPresent(old -> {
        CloudRunEgressJob renamed = new CloudRunEgressJob();
        renamed.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withNamespace(old.getMetadata().getNamespace()).withName(name).build());
        renamed.setSpec(InMemoryCluster.JSON.clone(old.getSpec()));
        world.delete(resource);
        world.create(renamed);
      });
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /** Someone changes a field the operator owns on one of the resource's objects, through GCP's API ({@link OwnedField}). */
  record ChangeOwnedField(String resource, OwnedField field) implements Step {
    @Override
    public void apply(World world) {
      world.resource(resource).filter(cr -> cr.getMetadata().getDeletionTimestamp() == null).ifPresent(cr -> {
        if (field.apply(world, cr)) {
          world.changedByHand();
        }
      });
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /** A user's edit of the spec, admitted (or refused) as the API server would. */
  record Edit(String resource, EditKind kind, int choice) implements Step {
    @Override
    public void apply(World world) {
      world.edit(resource, spec -> kind.apply(spec, world.origin(resource), choice));
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /** Someone changes a GCP object of the resource by hand (console, gcloud, Terraform). */
  record OutOfBand(String resource, OutOfBandKind kind) implements Step {
    @Override
    public void apply(World world) {
      world.resource(resource).ifPresent(cr -> {
        if (kind.apply(world, cr)) {
          world.changedByHand();
        }
      });
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /** GCP misbehaves while the next {@code steps} steps that change something settle; the faults are lifted before each one's checks. */
  record Fault(FaultKind kind, int steps) implements Step {
    @Override
    public void apply(World world) {
      world.armFault(kind, steps);
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /** The operator process restarts between two passes: fresh caches, every resource reconciled at once. */
  record Restart() implements Step {
    @Override
    public void apply(World world) {
      world.restart();
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /**
   * The process dies at the {@code nth} status write from now, as {@link CrashAtStatusWrite}, and
   * the user edits the spec while it is down: the restarted process finds GCP changed by calls it
   * never recorded, for a spec that no longer asks for them.
   */
  record CrashThenEdit(int nth, String resource, EditKind kind, int choice) implements Step {
    @Override
    public void apply(World world) {
      world.interfere(InMemoryCluster.Interference.PROCESS_DIES, nth);
      world.whileDown(() -> world.edit(resource, spec -> kind.apply(spec, world.origin(resource), choice)));
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /**
   * The process dies at the {@code nth} status write from now (while the next step that changes something settles):
   * after the GCP calls of that pass, before what it recorded reaches Kubernetes. It restarts at once.
   */
  record CrashAtStatusWrite(int nth) implements Step {
    @Override
    public void apply(World world) {
      world.interfere(InMemoryCluster.Interference.PROCESS_DIES, nth);
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /** The {@code nth} status write from now (while the next step that changes something settles) loses to another writer, who changed the status first (409). */
  record LoseStatusWrite(int nth) implements Step {
    @Override
    public void apply(World world) {
      world.interfere(InMemoryCluster.Interference.LOST_TO_ANOTHER_WRITER, nth);
    }

    @Override
    public String toString() {
      return Steps.java(this);
    }
  }

  /**
   * Edits of the spec a user makes on day two. {@code choice} picks a value from a small pool
   * (names that other resources or someone else's objects already use, so that sharing and
   * collisions happen); {@code origin} is the spec the resource was created with, which a toggle
   * restores. Returns false when the edit does not fit the spec (it is then not sent).
   */
  enum EditKind {
    RENAME_CONNECTOR {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        ConnectorSpec c = spec.getEgress().getConnector();
        if (c == null || c.getExisting()) {
          return false;
        }
        String name = pick(Pools.CONNECTORS, c.getName(), choice);
        c.setName(name);
        if (c.getIpCidrRange() != null) {
          c.setIpCidrRange(Pools.rangeOf(name));
        }
        return true;
      }
    },
    RENAME_ROUTER {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        NatSpec nat = spec.getEgress().getNat();
        if (nat == null || nat.getExisting()) {
          return false;
        }
        nat.setRouter(pick(Pools.ROUTERS, nat.getRouter(), choice));
        return true;
      }
    },
    RENAME_NAT {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        NatSpec nat = spec.getEgress().getNat();
        if (nat == null || nat.getExisting()) {
          return false;
        }
        nat.setName(pick(Pools.NATS, nat.getName(), choice));
        return true;
      }
    },
    RENAME_ADDRESS {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        NatSpec nat = spec.getEgress().getNat();
        if (nat == null || nat.getAddresses() == null || nat.getAddresses().isEmpty()) {
          return false;
        }
        nat.getAddresses().get(0).setName(pick(Pools.ADDRESSES, nat.getAddresses().get(0).getName(), choice));
        return true;
      }
    },
    RENAME_FIREWALL_RULE {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        FirewallSpec firewall = spec.getEgress().getFirewall();
        if (firewall == null || firewall.getAllow() == null || firewall.getAllow().isEmpty()) {
          return false;
        }
        firewall.getAllow().get(0).setName(pick(Pools.RULES, firewall.getAllow().get(0).getName(), choice));
        return true;
      }
    },
    /** Removes the NAT, or adds back the one the resource was created with (an automatic one if it had none). */
    TOGGLE_NAT {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        EgressSpec egress = spec.getEgress();
        if (egress.getNat() != null) {
          egress.setNat(null);
        } else if (origin.getEgress().getNat() != null) {
          egress.setNat(origin.getEgress().getNat());
        } else {
          NatSpec nat = new NatSpec();
          nat.setRouter("egress-router-" + spec.getRegion());
          nat.setName("egress-nat");
          egress.setNat(nat);
        }
        return true;
      }
    },
    TOGGLE_FIREWALL {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        EgressSpec egress = spec.getEgress();
        if (egress.getFirewall() != null) {
          egress.setFirewall(null);
        } else if (origin.getEgress().getFirewall() != null) {
          egress.setFirewall(origin.getEgress().getFirewall());
        } else {
          FirewallSpec firewall = new FirewallSpec();
          firewall.setLeastPrivilege(true);
          FirewallSpec.AllowRule web = new FirewallSpec.AllowRule();
          web.setName("web");
          web.setDestinationRanges(new ArrayList<>(List.of("0.0.0.0/0")));
          web.setPorts(new ArrayList<>(List.of("443")));
          firewall.setAllow(new ArrayList<>(List.of(web)));
          egress.setFirewall(firewall);
        }
        return true;
      }
    },
    TOGGLE_PROBE {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        DiagnosisSpec diagnosis = spec.getDiagnosis();
        if (diagnosis != null && diagnosis.getProbe() != null && diagnosis.getProbe().getEnabled()) {
          diagnosis.getProbe().setEnabled(false);
          return true;
        }
        if (diagnosis == null) {
          diagnosis = origin.getDiagnosis() != null ? origin.getDiagnosis() : new DiagnosisSpec();
          spec.setDiagnosis(diagnosis);
        }
        if (diagnosis.getProbe() == null) {
          diagnosis.setProbe(new DiagnosisSpec.ProbeSpec());
        }
        diagnosis.getProbe().setEnabled(true);
        return true;
      }
    },
    /** A connector becomes Direct VPC egress on the region's subnet of the network, and back. */
    SWITCH_CONNECTOR_AND_DIRECT_VPC {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        EgressSpec egress = spec.getEgress();
        if (egress.getConnector() != null) {
          String subnet = Pools.SUBNETS.get(egress.getNetwork() + " " + spec.getRegion());
          if (subnet == null) {
            return false;
          }
          DirectVpcSpec direct = new DirectVpcSpec();
          direct.setSubnet(subnet);
          direct.setNetworkTags(new ArrayList<>(List.of("batch-egress")));
          egress.setConnector(null);
          egress.setDirectVpc(direct);
        } else {
          ConnectorSpec connector = origin.getEgress().getConnector();
          if (connector == null) {
            connector = new ConnectorSpec();
            connector.setName("vpc-conn-c");
            connector.setIpCidrRange(Pools.rangeOf("vpc-conn-c"));
          }
          egress.setDirectVpc(null);
          egress.setConnector(connector);
        }
        return true;
      }
    },
    TOGGLE_EGRESS_MODE {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        EgressSpec egress = spec.getEgress();
        egress.setVpcEgress(egress.getVpcEgress() == EgressSpec.VpcEgress.AllTraffic
            ? EgressSpec.VpcEgress.PrivateRangesOnly : EgressSpec.VpcEgress.AllTraffic);
        return true;
      }
    },
    /** One more instance, at most or else at least: the change a connector allows in place. */
    GROW_CONNECTOR {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        ConnectorSpec c = spec.getEgress().getConnector();
        if (c == null || c.getExisting()) {
          return false;
        }
        int min = c.getMinInstances() != null ? c.getMinInstances() : 2;
        int max = c.getMaxInstances() != null ? c.getMaxInstances() : 10;
        if (max < 10) {
          c.setMaxInstances(max + 1);
        } else if (min + 1 < max) {
          c.setMinInstances(min + 1);
        } else {
          return false;
        }
        return true;
      }
    },
    /** Another range in place, which admission refuses unless replacePolicy is Recreate. */
    CHANGE_CONNECTOR_RANGE {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        ConnectorSpec c = spec.getEgress().getConnector();
        if (c == null || c.getExisting() || c.getIpCidrRange() == null) {
          return false;
        }
        c.setIpCidrRange(pick(Pools.RANGES, c.getIpCidrRange(), choice));
        return true;
      }
    },
    /** Another range with replacePolicy: Recreate: the connector must be replaced. */
    REPLACE_CONNECTOR_RANGE {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        ConnectorSpec c = spec.getEgress().getConnector();
        if (c == null || c.getExisting() || c.getIpCidrRange() == null) {
          return false;
        }
        c.setReplacePolicy(ConnectorSpec.ReplacePolicy.Recreate);
        c.setIpCidrRange(pick(Pools.RANGES, c.getIpCidrRange(), choice));
        return true;
      }
    },
    /** The NAT moves onto someone else's router (useExistingRouter), and back onto its own. */
    TOGGLE_EXISTING_ROUTER {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        NatSpec nat = spec.getEgress().getNat();
        if (nat == null || nat.getExisting()) {
          return false;
        }
        if (nat.getUseExistingRouter()) {
          nat.setUseExistingRouter(false);
          nat.setRouter(origin.getEgress().getNat() != null ? origin.getEgress().getNat().getRouter() : "egress-router-" + spec.getRegion());
        } else {
          nat.setUseExistingRouter(true);
          nat.setRouter(Pools.TEAM_ROUTER);
        }
        return true;
      }
    },
    TOGGLE_DELETION_POLICY {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        spec.setDeletionPolicy(spec.getDeletionPolicy() == CloudRunEgressJobSpec.DeletionPolicy.Abandon
            ? CloudRunEgressJobSpec.DeletionPolicy.Delete : CloudRunEgressJobSpec.DeletionPolicy.Abandon);
        return true;
      }
    },
    CHANGE_IMAGE {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        String image = spec.getJob().getImage();
        spec.getJob().setImage(image.endsWith(":next") ? origin.getJob().getImage() : image.replaceFirst("[:@][^/]*$", "") + ":next");
        return true;
      }
    },
    /** A new spec.execution.runToken (a value used before is new again after another): one run each time. */
    CHANGE_RUN_TOKEN {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        if (spec.getExecution() == null) {
          spec.setExecution(new ExecutionSpec());
        }
        spec.getExecution().setRunToken(pick(List.of("deploy-1", "deploy-2", "deploy-3"), spec.getExecution().getRunToken(), choice));
        return true;
      }
    },
    /**
     * Adds a schedule (one that never fires within a history: 29 February at midnight, the fake's
     * clock starting in 2025), or removes it.
     */
    TOGGLE_SCHEDULE {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        if (spec.getExecution() == null) {
          spec.setExecution(new ExecutionSpec());
        }
        if (spec.getExecution().getSchedule() != null) {
          spec.getExecution().setSchedule(null);
          return true;
        }
        ExecutionSpec.ScheduleSpec schedule = new ExecutionSpec.ScheduleSpec();
        schedule.setCron("0 0 29 2 *");
        schedule.setTimeZone(pick(List.of("UTC", "Europe/London", "America/New_York"), null, choice));
        schedule.setServiceAccount("invoker@" + spec.getProject() + ".iam.gserviceaccount.com");
        spec.getExecution().setSchedule(schedule);
        return true;
      }
    },
    /** spec.execution.schedule.suspend, on and off. */
    SUSPEND_SCHEDULE {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        if (spec.getExecution() == null || spec.getExecution().getSchedule() == null) {
          return false;
        }
        spec.getExecution().getSchedule().setSuspend(!spec.getExecution().getSchedule().getSuspend());
        return true;
      }
    },
    /** Forbid, Allow or Replace for the runs the operator starts. */
    CHANGE_CONCURRENCY_POLICY {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        if (spec.getExecution() == null) {
          spec.setExecution(new ExecutionSpec());
        }
        ExecutionSpec.ConcurrencyPolicy[] policies = ExecutionSpec.ConcurrencyPolicy.values();
        ExecutionSpec.ConcurrencyPolicy current = spec.getExecution().getConcurrencyPolicy();
        ExecutionSpec.ConcurrencyPolicy next = policies[Math.floorMod(choice, policies.length)];
        spec.getExecution().setConcurrencyPolicy(next == current ? policies[Math.floorMod(choice + 1, policies.length)] : next);
        return true;
      }
    },
    /** A task timeout within 24 h, or beyond it (which was a Preview feature: ledger 6). */
    CHANGE_TASK_TIMEOUT {
      @Override
      boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice) {
        spec.getJob().setTaskTimeout(pick(List.of("10m", "30h", "168h"), spec.getJob().getTaskTimeout(), choice));
        return true;
      }
    };

    abstract boolean apply(CloudRunEgressJobSpec spec, CloudRunEgressJobSpec origin, int choice);

    /** The value {@code choice} picks from the pool, never the current one. */
    static String pick(List<String> pool, String current, int choice) {
      String value = pool.get(Math.floorMod(choice, pool.size()));
      return value.equals(current) ? pool.get(Math.floorMod(choice + 1, pool.size())) : value;
    }
  }

  /** Changes someone makes to a GCP object of the resource; false when there is none to change (or it is not the operator's to manage). */
  enum OutOfBandKind {
    DELETE_CONNECTOR {
      @Override
      boolean apply(World world, CloudRunEgressJob cr) {
        ConnectorSpec c = cr.getSpec().getEgress().getConnector();
        String name = c == null || c.getExisting() ? null : Targets.of(cr).connectorPath();
        if (name == null || world.isSeeded(Implied.connector(name)) || world.gcp().connector(name).isEmpty()) {
          return false;
        }
        world.gcp().vpcAccess().delete(name);
        return true;
      }
    },
    DELETE_NAT {
      @Override
      boolean apply(World world, CloudRunEgressJob cr) {
        NatSpec nat = cr.getSpec().getEgress().getNat();
        if (nat == null || nat.getExisting()) {
          return false;
        }
        Targets t = Targets.of(cr);
        String id = Implied.nat(t.routerPath(nat.getRouter()), nat.getName());
        Router router = world.gcp().router(t.networkProject(), t.region(), nat.getRouter()).orElse(null);
        if (router == null || world.isSeeded(id) || router.getNatsList().stream().noneMatch(n -> n.getName().equals(nat.getName()))) {
          return false;
        }
        world.gcp().compute().editRouter(t.networkProject(), t.region(), nat.getRouter(), r -> {
          Router.Builder b = r.toBuilder().clearNats();
          r.getNatsList().stream().filter(n -> !n.getName().equals(nat.getName())).forEach(b::addNats);
          return b.build();
        });
        return true;
      }
    },
    DISABLE_FIREWALL_RULE {
      @Override
      boolean apply(World world, CloudRunEgressJob cr) {
        Targets t = Targets.of(cr);
        FirewallSpec firewall = cr.getSpec().getEgress().getFirewall();
        if (firewall == null || firewall.getAllow() == null || firewall.getAllow().isEmpty()) {
          return false;
        }
        String rule = t.allowRuleName(firewall.getAllow().get(0));
        if (world.isSeeded(Implied.firewall(t.networkProject(), rule)) || world.gcp().firewall(t.networkProject(), rule).isEmpty()) {
          return false;
        }
        world.gcp().compute().editFirewall(t.networkProject(), rule, f -> f.toBuilder().setDisabled(true).build());
        return true;
      }
    },
    CHANGE_JOB_IMAGE {
      @Override
      boolean apply(World world, CloudRunEgressJob cr) {
        String job = Targets.of(cr).jobPath();
        if (world.isSeeded(Implied.job(job)) || world.gcp().job(job).isEmpty()) {
          return false;
        }
        world.gcp().run().editJob(job, j -> {
          var b = j.toBuilder();
          b.getTemplateBuilder().getTemplateBuilder().getContainersBuilder(0).setImage("gcr.io/someone-else/tampered:1");
          return b.build();
        });
        return true;
      }
    },
    /** Someone runs the job by hand ({@code gcloud run jobs execute}): the operator reports the run, started by someone else. */
    RUN_JOB_BY_HAND {
      @Override
      boolean apply(World world, CloudRunEgressJob cr) {
        String job = Targets.of(cr).jobPath();
        // Someone else's job is watched for any change: its runs would read as the operator touching it.
        boolean ready = !world.isSeeded(Implied.job(job)) && world.gcp().job(job)
            .filter(j -> j.getTerminalCondition().getState() == com.google.cloud.run.v2.Condition.State.CONDITION_SUCCEEDED).isPresent();
        if (!ready) {
          return false;
        }
        world.gcpClients().jobs.runJobCallable().call(com.google.cloud.run.v2.RunJobRequest.newBuilder().setName(job).build());
        return true;
      }
    },
    /** The network team adds a BGP session to the operator's router: the router is no longer the operator's alone. */
    ADD_BGP_PEER {
      @Override
      boolean apply(World world, CloudRunEgressJob cr) {
        NatSpec nat = cr.getSpec().getEgress().getNat();
        if (nat == null || nat.getExisting() || nat.getUseExistingRouter()) {
          return false;
        }
        Targets t = Targets.of(cr);
        String id = Implied.router(t.routerPath(nat.getRouter()));
        Router router = world.gcp().router(t.networkProject(), t.region(), nat.getRouter()).orElse(null);
        if (router == null || world.isSeeded(id) || router.getBgpPeersList().stream().anyMatch(p -> p.getName().equals(TEAM_PEER.getName()))) {
          return false;
        }
        Router changed = world.gcp().compute().editRouter(t.networkProject(), t.region(), nat.getRouter(), r -> r.toBuilder()
            .addInterfaces(RouterInterface.newBuilder().setName(TEAM_PEER.getInterfaceName()).setIpRange("169.254.10.1/30"))
            .addBgpPeers(TEAM_PEER).build());
        world.someoneElsesPart(id, changed.getBgpPeersList().stream().filter(p -> p.getName().equals(TEAM_PEER.getName())).findFirst().orElseThrow());
        return true;
      }
    },
    /**
     * The network team adds an EGRESS deny on the connector's tag above GCP's implicit allow at
     * 100: the connector's path to Google's serverless infrastructure is cut (ledger 3a, 3b), and
     * every resource using it must say so (ConnectorCutOff), predicted and confirmed by its probe.
     */
    CUT_OFF_CONNECTOR {
      @Override
      boolean apply(World world, CloudRunEgressJob cr) {
        ConnectorSpec c = cr.getSpec().getEgress().getConnector();
        if (c == null) {
          return false;
        }
        Targets t = Targets.of(cr);
        String name = "team-deny-" + t.connectorName();
        if (world.gcp().firewall(t.networkProject(), name).isPresent()) {
          return false;
        }
        Firewall rule = world.gcp().compute().seedFirewall(t.networkProject(), Firewall.newBuilder().setName(name)
            .setNetwork("global/networks/" + t.networkName()).setDirection("EGRESS").setPriority(50)
            .setDescription("Added by the network team").addTargetTags(t.connectorTag()).addDestinationRanges("0.0.0.0/0")
            .addDenied(Denied.newBuilder().setIPProtocol("all")).build());
        world.someoneElses(Implied.firewall(t.networkProject(), name), rule);
        return true;
      }
    },
    DELETE_JOB {
      @Override
      boolean apply(World world, CloudRunEgressJob cr) {
        String job = Targets.of(cr).jobPath();
        if (world.isSeeded(Implied.job(job)) || world.gcp().job(job).isEmpty()) {
          return false;
        }
        world.gcp().run().deleteJob(job);
        return true;
      }
    };

    abstract boolean apply(World world, CloudRunEgressJob cr);

    private static final RouterBgpPeer TEAM_PEER = RouterBgpPeer.newBuilder().setName("team-peer").setInterfaceName("team-if")
        .setPeerIpAddress("169.254.10.2").setPeerAsn(65001).build();
  }

  /** Trouble GCP gives while a few steps settle. */
  enum FaultKind {
    /** 429 on a quarter of all calls. */
    THROTTLING {
      @Override
      void arm(FakeGcp gcp) {
        for (String api : List.of("vpcaccess", "compute", "run", "cloudscheduler")) {
          gcp.faults().errorRate(api, "*", 0.25, 429);
        }
      }
    },
    /**
     * 503 on half the writes. (Reads are left alone: the Google clients retry a 503 on a read
     * themselves, after a wall-clock pause, so the operator never sees it and the test would only be slower.)
     */
    OUTAGE {
      @Override
      void arm(FakeGcp gcp) {
        WRITES.forEach((api, methods) -> methods.forEach(m -> gcp.faults().errorRate(api, m, 0.5, 503)));
      }
    },
    REFUSED_CONNECTOR_CREATE {
      @Override
      void arm(FakeGcp gcp) {
        gcp.faults().errorRate("vpcaccess", "connectors.create", 1.0, 400);
      }
    },
    REFUSED_ROUTER_WRITES {
      @Override
      void arm(FakeGcp gcp) {
        gcp.faults().errorRate("compute", "routers.insert", 1.0, 400).errorRate("compute", "routers.update", 1.0, 400);
      }
    },
    REFUSED_FIREWALL_INSERT {
      @Override
      void arm(FakeGcp gcp) {
        gcp.faults().errorRate("compute", "firewalls.insert", 1.0, 400);
      }
    },
    /** jobs.run starts the execution and its answer is lost: the operator must find the run, not start another. */
    LOST_RUN_ANSWER {
      @Override
      void arm(FakeGcp gcp) {
        gcp.faults().loseNextAnswers("run", "jobs.run", 2);
      }
    },
    REFUSED_JOB_WRITES {
      @Override
      void arm(FakeGcp gcp) {
        gcp.faults().errorRate("run", "jobs.create", 1.0, 400).errorRate("run", "jobs.update", 1.0, 400);
      }
    },
    /** The next operation of each create is accepted and then fails (a connector ends in ERROR). */
    FAILING_OPERATIONS {
      @Override
      void arm(FakeGcp gcp) {
        gcp.faults().failNextOperation("vpcaccess", "connectors.create", 400, "Injected operation failure")
            .failNextOperation("compute", "routers.insert", 400, "Injected operation failure")
            .failNextOperation("compute", "firewalls.insert", 400, "Injected operation failure")
            .failNextOperation("run", "jobs.create", 400, "Injected operation failure");
      }
    },
    /** Operations take many polls. */
    SLOW_OPERATIONS {
      @Override
      void arm(FakeGcp gcp) {
        gcp.latencies().set(Latencies.Kind.CONNECTOR_CREATE, Duration.ofMinutes(20)).set(Latencies.Kind.CONNECTOR_UPDATE, Duration.ofMinutes(10))
            .set(Latencies.Kind.CONNECTOR_DELETE, Duration.ofMinutes(15)).set(Latencies.Kind.COMPUTE_OPERATION, Duration.ofMinutes(3))
            .set(Latencies.Kind.JOB_MUTATION, Duration.ofMinutes(2));
      }
    };

    /** The methods that change something, by API. */
    static final Map<String, List<String>> WRITES = Map.of(
        "vpcaccess", List.of("connectors.create", "connectors.patch", "connectors.delete"),
        "compute", List.of("routers.insert", "routers.update", "routers.delete", "firewalls.insert", "firewalls.patch", "firewalls.delete",
            "addresses.insert", "addresses.delete"),
        "run", List.of("jobs.create", "jobs.update", "jobs.delete", "jobs.run"),
        "cloudscheduler", List.of("jobs.create", "jobs.patch", "jobs.delete", "jobs.pause", "jobs.resume"));

    abstract void arm(FakeGcp gcp);
  }

  /** Values the edits pick from, some of them taken by other resources' or someone else's objects. */
  final class Pools {
    static final String TEAM_ROUTER = "team-router";
    static final List<String> CONNECTORS = List.of("vpc-conn-europe", "shared-conn-euw2", "vpc-conn-b", "vpc-conn-c", "team-conn");
    static final List<String> RANGES = List.of("10.8.0.0/28", "10.8.0.16/28", "10.8.0.32/28", "10.8.0.48/28", "10.8.0.64/28");
    static final List<String> ROUTERS = List.of("egress-router-europe-west2", "egress-router-b", TEAM_ROUTER, "corp-router");
    static final List<String> NATS = List.of("egress-nat", "egress-nat-b", "jobs-nat");
    static final List<String> ADDRESSES = List.of("github-egress-ip", "egress-ip-b", "team-egress-ip");
    static final List<String> RULES = List.of("github", "corp", "web", "ssh");
    /** The subnet Direct VPC egress uses, by network and region. */
    static final Map<String, String> SUBNETS = Map.of(
        "default europe-west2", "corp-tools",
        "default us-central1", "jobs-usc1",
        "corp-vpc europe-west2", "serverless-connector-euw2");

    private Pools() {}

    /** Each connector name has its own range, so that two resources naming one connector agree on it. */
    static String rangeOf(String connector) {
      return RANGES.get(CONNECTORS.indexOf(connector));
    }
  }

  /** Steps as Java source. */
  final class Steps {
    private Steps() {}

    static String java(Record step) {
      List<String> arguments = new ArrayList<>();
      for (RecordComponent component : step.getClass().getRecordComponents()) {
        Object value;
        try {
          value = component.getAccessor().invoke(step);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
        arguments.add(value instanceof String s ? "\"" + s + "\""
            : value instanceof Enum<?> e ? (e.getDeclaringClass().getEnclosingClass() == Step.class ? "Step." : "")
                + e.getDeclaringClass().getSimpleName() + "." + e.name()
            : String.valueOf(value));
      }
      return "new Step." + step.getClass().getSimpleName() + "(" + arguments.stream().collect(Collectors.joining(", ")) + ")";
    }
  }
}
