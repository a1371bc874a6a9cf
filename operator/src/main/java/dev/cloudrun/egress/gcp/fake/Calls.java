package dev.cloudrun.egress.gcp.fake;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Every call the fake answered, by API ("vpcaccess", "compute", "run"), method (the name of the REST
 * method, e.g. "routers.list", "connectors.create", "regionOperations.get") and HTTP status.
 */
public final class Calls {
  public record Call(String api, String method, boolean read, int status) {}

  private final Map<Call, LongAdder> counts = new ConcurrentHashMap<>();

  void record(Call call) {
    counts.computeIfAbsent(call, c -> new LongAdder()).increment();
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
