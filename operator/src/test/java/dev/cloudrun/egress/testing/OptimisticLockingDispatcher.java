package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * fabric8's CRUD mock API server with kube-apiserver's optimistic concurrency: an update (PUT, of
 * the object or its status) naming a resourceVersion that is no longer current is refused with 409
 * Conflict. The mock alone accepts it, so a write computed from a stale read would go through in
 * tests and be refused in a cluster. Writes are serialized so the check and the write are one step.
 */
public class OptimisticLockingDispatcher extends KubernetesCrudDispatcher {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public synchronized MockResponse handleUpdate(RecordedRequest request) {
    String sent = resourceVersion(new String(request.getBody().getBytes(), StandardCharsets.UTF_8));
    if (!sent.isEmpty()) {
      MockResponse current = handleGet(request.getPath().replaceFirst("\\?.*$", "").replaceFirst("/status$", ""));
      String stored = current.code() == 200 ? resourceVersion(new String(current.getBody().getBytes(), StandardCharsets.UTF_8)) : "";
      if (!stored.isEmpty() && !stored.equals(sent)) {
        return new MockResponse().setResponseCode(409).setBody(Serialization.asJson(Map.of(
            "kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "Conflict", "code", 409,
            "message", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again")));
      }
    }
    return super.handleUpdate(request);
  }

  @Override
  public synchronized MockResponse handleCreate(RecordedRequest request) {
    return super.handleCreate(request);
  }

  @Override
  public synchronized MockResponse handlePatch(RecordedRequest request) {
    return super.handlePatch(request);
  }

  @Override
  public synchronized MockResponse handleDelete(String path) {
    return super.handleDelete(path);
  }

  private static String resourceVersion(String json) {
    try {
      JsonNode node = JSON.readTree(json);
      return node == null ? "" : node.at("/metadata/resourceVersion").asText("");
    } catch (IOException e) {
      return "";
    }
  }
}
