package dev.cloudrun.egress.api.v1alpha1;

/**
 * Regular expressions shared by the CRD's CEL rules. They are compile-time constants so the
 * validation annotations can embed them; each is written without backslashes so it reads the same
 * in Java, in the generated YAML and in CEL.
 */
final class CelPatterns {
  private CelPatterns() {}

  static final String PROJECT = "^[a-z][a-z0-9-]{4,28}[a-z0-9]$";
  static final String REGION = "^[a-z]+-[a-z]+[0-9]+$";
  /** RFC 1035 names, as Compute Engine uses for routers, NATs, firewalls, networks and subnets. */
  static final String GCE_NAME = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
  /** A Cloud NAT named by its Cloud Router: ROUTER/NAT. */
  static final String NAT_REF = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
  /** A Kubernetes namespace name (RFC 1123 label). */
  static final String NAMESPACE = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
  static final String CONNECTOR_ID = "^[a-z][-a-z0-9]{0,23}[a-z0-9]$";
  static final String CONNECTOR_PATH =
      "^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/[a-z]+-[a-z]+[0-9]+/connectors/[a-z][-a-z0-9]{0,23}[a-z0-9]$";
  static final String NETWORK_PATH =
      "^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/global/networks/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";

  /** unix-cron: five fields of digits, names, *, commas, ranges and steps, one space apart. */
  static final String CRON = "^[0-9A-Za-z*,/-]+( [0-9A-Za-z*,/-]+){4}$";
  /** A tz database name: Europe/Paris, America/Argentina/Buenos_Aires, UTC, Etc/GMT+2. */
  static final String TIME_ZONE = "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$";

  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  static final String IPV4_CIDR = "^(" + OCTET + "[.]){3}" + OCTET + "/([0-9]|[12][0-9]|3[0-2])$";
  /** A /28 that starts on its block boundary: the last octet is a multiple of 16. */
  static final String IPV4_SLASH_28 =
      "^(" + OCTET + "[.]){3}(0|16|32|48|64|80|96|112|128|144|160|176|192|208|224|240)/28$";

  private static final String PORT =
      "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
  static final String PORT_OR_RANGE = "^" + PORT + "(-" + PORT + ")?$";

  /** A DNS name whose last label starts with a letter, so it never reads as an IP address. */
  private static final String HOSTNAME = "([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?[.])*[a-z]([-a-z0-9]{0,61}[a-z0-9])?";
  static final String DNS_NAME = "^" + HOSTNAME + "$";
  /** A diagnosis destination: HOST, IP or CIDR, each with an optional :PORT. */
  static final String DESTINATION = "^(" + HOSTNAME + "|(" + OCTET + "[.]){3}" + OCTET + "(/([0-9]|[12][0-9]|3[0-2]))?)(:" + PORT + ")?$";

  static final String CONTAINER_IMAGE = "^[a-z0-9]+([._-][a-z0-9]+)*([.:][a-z0-9-]+)*(/[a-zA-Z0-9._-]+)+(:[a-zA-Z0-9._-]+|@sha256:[a-f0-9]{64})?$";
  static final String SERVICE_ACCOUNT = "^[a-z0-9][a-z0-9-]{0,62}@[a-z0-9.-]+[.]gserviceaccount[.]com$";
  static final String KMS_KEY =
      "^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/[a-z0-9-]+/keyRings/[a-zA-Z0-9_-]{1,63}/cryptoKeys/[a-zA-Z0-9_-]{1,63}$";
  static final String ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";
  static final String SECRET = "^([a-zA-Z0-9_-]{1,255}|projects/[a-z0-9-]+/secrets/[a-zA-Z0-9_-]{1,255})$";
  static final String SECRET_VERSION = "^(latest|[1-9][0-9]*)$";
  static final String LABEL_KEY = "^[a-z][a-z0-9_-]{0,62}$";
  static final String LABEL_VALUE = "^[a-z0-9_-]{0,63}$";
  static final String DURATION = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$";
  static final String CPU = "^(1|2|4|6|8)$";
  static final String MEMORY = "^[1-9][0-9]*(Mi|Gi)$";
  /** At least 2 GiB, written in Gi or Mi. */
  static final String MEMORY_AT_LEAST_2GI = "^(([2-9]|[1-9][0-9]+)Gi|(204[89]|20[5-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3}|[1-9][0-9]{4,})Mi)$";
  /** At least 4 GiB, written in Gi or Mi. */
  static final String MEMORY_AT_LEAST_4GI = "^(([4-9]|[1-9][0-9]+)Gi|(409[6-9]|4[1-9][0-9]{2}|[5-9][0-9]{3}|[1-9][0-9]{4,})Mi)$";
  /** From 512 MiB to 32 GiB, written in Mi or Gi: the memory a Cloud Run job's task can have. */
  static final String MEMORY_512MI_TO_32GI =
      "^((51[2-9]|5[2-9][0-9]|[6-9][0-9]{2}|[1-9][0-9]{3}|[12][0-9]{4}|3[01][0-9]{3}|32[0-6][0-9]{2}|327[0-5][0-9]|3276[0-8])Mi|([1-9]|[12][0-9]|3[0-2])Gi)$";
  /** More than 4 GiB (4096Mi), written in Gi or Mi. */
  static final String MEMORY_MORE_THAN_4GI = "^(([5-9]|[1-9][0-9]+)Gi|(409[7-9]|4[1-9][0-9]{2}|[5-9][0-9]{3}|[1-9][0-9]{4,})Mi)$";
  /** More than 8 GiB (8192Mi), written in Gi or Mi. */
  static final String MEMORY_MORE_THAN_8GI = "^((9|[1-9][0-9]+)Gi|(819[3-9]|8[2-9][0-9]{2}|9[0-9]{3}|[1-9][0-9]{4,})Mi)$";
  /** More than 16 GiB (16384Mi), written in Gi or Mi. */
  static final String MEMORY_MORE_THAN_16GI =
      "^((1[7-9]|[2-9][0-9]|[1-9][0-9]{2,})Gi|(1638[5-9]|1639[0-9]|16[4-9][0-9]{2}|1[7-9][0-9]{3}|[2-9][0-9]{4}|[1-9][0-9]{5,})Mi)$";
  /** More than 24 GiB (24576Mi), written in Gi or Mi. */
  static final String MEMORY_MORE_THAN_24GI =
      "^((2[5-9]|[3-9][0-9]|[1-9][0-9]{2,})Gi|(2457[7-9]|245[89][0-9]|24[6-9][0-9]{2}|2[5-9][0-9]{3}|[3-9][0-9]{4}|[1-9][0-9]{5,})Mi)$";
}
