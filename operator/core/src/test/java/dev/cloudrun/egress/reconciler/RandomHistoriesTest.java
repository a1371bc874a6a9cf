package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, item 6: an invariant harness over random histories, in the manner of Acto and Sieve.
 * Each seed makes a history of 10 to 30 steps (creates, edits and deletes of the examples,
 * out-of-band changes, GCP faults, restarts, crashes before a status write, status writes lost to
 * another writer) that {@link World} plays against the reconciler pass by pass in virtual time;
 * after each step settles, {@link Invariants} must hold. A failure prints its seed, the invariant
 * and the shortest history found, as Java to paste into {@link HistoryRegressionTest}.
 *
 * <p>{@code -Dhistories=N} runs N histories (200 by default), from seed {@code -Dhistories.first}
 * (1); {@code -Dhistories.seed=S} reruns one (or a comma-separated few); {@code -Dhistories.shrink=all} shrinks a history of
 * every distinct failure instead of the first only ({@code none}: no shrinking).
 */
class RandomHistoriesTest {

  @Test
  void everyRandomHistoryKeepsTheInvariants() {
    String one = System.getProperty("histories.seed");
    long first = Long.getLong("histories.first", 1);
    long[] seeds = one != null ? java.util.Arrays.stream(one.split(",")).mapToLong(Long::parseLong).toArray()
        : LongStream.range(first, first + Integer.getInteger("histories", 200)).toArray();
    Stats stats = new Stats();
    Map<String, Failure> failures = new LinkedHashMap<>();
    long started = System.nanoTime();
    long cpuStarted = processCpuNanos();
    for (Played played : playAll(seeds)) {
      stats.add(played.stats());
      if (played.outcome().failed()) {
        failures.computeIfAbsent(played.outcome().violation().signature(), s -> new Failure(played.history(), played.outcome()))
            .seeds.add(played.history().seed());
      }
    }
    System.out.printf("Random histories: %s; %.1f s (%.1f s of CPU)%n", stats, (System.nanoTime() - started) / 1e9,
        (processCpuNanos() - cpuStarted) / 1e9);
    if (failures.isEmpty()) {
      return;
    }
    StringBuilder report = new StringBuilder();
    String shrink = System.getProperty("histories.shrink", "first");
    boolean firstFailure = true;
    for (var entry : failures.entrySet()) {
      Failure failure = entry.getValue();
      report.append("\n\n").append(entry.getKey()).append(": ").append(failure.seeds.size()).append(" histories, seeds ").append(failure.seeds)
          .append("\n  seed ").append(failure.history.seed()).append(" after step ").append(failure.outcome.step() + 1)
          .append(" of ").append(failure.history.steps().size()).append(": ").append(failure.outcome.violation().getMessage());
      if (shrink.equals("all") || firstFailure && shrink.equals("first")) {
        History shortest = failure.history.shrink(failure.outcome);
        History.Outcome again = shortest.run(new Stats());
        report.append("\n  shortest history found (").append(shortest.steps().size()).append(" steps; -Dhistories.seed=")
            .append(failure.history.seed()).append(" reruns the whole one):\n    ").append(shortest)
            .append("\n  which breaks it so: ").append(again.failed() ? again.violation().getMessage() : "(no longer reproduces)");
      }
      firstFailure = false;
    }
    System.out.println("Random histories broke invariants:" + report);
    fail(failures.size() + " distinct invariant failures in " + failures.values().stream().mapToInt(f -> f.seeds.size()).sum()
        + " of " + seeds.length + " histories:" + report);
  }

  /** A history played, with what it found and did. */
  private record Played(History history, History.Outcome outcome, Stats stats) {}

  /**
   * Plays the histories, each in its own world and single-threaded, several at once
   * ({@code -Dhistories.threads}, by default one per processor): they share nothing, so each
   * replays alike whatever runs beside it. In seed order.
   */
  private static List<Played> playAll(long[] seeds) {
    int threads = Integer.getInteger("histories.threads", Runtime.getRuntime().availableProcessors());
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, seeds.length)));
    try {
      List<Future<Played>> futures = new ArrayList<>();
      for (long seed : seeds) {
        futures.add(pool.submit(() -> {
          History history = History.generate(seed);
          Stats stats = new Stats();
          return new Played(history, history.run(stats), stats);
        }));
      }
      List<Played> played = new ArrayList<>();
      for (Future<Played> future : futures) {
        played.add(future.get());
      }
      return played;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a history could not be played", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private record Failure(History history, History.Outcome outcome, List<Long> seeds) {
    Failure(History history, History.Outcome outcome) {
      this(history, outcome, new ArrayList<>());
    }
  }
}
