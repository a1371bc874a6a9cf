package dev.cloudrun.egress.gcp.fake;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Injected trouble. Methods are named as in {@link Calls} ("routers.insert"); "*" matches every
 * method of the API. Randomness comes from one seeded {@link Random}, so a run can be replayed.
 */
public final class Faults {
  private record Rate(double probability, int[] httpStatuses) {}

  private final Random random;
  private final Map<String, Rate> rates = new HashMap<>();
  private final Map<String, Deque<Integer>> nextCalls = new HashMap<>();
  private final Map<String, Deque<ApiError>> nextOperations = new HashMap<>();
  private final Map<String, Duration> delays = new HashMap<>();
  private final Map<String, Deque<Boolean>> lostAnswers = new HashMap<>();

  Faults(long seed) {
    this.random = new Random(seed);
  }

  /** Each call fails with {@code probability}, with one of the statuses (e.g. 429, 503, 500). */
  public synchronized Faults errorRate(String api, String method, double probability, int... httpStatuses) {
    for (int status : httpStatuses) {
      ApiError.ofHttp(status, "");
    }
    rates.put(key(api, method), new Rate(probability, httpStatuses.clone()));
    return this;
  }

  /** The next {@code times} calls of the method fail with {@code httpStatus}. */
  public synchronized Faults failNext(String api, String method, int times, int httpStatus) {
    ApiError.ofHttp(httpStatus, "");
    Deque<Integer> queue = nextCalls.computeIfAbsent(key(api, method), k -> new ArrayDeque<>());
    for (int i = 0; i < times; i++) {
      queue.add(httpStatus);
    }
    return this;
  }

  /**
   * The next operation the method starts is accepted but ends in error: a connector goes to ERROR,
   * a compute operation ends DONE with httpErrorStatusCode, a job's Ready condition fails.
   */
  public synchronized Faults failNextOperation(String api, String method, int httpStatus, String message) {
    nextOperations.computeIfAbsent(key(api, method), k -> new ArrayDeque<>()).add(ApiError.ofHttp(httpStatus, message));
    return this;
  }

  /**
   * The next {@code times} calls of the method are carried out, and their answers lost on the way
   * back: the caller sees a 503, as after a timeout, though GCP did what was asked.
   */
  public synchronized Faults loseNextAnswers(String api, String method, int times) {
    Deque<Boolean> queue = lostAnswers.computeIfAbsent(key(api, method), k -> new ArrayDeque<>());
    for (int i = 0; i < times; i++) {
      queue.add(true);
    }
    return this;
  }

  /** Whether this call's answer is lost (see {@link #loseNextAnswers}). */
  synchronized boolean answerLost(String api, String method) {
    return poll(lostAnswers, api, method) != null;
  }

  /** A real (wall-clock) delay before every call of the method is answered: a latency spike. */
  public synchronized Faults delay(String api, String method, Duration delay) {
    delays.put(key(api, method), delay);
    return this;
  }

  public synchronized void clear() {
    rates.clear();
    nextCalls.clear();
    nextOperations.clear();
    delays.clear();
    lostAnswers.clear();
  }

  /** Runs before a call is handled, outside the fake's lock: may sleep, may throw. */
  void beforeCall(String api, String method) {
    Duration delay;
    ApiError error;
    synchronized (this) {
      delay = lookup(delays, api, method);
      error = injectedError(api, method);
    }
    if (delay != null) {
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (error != null) {
      throw error;
    }
  }

  synchronized Optional<ApiError> takeOperationFailure(String api, String method) {
    return Optional.ofNullable(poll(nextOperations, api, method));
  }

  private ApiError injectedError(String api, String method) {
    Integer next = poll(nextCalls, api, method);
    if (next != null) {
      return injected(next);
    }
    Rate rate = lookup(rates, api, method);
    if (rate != null && random.nextDouble() < rate.probability()) {
      return injected(rate.httpStatuses()[random.nextInt(rate.httpStatuses().length)]);
    }
    return null;
  }

  private static ApiError injected(int httpStatus) {
    return ApiError.ofHttp(httpStatus, switch (httpStatus) {
      case 403, 429 -> "Rate Limit Exceeded (injected fault)";
      case 503 -> "The service is currently unavailable (injected fault)";
      default -> "Injected fault " + httpStatus;
    });
  }

  private static <V> V poll(Map<String, Deque<V>> queues, String api, String method) {
    Deque<V> exact = queues.get(key(api, method));
    if (exact != null && !exact.isEmpty()) {
      return exact.poll();
    }
    Deque<V> any = queues.get(key(api, "*"));
    return any == null ? null : any.poll();
  }

  private static <V> V lookup(Map<String, V> map, String api, String method) {
    V exact = map.get(key(api, method));
    return exact != null ? exact : map.get(key(api, "*"));
  }

  private static String key(String api, String method) {
    return api + " " + method;
  }
}
