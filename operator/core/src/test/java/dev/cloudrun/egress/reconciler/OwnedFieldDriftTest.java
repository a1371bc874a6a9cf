package dev.cloudrun.egress.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13, the normalisation property: for every example and every field the operator owns on
 * any of its objects, a change made through GCP's API (as gcloud makes it) is corrected in exactly
 * one GCP write with one DriftCorrected event, and then the world is silent again (the fake fills
 * GCP's server-side defaults, so a default the operator compared would show as a write at rest).
 * Each world also holds every invariant of the random histories.
 */
class OwnedFieldDriftTest {

  static Stream<Arguments> examplesAndFields() {
    List<Arguments> cases = new ArrayList<>();
    for (History.Example example : History.EXAMPLES) {
      for (OwnedField field : OwnedField.values()) {
        cases.add(Arguments.of(example.file() + "#" + example.doc() + " " + field, example, field));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examplesAndFields")
  void aChangeToAFieldTheOperatorOwnsIsCorrectedInOneWriteWithOneEvent(String name, History.Example example, OwnedField field) {
    try (World world = World.start(13, new Stats())) {
      world.run(new Step.Create(example.file(), example.doc(), example.name()));
      String key = example.namespace() + "/" + example.name();
      long writes = world.gcp().calls().writes();
      long runs = world.gcp().calls().count("run", "jobs.run");
      long corrections = world.eventCount(key, "DriftCorrected");

      world.run(new Step.ChangeOwnedField(key, field)); // settles, and checks the invariants and silence at rest

      long changedByHand = world.gcp().calls().writes() == writes ? 0 : 1;
      if (changedByHand == 0) {
        return; // the example has no such object of its own (an existing connector, no NAT, no deny rule)
      }
      // A probe run is no correction: it runs when the predicted paths change, as they do while the change stands.
      long probeRuns = world.gcp().calls().count("run", "jobs.run") - runs;
      assertThat(world.gcp().calls().writes() - writes - changedByHand - probeRuns).as("GCP writes of the operator").isEqualTo(1);
      assertThat(world.eventCount(key, "DriftCorrected") - corrections).as("DriftCorrected events").isEqualTo(1);
    }
  }

  /** The property is not empty: each field is changed and corrected on at least one example. */
  @Test
  void everyFieldIsChangedOnSomeExample() {
    for (OwnedField field : OwnedField.values()) {
      boolean applied = false;
      for (History.Example example : History.EXAMPLES) {
        try (World world = World.start(13, new Stats())) {
          world.run(new Step.Create(example.file(), example.doc(), example.name()));
          long writes = world.gcp().calls().writes();
          world.run(new Step.ChangeOwnedField(example.namespace() + "/" + example.name(), field));
          if (world.gcp().calls().writes() > writes) {
            applied = true;
            break;
          }
        }
      }
      assertThat(applied).as(field + " applies to some example").isTrue();
    }
  }
}
