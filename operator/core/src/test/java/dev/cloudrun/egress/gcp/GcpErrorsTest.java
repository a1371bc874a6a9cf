package dev.cloudrun.egress.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.InsertFirewallRequest;
import dev.cloudrun.egress.gcp.fake.FakeGcp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Errors as the official REST clients raise them, read the way the operator reads them. */
class GcpErrorsTest {
  private static FakeGcp gcp;
  private static GcpClients clients;

  @BeforeAll
  static void start() {
    gcp = FakeGcp.start();
    gcp.seedNetwork("p", "vpc");
    clients = GcpClients.forEndpoint(gcp.endpoint());
  }

  @AfterAll
  static void stop() {
    clients.close();
    gcp.close();
  }

  private static Throwable insertFailingWith(int status) {
    gcp.faults().failNext("compute", "firewalls.insert", 1, status);
    return catchThrowable(() -> clients.firewalls.insertCallable().call(InsertFirewallRequest.newBuilder()
        .setProject("p").setFirewallResource(Firewall.newBuilder().setName("fw-" + status).setNetwork("global/networks/vpc")).build()));
  }

  @Test
  void throttlingAndOutagesAreTransient() {
    assertThat(GcpErrors.isTransient(insertFailingWith(429))).isTrue();
    assertThat(GcpErrors.isTransient(insertFailingWith(503))).isTrue();
    assertThat(GcpErrors.isTransient(insertFailingWith(500))).isTrue();
  }

  @Test
  void computeRateLimitIsA403ThatIsStillTransient() {
    Throwable error = insertFailingWith(403);
    assertThat(GcpErrors.isTransient(error)).isTrue();
    assertThat(GcpErrors.describe(error)).contains("PERMISSION_DENIED").contains("[rateLimitExceeded]");
  }

  @Test
  void badRequestIsPermanentAndDescribedWithTheApiMessage() {
    Throwable error = catchThrowable(() -> clients.firewalls.insertCallable().call(InsertFirewallRequest.newBuilder()
        .setProject("p").setFirewallResource(Firewall.newBuilder().setName("fw-bad").setNetwork("global/networks/missing")).build()));
    assertThat(GcpErrors.isTransient(error)).isFalse();
    assertThat(GcpErrors.isGcpError(error)).isTrue();
    // Over REST the exception's own message is just the HTTP reason; the API's text comes from the body.
    assertThat(GcpErrors.describe(error)).doesNotEndWith("Bad Request").contains("missing");
  }

  @Test
  void notFoundAndConflictAreRecognised() {
    assertThat(GcpErrors.isNotFound(catchThrowable(() -> clients.firewalls.get("p", "no-such-rule")))).isTrue();
    Firewall rule = Firewall.newBuilder().setName("fw-twice").setNetwork("global/networks/vpc")
        .addAllowed(com.google.cloud.compute.v1.Allowed.newBuilder().setIPProtocol("tcp")).build();
    clients.firewalls.insertCallable().call(InsertFirewallRequest.newBuilder().setProject("p").setFirewallResource(rule).build());
    Throwable again = catchThrowable(() ->
        clients.firewalls.insertCallable().call(InsertFirewallRequest.newBuilder().setProject("p").setFirewallResource(rule).build()));
    assertThat(GcpErrors.isConflict(again)).isTrue();
    assertThat(GcpErrors.isTransient(again)).isFalse();
  }

  @Test
  void theOperatorsOwnFailuresAreNotGcpErrors() {
    assertThat(GcpErrors.isGcpError(new IllegalArgumentException("bad URI"))).isFalse();
    assertThat(GcpErrors.isGcpError(new NullPointerException())).isFalse();
    assertThat(GcpErrors.isTransient(new IllegalStateException())).isFalse();
  }
}
