package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * fabric8's CRUD mock API server with kube-apiserver's optimistic concurrency: an update (PUT, of
 * the object or its status) naming a resourceVersion that is no longer current is refused with 409
 * Conflict. The mock alone accepts it, so a write computed from a stale read would go through in
 * tests and be refused in a cluster. Writes are serialized so the check and the write are one step.
 * It also counts the status writes it accepts, and can make one lose the race to another writer.
 */
public class OptimisticLockingDispatcher extends KubernetesCrudDispatcher {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Accepted status writes by object path (.../namespaces/NS/RESOURCE/NAME). */
  private final Map<String, LongAdder> statusWrites = new ConcurrentHashMap<>();

  /** When set, the next status write whose body it accepts loses to another writer. */
  private volatile Predicate<String> loseNextStatusWrite;

  /**
   * The next status write whose JSON body {@code body} accepts loses the race to another writer:
   * the status is changed (its lastForcedReconcile) just before it arrives, so it is refused with
   * 409, and whoever reads the object again sees another status than the one it wrote from.
   */
  public void loseNextStatusWrite(Predicate<String> body) {
    loseNextStatusWrite = body;
  }

  @Override
  public synchronized MockResponse handleUpdate(RecordedRequest request) {
    String path = request.getPath().replaceFirst("\\?.*$", "");
    Predicate<String> lose = loseNextStatusWrite;
    if (lose != null && path.endsWith("/status") && lose.test(new String(request.getBody().getBytes(), StandardCharsets.UTF_8))) {
      loseNextStatusWrite = null;
      MockResponse stored = handleGet(path.substring(0, path.length() - "/status".length()));
      try {
        ObjectNode object = (ObjectNode) JSON.readTree(new String(stored.getBody().getBytes(), StandardCharsets.UTF_8));
        ObjectNode status = object.has("status") ? (ObjectNode) object.get("status") : object.putObject("status");
        status.put("lastForcedReconcile", "written by another writer");
        super.handleUpdate(new RecordedRequest("PUT " + path + " HTTP/1.1", HttpMethod.PUT, path, request.getHeaders(),
            new Buffer(JSON.writeValueAsBytes(object))));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return conflict();
    }
    String sent = resourceVersion(new String(request.getBody().getBytes(), StandardCharsets.UTF_8));
    if (!sent.isEmpty()) {
      MockResponse current = handleGet(path.replaceFirst("/status$", ""));
      String stored = current.code() == 200 ? resourceVersion(new String(current.getBody().getBytes(), StandardCharsets.UTF_8)) : "";
      if (!stored.isEmpty() && !stored.equals(sent)) {
        return conflict();
      }
    }
    MockResponse response = super.handleUpdate(request);
    if (path.endsWith("/status") && response.code() == 200) {
      statusWrites.computeIfAbsent(path.substring(0, path.length() - "/status".length()), p -> new LongAdder()).increment();
    }
    return response;
  }

  /** How many status writes of the object the server accepted, e.g. for {@code .../namespaces/ns/cloudrunegressjobs/name}. */
  public long statusWrites(String objectPathSuffix) {
    return statusWrites.entrySet().stream().filter(e -> e.getKey().endsWith(objectPathSuffix)).mapToLong(e -> e.getValue().sum()).sum();
  }

  private static MockResponse conflict() {
    return new MockResponse().setResponseCode(409).setBody(Serialization.asJson(Map.of(
        "kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "Conflict", "code", 409,
        "message", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again")));
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
