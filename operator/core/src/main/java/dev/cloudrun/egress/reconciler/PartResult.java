package dev.cloudrun.egress.reconciler;

/**
 * What one part (connector, NAT, firewall, job) reports after a pass: the content of its
 * condition, and whether it is done, still moving on its own, or waiting for the user.
 */
record PartResult(Progress progress, String reason, String message) {

  enum Progress {
    /** The part is as the spec says. */
    READY,
    /** An operation is under way or the part waits for another; no action needed from the user. */
    PROGRESSING,
    /** Nothing will change until the user acts: the message says what to do. */
    BLOCKED
  }

  static PartResult ready(String reason, String message) {
    return new PartResult(Progress.READY, reason, message);
  }

  static PartResult progressing(String reason, String message) {
    return new PartResult(Progress.PROGRESSING, reason, message);
  }

  static PartResult blocked(String reason, String message) {
    return new PartResult(Progress.BLOCKED, reason, message);
  }

  boolean isReady() {
    return progress == Progress.READY;
  }
}
