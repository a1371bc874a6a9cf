package dev.cloudrun.egress.local;

/** Which GCP the operator talks to. */
enum GcpMode {
  /** The real APIs with Application Default Credentials (Workload Identity in a cluster). */
  real,
  /** The in-process fake (gcp.fake.FakeGcp), seeded with what the examples expect. */
  fake
}
