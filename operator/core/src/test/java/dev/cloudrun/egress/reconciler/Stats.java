package dev.cloudrun.egress.reconciler;

/** What the histories did, summed over a run: the figures printed at the end. */
final class Stats {
  long histories;
  long steps;
  long restarts;
  /** Restarts because the process died before a status write. */
  long crashes;
  /** Status writes lost to another writer. */
  long lostWrites;
  /** Fault steps armed, and calls GCP answered with an injected error. */
  long faults;
  long injected;
  /** Edits sent to the API server, refused by it (creates included), and not sent because they did not fit the spec. */
  long edits;
  long refused;
  long editsNotApplicable;
  long outOfBand;
  long passes;
  long gcpCalls;
  long virtualSeconds;

  void add(Stats other) {
    histories += other.histories;
    steps += other.steps;
    restarts += other.restarts;
    crashes += other.crashes;
    lostWrites += other.lostWrites;
    faults += other.faults;
    injected += other.injected;
    edits += other.edits;
    refused += other.refused;
    editsNotApplicable += other.editsNotApplicable;
    outOfBand += other.outOfBand;
    passes += other.passes;
    gcpCalls += other.gcpCalls;
    virtualSeconds += other.virtualSeconds;
  }

  @Override
  public String toString() {
    return String.format("%d histories, %d steps, %d restarts (%d of them between GCP calls and the status write), %d status writes lost"
        + " to another writer, %d fault steps"
        + " (%d calls answered with an injected error), %d edits (%d refused by admission, creates included; %d did not fit the spec),"
        + " %d out-of-band changes, %d passes, %d GCP calls, %.1f h of virtual time",
        histories, steps, restarts, crashes, lostWrites, faults, injected, edits, refused, editsNotApplicable, outOfBand, passes, gcpCalls, virtualSeconds / 3600.0);
  }
}
