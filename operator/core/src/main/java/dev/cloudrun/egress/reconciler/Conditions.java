package dev.cloudrun.egress.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;

/**
 * Owns status.conditions: one entry per type, in the metav1.Condition shape, whose
 * lastTransitionTime moves only when its status really changes (so Ready does not flap in the
 * eyes of kstatus, Argo CD or kubectl wait when a pass changes nothing).
 */
final class Conditions {
  static final String READY = "Ready";
  static final String CONNECTOR_READY = "ConnectorReady";
  static final String NAT_READY = "NatReady";
  static final String FIREWALL_READY = "FirewallReady";
  static final String JOB_READY = "JobReady";
  static final String METADATA_REACHABLE = "MetadataReachable";
  static final String EGRESS_REACHABLE = "EgressReachable";
  /** Present while spec.execution.schedule is set: the Cloud Scheduler job's state. Part of Ready. */
  static final String SCHEDULE_READY = "ScheduleReady";
  /** Not part of Ready: how the job's last execution ended (Unknown while it runs). */
  static final String RUN_SUCCEEDED = "RunSucceeded";
  static final String RECONCILING = "Reconciling";
  static final String STALLED = "Stalled";

  private Conditions() {}

  static void set(List<Condition> conditions, String type, boolean status, String reason, String message, long generation, Instant now) {
    set(conditions, type, status ? "True" : "False", reason, message, generation, now);
  }

  /** True when ready, Unknown while progressing, False when blocked. */
  static void setTriState(List<Condition> conditions, String type, PartResult result, long generation, Instant now) {
    String value = switch (result.progress()) {
      case READY -> "True";
      case PROGRESSING -> "Unknown";
      case BLOCKED -> "False";
    };
    set(conditions, type, value, result.reason(), result.message(), generation, now);
  }

  private static void set(List<Condition> conditions, String type, String value, String reason, String message, long generation, Instant now) {
    Condition condition = conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    if (condition == null) {
      condition = new Condition();
      condition.setType(type);
      conditions.add(condition);
    }
    if (!value.equals(condition.getStatus()) || condition.getLastTransitionTime() == null) {
      condition.setLastTransitionTime(now.toString());
    }
    condition.setStatus(value);
    condition.setReason(reason);
    condition.setMessage(message);
    condition.setObservedGeneration(generation);
  }

  /** A condition no longer reported (its part is gone from the spec). */
  static void remove(List<Condition> conditions, String type) {
    conditions.removeIf(c -> type.equals(c.getType()));
  }

  static void set(List<Condition> conditions, String type, PartResult result, long generation, Instant now) {
    set(conditions, type, result.isReady(), result.reason(), result.message(), generation, now);
  }

}
