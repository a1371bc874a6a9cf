package dev.cloudrun.egress.gcp.fake;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Every call the fake answered, by API ("vpcaccess", "compute", "run"), method (the name of the REST
 * method, e.g. "routers.list", "connectors.create", "regionOperations.get") and HTTP status.
 */
public final class Calls {
  public record Call(String api, String method, boolean read, int status) {}

  /**
   * One answered call with what it named, for a test that follows calls one by one ({@link #listen}):
   * the request's path (e.g. "/compute/v1/projects/p/regions/r/routers"), its raw query (or null),
   * its body and the JSON answered.
   */
  public record Answered(Call call, String path, String query, String body, String response) {}

  private final Map<Call, LongAdder> counts = new ConcurrentHashMap<>();
  private volatile Consumer<Answered> listener;

  void record(Call call) {
    counts.computeIfAbsent(call, c -> new LongAdder()).increment();
  }

  void record(Call call, String path, String query, String body, String response) {
    record(call);
    Consumer<Answered> current = listener;
    if (current != null) {
      current.accept(new Answered(call, path, query, body, response));
    }
  }

  /** Hands every call answered from now on to {@code listener}, on the thread that answered it; null stops. */
  public void listen(Consumer<Answered> listener) {
    this.listener = listener;
  }

  public long count(String api, String method) {
    return sum(c -> c.api().equals(api) && c.method().equals(method));
  }

  public long count(String api, String method, int status) {
    return sum(c -> c.api().equals(api) && c.method().equals(method) && c.status() == status);
  }

  public long total() {
    return sum(c -> true);
  }

  public long total(String api) {
    return sum(c -> c.api().equals(api));
  }

  public long reads() {
    return sum(Call::read);
  }

  public long writes() {
    return sum(c -> !c.read());
  }

  /** Calls answered with an error status, injected or not. */
  public long failures() {
    return sum(c -> c.status() >= 400);
  }

  /** A copy, ordered by api, method and status: handy to print after a benchmark. */
  public Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    counts.forEach((c, n) -> copy.merge(c.api() + " " + c.method() + " " + c.status(), n.sum(), Long::sum));
    return copy;
  }

  public void reset() {
    counts.clear();
  }

  private long sum(Predicate<Call> filter) {
    return counts.entrySet().stream().filter(e -> filter.test(e.getKey())).mapToLong(e -> e.getValue().sum()).sum();
  }
}
