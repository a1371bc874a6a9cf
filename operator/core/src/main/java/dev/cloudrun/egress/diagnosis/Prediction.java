package dev.cloudrun.egress.diagnosis;

/**
 * The predicted outcome of one check: its name (metadata, egress-ip or the destination as written),
 * the probe's argument for it, the path its traffic takes, and the verdict with its reason.
 * {@code certain} is false when the operator cannot see everything that decides it (a route it
 * does not list, a host name's address): then a passing probe overrules the prediction.
 */
public record Prediction(String name, String probeCheck, String path, boolean reachable, boolean certain, String reason, String message) {
  public static final String PREDICTED = "Predicted";

  static Prediction reachable(String name, String probeCheck, String path, String message) {
    return new Prediction(name, probeCheck, path, true, true, PREDICTED, message);
  }

  static Prediction uncertain(String name, String probeCheck, String path, String reason, String message) {
    return new Prediction(name, probeCheck, path, true, false, reason, message);
  }

  static Prediction failed(String name, String probeCheck, String path, String reason, String message) {
    return new Prediction(name, probeCheck, path, false, true, reason, message);
  }

  Prediction uncertainFailure() {
    return new Prediction(name, probeCheck, path, false, false, reason, message);
  }
}
