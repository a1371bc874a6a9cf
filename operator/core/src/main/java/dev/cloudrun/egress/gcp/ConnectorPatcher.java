package dev.cloudrun.egress.gcp;

import com.google.api.gax.rpc.StatusCode;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.cloud.vpcaccess.v1.OperationMetadata;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * connectors.patch (machine type and instance counts, which GCP changes in place). The Java GAPIC
 * client has no patch method, so this sends the REST call the API documents, the way the other
 * clients send theirs: POST with X-HTTP-Method-Override: PATCH.
 */
public final class ConnectorPatcher {
  private static final String DEFAULT_ENDPOINT = "https://vpcaccess.googleapis.com";
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(Connector.getDescriptor())
      .add(OperationMetadata.getDescriptor())
      .add(Empty.getDescriptor())
      .build();

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String endpoint;
  private final GoogleCredentials credentials;
  private final GcpCallMetrics metrics;

  private ConnectorPatcher(String endpoint, GoogleCredentials credentials, GcpCallMetrics metrics) {
    this.endpoint = endpoint;
    this.credentials = credentials;
    this.metrics = metrics;
  }

  static ConnectorPatcher applicationDefault(GcpCallMetrics metrics) {
    try {
      return new ConnectorPatcher(DEFAULT_ENDPOINT,
          GoogleCredentials.getApplicationDefault().createScoped("https://www.googleapis.com/auth/cloud-platform"), metrics);
    } catch (IOException e) {
      throw new UncheckedIOException("no Application Default Credentials", e);
    }
  }

  static ConnectorPatcher forEndpoint(String endpoint, GcpCallMetrics metrics) {
    return new ConnectorPatcher(endpoint, null, metrics);
  }

  /** Starts the patch; returns the long-running operation's name. */
  public String patch(Connector connector, List<String> updateMask) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint + "/v1/" + connector.getName()
              + "?updateMask=" + String.join(",", updateMask)))
          .timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json")
          .header("X-HTTP-Method-Override", "PATCH")
          .POST(HttpRequest.BodyPublishers.ofString(JsonFormat.printer().print(connector)));
      if (credentials != null) {
        credentials.refreshIfExpired();
        request.header("Authorization", "Bearer " + credentials.getAccessToken().getTokenValue());
      }
      HttpResponse<String> response = send(request.build());
      if (response.statusCode() / 100 != 2) {
        throw new ConnectorPatchException(response.statusCode(), response.body());
      }
      com.google.longrunning.Operation.Builder op = com.google.longrunning.Operation.newBuilder();
      JsonFormat.parser().usingTypeRegistry(TYPES).ignoringUnknownFields().merge(response.body(), op);
      return op.getName();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("unexpected connectors.patch response", e);
    } catch (IOException e) {
      throw new UncheckedIOException("connectors.patch failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    long start = System.nanoTime();
    StatusCode.Code outcome = StatusCode.Code.UNAVAILABLE; // no answer at all
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      outcome = GcpCallMetrics.outcome(response.statusCode());
      return response;
    } finally {
      metrics.record(GcpClients.VPC_ACCESS, "VpcAccessService/PatchConnector", outcome, start);
    }
  }

  /** A non-2xx answer; 429 and 5xx are transient like the clients' own errors. */
  public static final class ConnectorPatchException extends RuntimeException {
    public final int status;

    ConnectorPatchException(int status, String body) {
      super("connectors.patch answered " + status + ": " + body);
      this.status = status;
    }
  }
}
