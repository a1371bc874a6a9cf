package dev.cloudrun.egress.diagnosis;

import java.util.Arrays;

/** The exit codes of the probe script (src/main/resources/probe/egress-probe.sh), and what each means. */
public enum ProbeExitCode {
  OK(0, "the check passed"),
  BAD_ARGUMENTS(2, "the probe was given a check it does not know, or its image has no curl"),
  PROXY_ANSWERED(10, "a proxy answered instead of the metadata server: the proxy variables apply to the metadata host; add metadata.google.internal,169.254.169.254 to NO_PROXY and no_proxy"),
  METADATA_UNREACHABLE(11, "the metadata server did not answer"),
  METADATA_REFUSED(12, "the metadata server gave no token: check the job's service account"),
  DNS_FAILURE(20, "DNS failure: the name does not resolve"),
  CONNECT_TIMEOUT(21, "connect timeout: the packets were dropped (firewall rule, no Cloud NAT or no route)"),
  CONNECTION_REFUSED(22, "connection refused, or no route to the host"),
  TLS_FAILURE(23, "TLS failure: the handshake failed or a middlebox replaced the certificate"),
  WRONG_EGRESS_IP(30, "public traffic left from an IP that is not one of the NAT's IPs: it bypassed Cloud NAT"),
  DID_NOT_FINISH(-1, "the task did not run to the end (cancelled, or the task timed out)");

  public final int code;
  public final String meaning;

  ProbeExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  public static String meaning(int code) {
    return Arrays.stream(values()).filter(c -> c.code == code).findFirst()
        .map(c -> c.meaning).orElse("unexpected exit code " + code + " (the probe script documents 0, 2, 10-12, 20-23 and 30)");
  }
}
