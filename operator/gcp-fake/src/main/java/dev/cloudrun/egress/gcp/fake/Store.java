package dev.cloudrun.egress.gcp.fake;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Objects keyed by their relative resource name ("projects/p/regions/r/routers/x"). Sorted, so the
 * children of a parent are one contiguous range: listing a page costs O(log n + page size).
 */
final class Store<T> {
  record Page<T>(List<T> items, String nextPageToken) {}

  private final NavigableMap<String, T> items = new TreeMap<>();

  Optional<T> get(String key) {
    return Optional.ofNullable(items.get(key));
  }

  T require(String key, String notFoundMessage) {
    T item = items.get(key);
    if (item == null) {
      throw ApiError.notFound(notFoundMessage);
    }
    return item;
  }

  boolean contains(String key) {
    return items.containsKey(key);
  }

  T put(String key, T item) {
    items.put(key, item);
    return item;
  }

  T update(String key, UnaryOperator<T> change) {
    return put(key, change.apply(require(key, "Resource '" + key + "' was not found")));
  }

  /** For out-of-band edits from Java: a missing object is a mistake in the test, not an API error. */
  T existing(String key) {
    T item = items.get(key);
    if (item == null) {
      throw new IllegalArgumentException("The fake holds no '" + key + "'");
    }
    return item;
  }

  Optional<T> remove(String key) {
    return Optional.ofNullable(items.remove(key));
  }

  /** Every key, sorted. */
  Collection<String> keys() {
    return items.keySet();
  }

  Collection<T> under(String prefix) {
    return children(prefix).values();
  }

  void removeUnder(String prefix) {
    children(prefix).clear();
  }

  /** The page token is the last key of the previous page, so pages stay stable while items change. */
  Page<T> page(String prefix, int pageSize, String pageToken, int defaultPageSize) {
    return page(prefix, pageSize, pageToken, defaultPageSize, item -> true);
  }

  /** As {@link #page(String, int, String, int)}, of the items that pass {@code filter} only. */
  Page<T> page(String prefix, int pageSize, String pageToken, int defaultPageSize, Predicate<? super T> filter) {
    int size = pageSize > 0 ? pageSize : defaultPageSize;
    NavigableMap<String, T> range = children(prefix);
    if (!pageToken.isEmpty()) {
      String after;
      try {
        after = new String(Base64.getUrlDecoder().decode(pageToken), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw ApiError.invalid("Invalid page token: " + pageToken);
      }
      if (!after.startsWith(prefix)) {
        throw ApiError.invalid("Invalid page token: " + pageToken);
      }
      range = range.tailMap(after, false);
    }
    List<T> page = new ArrayList<>();
    String lastKey = null;
    for (var entry : range.entrySet()) {
      if (!filter.test(entry.getValue())) {
        continue;
      }
      if (page.size() == size) {
        return new Page<>(page, Base64.getUrlEncoder().encodeToString(lastKey.getBytes(StandardCharsets.UTF_8)));
      }
      page.add(entry.getValue());
      lastKey = entry.getKey();
    }
    return new Page<>(page, "");
  }

  private NavigableMap<String, T> children(String prefix) {
    return items.subMap(prefix, true, prefix + Character.MAX_VALUE, false);
  }
}
