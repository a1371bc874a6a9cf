package dev.cloudrun.egress.reconciler;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * A seeded sequence of {@link Step}s. The seed makes the steps ({@link #generate}) and seeds the
 * GCP fake's random faults, so a history replays exactly: the driver is single-threaded and in
 * virtual time. {@link #run} plays it in a fresh {@link World}; {@link #shrink} drops steps while
 * the same invariant still breaks (delta debugging), and {@link #toString} prints it as Java.
 */
record History(long seed, List<Step> steps) {

  /** What running a history found: the violation and the step (0-based) after which it was found, or none. */
  record Outcome(Violation violation, int step) {
    boolean failed() {
      return violation != null;
    }
  }

  static History of(long seed, Step... steps) {
    return new History(seed, List.of(steps));
  }

  /** The examples' documents, as file and document index. */
  /** A resource of examples/: its file, the document in it, and its name and namespace there. */
  record Example(String file, int doc, String name, String namespace) {}

  static final List<Example> EXAMPLES = List.of(
      new Example("01-seed-github-static-ip.yaml", 0, "my-agent-4", "platform-agents"),
      new Example("02-private-ranges-only.yaml", 0, "artifact-sync", "platform-agents"),
      new Example("03-direct-vpc-egress.yaml", 0, "nightly-report", "reporting"),
      new Example("04-shared-connector.yaml", 0, "infra-plan", "platform-agents"),
      new Example("04-shared-connector.yaml", 1, "infra-apply", "platform-agents"),
      new Example("05-existing-connector.yaml", 0, "ticket-triage", "support-bots"),
      new Example("06-seed-egress-diagnosis.yaml", 0, "my-agent-5", "platform-agents"),
      new Example("07-seed-proxy-without-no-proxy.yaml", 0, "my-agent-6", "platform-agents"),
      new Example("08-adopt-job-deployed-by-hand.yaml", 0, "my-agent-3", "platform-agents"),
      new Example("09-seed-nightly-and-after-each-release.yaml", 0, "my-agent-9", "platform-agents"));
  private static final List<String> SUFFIXES = List.of("", "-b", "-c");
  private static final int MOST_RESOURCES = 5;

  /**
   * 10 to 30 steps: creates (at most five resources live at once, in a few shared projects and
   * networks), edits, deletes, out-of-band changes, faults, restarts, crashes before a status
   * write and status writes lost to another writer.
   */
  static History generate(long seed) {
    Random random = new Random(seed);
    int length = 10 + random.nextInt(21);
    List<Step> steps = new ArrayList<>();
    List<String> live = new ArrayList<>();
    while (steps.size() < length) {
      double roll = random.nextDouble();
      if (live.isEmpty() || roll < 0.16) {
        if (live.size() < MOST_RESOURCES) {
          Example example = EXAMPLES.get(random.nextInt(EXAMPLES.size()));
          String name = example.name() + SUFFIXES.get(random.nextInt(SUFFIXES.size()));
          String key = example.namespace() + "/" + name;
          if (!live.contains(key)) {
            live.add(key);
            steps.add(new Step.Create(example.file(), example.doc(), name));
          }
        }
      } else if (roll < 0.22) {
        steps.add(new Step.Delete(live.remove(random.nextInt(live.size()))));
      } else if (roll < 0.24) {
        String old = live.get(random.nextInt(live.size()));
        String renamed = old.endsWith("-r") ? old.substring(0, old.length() - 2) : old + "-r";
        if (!live.contains(renamed)) {
          live.set(live.indexOf(old), renamed);
          steps.add(new Step.Rename(old, renamed.substring(renamed.indexOf('/') + 1)));
        }
      } else if (roll < 0.60) {
        Step.EditKind kind = Step.EditKind.values()[random.nextInt(Step.EditKind.values().length)];
        steps.add(new Step.Edit(live.get(random.nextInt(live.size())), kind, random.nextInt(100)));
      } else if (roll < 0.62) {
        steps.add(new Step.RequestRun(live.get(random.nextInt(live.size()))));
      } else if (roll < 0.65) {
        Step.OutOfBandKind kind = Step.OutOfBandKind.values()[random.nextInt(Step.OutOfBandKind.values().length)];
        steps.add(new Step.OutOfBand(live.get(random.nextInt(live.size())), kind));
      } else if (roll < 0.70) {
        OwnedField field = OwnedField.values()[random.nextInt(OwnedField.values().length)];
        steps.add(new Step.ChangeOwnedField(live.get(random.nextInt(live.size())), field));
      } else if (roll < 0.79) {
        steps.add(new Step.Fault(Step.FaultKind.values()[random.nextInt(Step.FaultKind.values().length)], 1 + random.nextInt(3)));
      } else if (roll < 0.85) {
        steps.add(new Step.Restart());
      } else if (roll < 0.885) {
        steps.add(new Step.CrashAtStatusWrite(1 + random.nextInt(3)));
      } else if (roll < 0.92) {
        Step.EditKind kind = Step.EditKind.values()[random.nextInt(Step.EditKind.values().length)];
        steps.add(new Step.CrashThenEdit(1 + random.nextInt(3), live.get(random.nextInt(live.size())), kind, random.nextInt(100)));
      } else {
        steps.add(new Step.LoseStatusWrite(1 + random.nextInt(3)));
      }
    }
    return new History(seed, steps);
  }

  /** Plays the history in a fresh world, stopping at the first violation; adds what it did to {@code stats}. */
  Outcome run(Stats stats) {
    Stats mine = new Stats();
    mine.histories = 1;
    try (World world = World.start(seed, mine)) {
      try {
        for (int i = 0; i < steps.size(); i++) {
          try {
            world.run(steps.get(i));
          } catch (Violation v) {
            return new Outcome(v, i);
          }
        }
        return new Outcome(null, -1);
      } finally {
        mine.gcpCalls = world.gcpCalls();
        mine.lostWrites = world.lostWrites();
        mine.virtualSeconds = world.elapsed().toSeconds();
        stats.add(mine);
      }
    }
  }

  /** Fails with the violation and this history, printed to be pasted back. */
  void assertHolds() {
    Outcome outcome = run(new Stats());
    if (outcome.failed()) {
      throw new AssertionError("after step " + (outcome.step() + 1) + " of " + this + "\n  " + outcome.violation().getMessage(),
          outcome.violation());
    }
  }

  /**
   * The shortest history found that still breaks the same invariant about the same kind of thing
   * ({@link Violation#signature}): the steps after the failing one are dropped, then chunks of
   * steps while the failure reproduces (ddmin), down to single steps.
   */
  History shrink(Outcome failure) {
    String signature = failure.violation().signature();
    List<Step> current = new ArrayList<>(steps.subList(0, failure.step() + 1));
    int chunks = 2;
    while (current.size() > 1) {
      int size = (current.size() + chunks - 1) / chunks;
      boolean reduced = false;
      for (int from = 0; from < current.size() && !reduced; from += size) {
        List<Step> candidate = new ArrayList<>(current.subList(0, from));
        candidate.addAll(current.subList(Math.min(from + size, current.size()), current.size()));
        Outcome outcome = new History(seed, candidate).run(new Stats());
        if (outcome.failed() && outcome.violation().signature().equals(signature)) {
          current = new ArrayList<>(candidate.subList(0, outcome.step() + 1));
          chunks = Math.max(chunks - 1, 2);
          reduced = true;
        }
      }
      if (!reduced) {
        if (chunks >= current.size()) {
          break;
        }
        chunks = Math.min(chunks * 2, current.size());
      }
    }
    return new History(seed, current);
  }

  @Override
  public String toString() {
    return "History.of(" + seed + "L" + steps.stream().map(s -> ",\n        " + s).collect(Collectors.joining()) + ")";
  }
}
