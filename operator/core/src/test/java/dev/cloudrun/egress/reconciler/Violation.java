package dev.cloudrun.egress.reconciler;

/**
 * An invariant a history broke: which one ({@code invariant}), about what ({@code about}: the kind
 * of object, of reason, of exception), and the details. Two violations with the same
 * {@link #signature} are taken for the same bug when a history is shrunk.
 */
final class Violation extends AssertionError {
  final String invariant;
  final String about;
  final String detail;

  Violation(String invariant, String about, String detail) {
    super(invariant + " (" + about + "): " + detail, null);
    this.invariant = invariant;
    this.about = about;
    this.detail = detail;
  }

  String signature() {
    return invariant + " (" + about + ")";
  }
}
