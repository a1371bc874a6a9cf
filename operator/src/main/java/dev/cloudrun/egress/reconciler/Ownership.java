package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import java.util.Map;

/**
 * The marker every GCP object the operator creates carries, naming the CloudRunEgressJob behind it:
 * labels where GCP has them (Cloud Run jobs), the description where it does not (routers, firewall
 * rules, addresses). Connectors have neither; their ownership is recorded in status instead.
 */
final class Ownership {
  static final String OPERATOR = "cloudrun-egress-operator";
  static final String MANAGED_BY_LABEL = "crej-managed-by";
  static final String UID_LABEL = "crej-uid";
  static final String OWNER_ANNOTATION = "egress.cloudrun.dev/owner";
  private static final String DESCRIPTION_PREFIX = "Managed by " + OPERATOR + " for ";

  private Ownership() {}

  static String description(CloudRunEgressJob cr) {
    return DESCRIPTION_PREFIX + owner(cr) + " (uid " + cr.getMetadata().getUid() + "). Changes made elsewhere are reverted.";
  }

  static String owner(CloudRunEgressJob cr) {
    return cr.getMetadata().getNamespace() + "/" + cr.getMetadata().getName();
  }

  static Map<String, String> labels(CloudRunEgressJob cr) {
    return Map.of(MANAGED_BY_LABEL, OPERATOR, UID_LABEL, cr.getMetadata().getUid());
  }

  /** Made by this operator for some CloudRunEgressJob: shared objects are everyone's who claims them. */
  static boolean managed(String description) {
    return description != null && description.startsWith(DESCRIPTION_PREFIX);
  }

  /** Made by this operator for this very CloudRunEgressJob. */
  static boolean ownedBy(String description, CloudRunEgressJob cr) {
    return managed(description) && description.contains("(uid " + cr.getMetadata().getUid() + ")");
  }

  static boolean ownedBy(Map<String, String> labels, CloudRunEgressJob cr) {
    return OPERATOR.equals(labels.get(MANAGED_BY_LABEL)) && cr.getMetadata().getUid().equals(labels.get(UID_LABEL));
  }
}
