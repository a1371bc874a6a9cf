package dev.cloudrun.egress.app;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.fabric8.kubernetes.api.model.Condition;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;

/**
 * What a resource should come to in local mode: Ready, or, when its annotation
 * {@value #ANNOTATION} names a reason, Ready=False for that reason (an example that shows a refusal).
 * Here rather than in local mode because the tests of this process judge the examples by it too.
 *
 * @param reason null when the resource should become Ready
 */
public record Expectation(String reason) {
  public static final String ANNOTATION = "examples.cloudrun.dev/expect-reason";

  public static Expectation of(CloudRunEgressJob cr) {
    var annotations = cr.getMetadata().getAnnotations();
    return new Expectation(annotations == null ? null : annotations.get(ANNOTATION));
  }

  /** Whether the resource's Ready condition, for its current generation, is what is expected. */
  public boolean metBy(CloudRunEgressJob current) {
    return ready(current)
        .filter(c -> current.getMetadata().getGeneration().equals(c.getObservedGeneration()))
        .filter(c -> reason == null ? "True".equals(c.getStatus()) : "False".equals(c.getStatus()) && reason.equals(c.getReason()))
        .isPresent();
  }

  public static Optional<Condition> ready(CloudRunEgressJob cr) {
    return cr.getStatus() == null ? Optional.empty()
        : cr.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst();
  }

  /** One line per resource saying whether it came to what it should; true when all did. */
  public static boolean summarize(List<CloudRunEgressJob> resources, PrintWriter out) {
    out.println();
    boolean allMet = true;
    for (CloudRunEgressJob cr : resources) {
      Expectation expected = of(cr);
      boolean met = expected.metBy(cr);
      allMet &= met;
      String name = cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName();
      String now = ready(cr).map(c -> "Ready=" + c.getStatus() + " " + c.getReason() + ": " + c.getMessage()).orElse("no status yet");
      if (met && expected.reason() == null) {
        out.printf("OK    %s is Ready.%n", name);
      } else if (met) {
        out.printf("OK    %s is not Ready, as its annotation %s expects: %s%n", name, ANNOTATION, now);
      } else {
        out.printf("FAIL  %s should be %s, but is %s%n", name, expected.reason() == null ? "Ready" : "not Ready for reason " + expected.reason(), now);
      }
    }
    return allMet;
  }
}
