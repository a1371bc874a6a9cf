package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One write every two seconds: a resource under way waits its turn, one not yet under way starts only on a free write. */
class WriteBudgetTest {
  @Test
  void aResourceUnderWayGoesBeforeOneThatHasNotStarted() throws InterruptedException {
    WriteBudget budget = WriteBudget.perSecond(0.5);

    assertThat(budget.acquire("a")).as("the first write is free: a starts").isTrue();
    assertThat(budget.acquire("b")).as("no write is free for the next two seconds: b does not start").isFalse();
    long before = System.nanoTime();
    assertThat(budget.acquire("a")).as("a is under way: it waits for the next write").isTrue();
    assertThat((System.nanoTime() - before) / 1_000_000).as("ms a waited").isGreaterThan(1_000);

    budget.settled("a");
    assertThat(budget.acquire("a")).as("a settled: its next write does not jump the queue").isFalse();
    Thread.sleep(4_100);
    assertThat(budget.acquire("b")).as("once a write is free, b starts").isTrue();
  }

  @Test
  void withoutABudgetEveryWriteGoes() {
    WriteBudget unlimited = WriteBudget.perSecond(0);
    for (int i = 0; i < 1_000; i++) {
      assertThat(unlimited.acquire("r" + i)).isTrue();
    }
  }
}
