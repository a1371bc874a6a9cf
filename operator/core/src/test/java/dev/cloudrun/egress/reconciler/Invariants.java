package dev.cloudrun.egress.reconciler;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.RouterNat;
import com.google.cloud.run.v2.Job;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What must hold once a world has settled after a step (issue 12, item 6), each a small check
 * that throws a {@link Violation}: no leak and no orphan, nothing unowned touched, no duplicate,
 * silence at rest, and a verdict on every resource.
 */
final class Invariants {
  /** Reasons of a part still on its way: at rest, Ready must not be False for one of these. */
  private static final Set<String> TRANSIENT = Set.of("Creating", "Updating", "Deleting", "Reserving", "Progressing", "Reconciling");
  /** A message names a fix when it tells the user to do something. */
  private static final Pattern FIX = Pattern.compile(
      "(?i)\\b(set|create|delete|remove|rename|fix|make|give|mark|add|reserve|use|change|grant|update|name another)\\b");
  /** "spec.a.b: value" in a message: what it asks the user to set. */
  private static final Pattern ASKED = Pattern.compile("\\bspec\\.([A-Za-z]+(?:\\.[A-Za-z]+)*): ([A-Za-z0-9-]+)");

  private Invariants() {}

  static void check(World world) {
    runsAsAsked(world);
    nothingUnownedTouched(world);
    noLeakAndNoOrphan(world);
    aVerdictOnEveryResource(world);
  }

  /**
   * Every connector, router, NAT, address, firewall rule and job in GCP is implied by a current
   * spec, was there before the operator (someone else's), or belongs to a resource deleted with
   * deletionPolicy: Abandon; every object a Ready resource's spec implies exists.
   */
  static void noLeakAndNoOrphan(World world) {
    Map<String, Object> inGcp = Implied.inGcp(world.gcp());
    Set<String> implied = new TreeSet<>();
    world.resources().forEach(cr -> implied.addAll(Implied.by(cr)));
    Set<String> handedOver = new TreeSet<>();
    world.resources().forEach(cr -> handedOver.addAll(Implied.namedAsExisting(cr)));
    // An object the spec no longer names waits in the ledger of a resource that has not converged
    // (its release waits until nothing of it uses the object): accounted for, and deleted once the
    // resource converges or is deleted. Once it is Ready, nothing stale may remain.
    Set<String> heldWhileConverging = new TreeSet<>();
    world.resources().stream().filter(cr -> !isTrue(condition(cr, Conditions.READY)) && cr.getStatus() != null)
        .forEach(cr -> cr.getStatus().getOwned().forEach(o -> heldWhileConverging.add((o.getKind().equals("probe") ? "job" : o.getKind()) + " " + o.getName())));
    for (var object : inGcp.entrySet()) {
      String id = object.getKey();
      boolean theirsToo = world.someoneElsesPeers().containsKey(id);
      if (!implied.contains(id) && !handedOver.contains(id) && !world.isSeeded(id) && !world.abandoned().contains(id) && !theirsToo && !heldWhileConverging.contains(id)) {
        throw new Violation("no leak", Implied.kind(id), id + " (" + marker(object.getValue()) + ") is implied by no current spec; "
            + world.conditions());
      }
    }
    for (CloudRunEgressJob cr : world.resources()) {
      if (!isTrue(condition(cr, Conditions.READY))) {
        continue;
      }
      for (String id : Implied.by(cr)) {
        if (!inGcp.containsKey(id)) {
          throw new Violation("no orphan", Implied.kind(id), InMemoryCluster.key(cr) + " is Ready, but " + id + ", which its spec implies, does not exist");
        }
      }
    }
  }

  /**
   * Objects seeded as someone else's are as they were, byte for byte; on a router, only the NATs
   * a spec puts there with useExistingRouter may come and go. What someone else added to one of
   * the operator's routers (a BGP peer) is still there.
   */
  static void nothingUnownedTouched(World world) {
    Map<String, Object> inGcp = Implied.inGcp(world.gcp());
    world.someoneElsesPeers().forEach((routerId, peer) -> {
      boolean kept = inGcp.get(routerId) instanceof Router router && router.getBgpPeersList().contains(peer);
      if (!kept) {
        throw new Violation("nothing unowned touched", "bgp peer", "someone else's BGP peer " + peer.getName() + " on " + routerId
            + (inGcp.containsKey(routerId) ? " was removed" : " is gone with the router"));
      }
    });
    for (var seeded : world.seeded().entrySet()) {
      Object now = inGcp.get(seeded.getKey());
      if (now instanceof Router router && seeded.getValue() instanceof Router before) {
        Set<String> theirs = new TreeSet<>(before.getNatsList().stream().map(RouterNat::getName).toList());
        Router.Builder withTheirNatsOnly = router.toBuilder().clearNats();
        router.getNatsList().stream().filter(n -> theirs.contains(n.getName())).forEach(withTheirNatsOnly::addNats);
        now = withTheirNatsOnly.build();
      }
      if (!seeded.getValue().equals(now)) {
        throw new Violation("nothing unowned touched", Implied.kind(seeded.getKey()), seeded.getKey() + " was\n" + text(seeded.getValue())
            + "\n    and is now\n" + (now == null ? "      (deleted)" : text(now)));
      }
    }
  }

  /**
   * At most one create GCP accepted per object name while the object exists (a create after it
   * was deleted is another incarnation; a retried insert that GCP answers with its first
   * operation is the same create), and never a second probe execution while one runs.
   */
  static void noDuplicate(World world) {
    runsAtMostAsked(world);
    for (var creates : world.watch().createsSinceLastMissing().entrySet()) {
      if (creates.getValue().size() > 1) {
        throw new Violation("no duplicate", Implied.kind(creates.getKey()), creates.getKey() + " was created " + creates.getValue().size()
            + " times without being deleted in between: operations " + creates.getValue());
      }
    }
    for (var running : world.watch().runningExecutionsOfJobsRun().entrySet()) {
      if (running.getKey().endsWith(ProbeJobPart.SUFFIX) && running.getValue().size() > 1) {
        throw new Violation("no duplicate", "probe run", running.getKey() + " runs " + running.getValue().size()
            + " executions at once: " + running.getValue());
      }
    }
  }

  /**
   * Exactly once, the "at most" half, after every pass: no two executions carry the same run id,
   * and no job has had more executions the operator started for a trigger (every run id ever seen)
   * than runs were asked of it.
   */
  static void runsAtMostAsked(World world) {
    Map<String, Set<String>> started = world.runsStarted();
    for (var job : world.gcp().allJobs()) {
      Map<String, String> ids = new HashMap<>();
      for (var execution : world.gcp().executionsOf(job.getName())) {
        String id = RunPart.marker(execution);
        if (id == null) {
          continue;
        }
        String other = ids.put(id, execution.getName());
        if (other != null) {
          throw new Violation("exactly once", "run started twice", "executions " + other + " and " + execution.getName() + " both carry run " + id);
        }
        // Kept across passes: a job deleted and made again takes its executions with it, not the count.
        started.computeIfAbsent(job.getName() + " " + (id.startsWith("t-") ? RunPart.RUN_TOKEN : RunPart.ANNOTATION), k -> new TreeSet<>()).add(id);
      }
    }
    started.forEach((jobAndTrigger, runIds) -> {
      int asked = world.runsAsked().getOrDefault(jobAndTrigger, 0);
      if (runIds.size() > asked) {
        throw new Violation("exactly once", "more runs than asked", jobAndTrigger + ": " + runIds.size() + " executions started by the operator, "
            + asked + " runs asked");
      }
    });
  }

  /**
   * Exactly once, the "at least" half, once settled: a resource whose job is ready has handled its
   * runToken and its run-requested-at annotation (run them, or skipped them for newer values), and
   * waits for no run.
   */
  static void runsAsAsked(World world) {
    for (CloudRunEgressJob cr : world.resources()) {
      if (cr.getMetadata().getDeletionTimestamp() != null || !isTrue(condition(cr, Conditions.JOB_READY))) {
        continue;
      }
      var runs = cr.getStatus().getExecution();
      String token = cr.getSpec().getExecution() != null ? cr.getSpec().getExecution().getRunToken() : null;
      String annotation = ReconcileTriggers.annotation(cr, ReconcileTriggers.RUN_REQUESTED);
      boolean handled = (token == null || runs != null && token.equals(runs.getRunToken()))
          && (annotation == null || runs != null && annotation.equals(runs.getRunRequest()))
          && (runs == null || runs.getRequest() == null);
      if (!handled) {
        throw new Violation("exactly once", "run not started", InMemoryCluster.key(cr) + " asks for runToken " + token + " and run-requested-at "
            + annotation + " but status.execution is " + (runs == null ? "empty" : runs.getRunToken() + " / " + runs.getRunRequest()
            + ", request " + runs.getRequest()) + "; " + world.conditions());
      }
    }
  }

  /**
   * At rest the operator is silent: over three resync intervals, no GCP write, no status write,
   * and at most one pass per resource in each.
   */
  static void silentAtRest(World world, List<World.Window> windows) {
    for (World.Window window : windows) {
      if (window.gcpWrites() > 0) {
        throw new Violation("at rest, silence", "GCP writes by " + world.readyReasons(window.passes().keySet()), "a resync interval after the world had settled: " + window + "; " + world.conditions());
      }
      if (window.statusWrites() > 0) {
        throw new Violation("at rest, silence", "status writes by " + world.readyReasons(window.passes().keySet()), "a resync interval after the world had settled: " + window + "; " + world.conditions());
      }
      window.passes().forEach((resource, passes) -> {
        if (passes > 1) {
          throw new Violation("at rest, silence", "passes while " + world.readyReasons(List.of(resource)), resource + " had " + passes + " passes in one resync interval at rest; "
              + world.conditions());
        }
      });
    }
  }

  /**
   * Every resource is Ready for its current generation, or Ready is False with a reason that is
   * not one of a change in progress, and a message that names a fix (and does not ask the user to
   * set what the spec already says).
   */
  static void aVerdictOnEveryResource(World world) {
    for (CloudRunEgressJob cr : world.resources()) {
      String key = InMemoryCluster.key(cr);
      Condition ready = condition(cr, Conditions.READY);
      if (ready == null) {
        throw new Violation("a verdict", "no Ready condition", key + " has no Ready condition at rest; events: " + world.eventsOf(key));
      }
      if (!cr.getMetadata().getGeneration().equals(ready.getObservedGeneration())) {
        throw new Violation("a verdict", "stale generation", key + " is at generation " + cr.getMetadata().getGeneration()
            + " but Ready is for generation " + ready.getObservedGeneration() + ": " + describe(ready));
      }
      if (isTrue(ready)) {
        continue;
      }
      if (TRANSIENT.contains(ready.getReason()) || ready.getReason().startsWith("Waiting")) {
        throw new Violation("a verdict", "stuck " + ready.getReason(), key + " is at rest with " + describe(ready));
      }
      if (!FIX.matcher(ready.getMessage()).find()) {
        throw new Violation("a verdict", "no fix named for " + ready.getReason(), key + ": " + describe(ready));
      }
      String asked = alreadySet(cr, ready.getMessage());
      if (asked != null) {
        throw new Violation("a verdict", "asks for what is set, " + ready.getReason(), key + " has " + asked + " already, and " + describe(ready));
      }
    }
  }

  /** The first "spec.x.y: value" the message asks for that the spec already has, or null. */
  private static String alreadySet(CloudRunEgressJob cr, String message) {
    JsonNode spec = InMemoryCluster.JSON.convertValue(cr.getSpec(), JsonNode.class);
    Matcher asked = ASKED.matcher(message);
    while (asked.find()) {
      JsonNode value = spec;
      for (String field : asked.group(1).split("\\.")) {
        value = value.path(field);
      }
      if (value.isValueNode() && value.asText().equals(asked.group(2))) {
        return "spec." + asked.group(1) + ": " + asked.group(2);
      }
    }
    return null;
  }

  static Condition condition(CloudRunEgressJob cr, String type) {
    return cr.getStatus() == null ? null
        : cr.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }

  static String describe(Condition c) {
    return c == null ? "no Ready condition" : "Ready=" + c.getStatus() + " " + c.getReason() + " \"" + c.getMessage() + "\"";
  }

  private static boolean isTrue(Condition c) {
    return c != null && "True".equals(c.getStatus());
  }

  /** Who made an object, as far as it tells. */
  private static String marker(Object object) {
    if (object instanceof Router r) {
      return "description \"" + r.getDescription() + "\"";
    }
    if (object instanceof Address a) {
      return "description \"" + a.getDescription() + "\"";
    }
    if (object instanceof Firewall f) {
      return "description \"" + f.getDescription() + "\"";
    }
    if (object instanceof Job j) {
      return "owner " + j.getAnnotationsMap().get(Ownership.OWNER_ANNOTATION) + ", labels " + j.getLabelsMap();
    }
    return object instanceof RouterNat ? "a NAT, which carries no marker" : "a connector, which carries no marker";
  }

  private static String text(Object proto) {
    return TextFormat.printer().printToString((Message) proto).lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }
}
