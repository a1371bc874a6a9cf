package dev.cloudrun.egress.gcp.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.MessageOrBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code filter} of Compute list calls, in its regular-expression form (ledger C4): {@code field
 * eq literal} or {@code field ne literal}, alone or as several parenthesised terms that must all
 * hold, the literal (unquoted, 'single' or "double" quoted) a regular expression that must match
 * the whole field. This is the form gcloud's {@code filter_rewrite} sends for {@code --filter}
 * (it then drops the filter on its side). The AIP-160 form ({@code =}, {@code !=}, {@code :},
 * {@code AND}, {@code OR}) is refused with 400: the fake does not evaluate it.
 */
final class ComputeFilter {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern TERM = Pattern.compile(
      "\\s*([A-Za-z_][A-Za-z0-9_.]*)\\s+(eq|ne)\\s+(\"((?:[^\"\\\\]|\\\\.)*)\"|'((?:[^'\\\\]|\\\\.)*)'|(.*?))\\s*");

  private record Term(String[] path, boolean equal, Pattern pattern) {}

  private ComputeFilter() {}

  /** Every message passes an empty filter. */
  static <T extends MessageOrBuilder> Predicate<T> parse(String filter) {
    if (filter == null || filter.isBlank()) {
      return item -> true;
    }
    List<Term> terms = new ArrayList<>();
    String text = filter.trim();
    if (text.startsWith("(")) {
      int i = 0;
      while (i < text.length()) {
        if (Character.isWhitespace(text.charAt(i))) {
          i++;
          continue;
        }
        int close = closing(text, i, filter);
        terms.add(term(text.substring(i + 1, close), filter));
        i = close + 1;
      }
    } else {
      terms.add(term(text, filter));
    }
    return item -> {
      JsonNode json = tree(item);
      return terms.stream().allMatch(term -> holds(term, json));
    };
  }

  /** The index of the ')' that closes the '(' at {@code open}, skipping quoted text. */
  private static int closing(String text, int open, String filter) {
    if (text.charAt(open) != '(') {
      throw invalid(filter);
    }
    char quote = 0;
    for (int i = open + 1; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == ')') {
        return i;
      }
    }
    throw invalid(filter);
  }

  private static Term term(String text, String filter) {
    Matcher m = TERM.matcher(text);
    if (!m.matches()) {
      throw invalid(filter);
    }
    String literal = m.group(4) != null ? m.group(4) : m.group(5) != null ? m.group(5) : m.group(6);
    try {
      return new Term(m.group(1).split("\\."), m.group(2).equals("eq"), Pattern.compile(literal));
    } catch (PatternSyntaxException e) {
      throw ApiError.invalid("Invalid value for field 'filter': '" + filter + "'. Invalid regular expression: " + e.getDescription());
    }
  }

  private static boolean holds(Term term, JsonNode json) {
    JsonNode node = json;
    for (String field : term.path()) {
      node = node == null ? null : node.get(field);
    }
    List<String> values = new ArrayList<>();
    if (node == null || node.isNull()) {
      values.add("");
    } else if (node.isArray()) {
      node.forEach(element -> values.add(element.asText()));
    } else {
      values.add(node.asText());
    }
    boolean matches = values.stream().anyMatch(value -> term.pattern().matcher(value).matches());
    return matches == term.equal();
  }

  private static JsonNode tree(MessageOrBuilder item) {
    try {
      return MAPPER.readTree(Json.print(item));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ApiError invalid(String filter) {
    return ApiError.invalid("Invalid value for field 'filter': '" + filter + "'. The fake understands only 'field eq|ne regex' terms,"
        + " alone or each in parentheses.");
  }
}
