package dev.cloudrun.egress.gcp.fake;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compute Engine batch requests (ledger C3), as gcloud sends them for more than one call at a time
 * (a delete of several names, a wait on several operations): one {@code multipart/mixed} POST to
 * {@code /batch/compute/v1} whose parts are each an {@code application/http} request. Each inner
 * request is answered as if it had come alone (counted, faulted and routed like any call), and the
 * answer is {@code multipart/mixed} with one {@code application/http} response per part, in the
 * parts' order, each with the part's {@code Content-ID} preceded by {@code response-}.
 */
final class ComputeBatch {
  static final String PATH = "/batch/compute/v1";
  /** "You're limited to 1000 calls in a single batch request." */
  static final int MAX_CALLS = 1000;
  private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(?:\"([^\"]+)\"|([^;\\s]+))");
  private static final AtomicLong BOUNDARIES = new AtomicLong();

  /** Answers one inner request: {@link HttpFront#answer}. */
  interface Inner {
    HttpFront.Answer answer(String method, String path, String rawQuery, String body);
  }

  private record Part(String contentId, String method, String target, String body) {}

  private ComputeBatch() {}

  static HttpFront.Answer answer(String contentType, String body, Inner inner) {
    List<Part> parts;
    try {
      parts = parse(contentType, body);
    } catch (ApiError e) {
      return new HttpFront.Answer(e.httpStatus, Json.errorBody(e, true));
    }
    String boundary = "batch_fake_gcp_" + BOUNDARIES.incrementAndGet();
    StringBuilder out = new StringBuilder();
    for (Part part : parts) {
      URI target = URI.create(part.target());
      HttpFront.Answer answer = inner.answer(part.method(), target.getPath(), target.getRawQuery(), part.body());
      out.append("--").append(boundary).append("\r\n")
          .append("Content-Type: application/http\r\n");
      if (part.contentId() != null) {
        out.append("Content-ID: ").append(responseId(part.contentId())).append("\r\n");
      }
      out.append("\r\n")
          .append("HTTP/1.1 ").append(answer.status()).append(' ').append(ApiError.reasonPhrase(answer.status())).append("\r\n")
          .append("Content-Type: ").append(answer.contentType()).append("\r\n")
          .append("Content-Length: ").append(answer.body().getBytes(StandardCharsets.UTF_8).length).append("\r\n")
          .append("\r\n")
          .append(answer.body()).append("\r\n");
    }
    out.append("--").append(boundary).append("--\r\n");
    return new HttpFront.Answer(200, out.toString(), "multipart/mixed; boundary=" + boundary);
  }

  /** {@code <id>} becomes {@code <response-id>}; an id without angle brackets gains the prefix alone. */
  private static String responseId(String contentId) {
    String id = contentId.trim();
    return id.startsWith("<") ? "<response-" + id.substring(1) : "response-" + id;
  }

  private static List<Part> parse(String contentType, String body) {
    Matcher m = BOUNDARY.matcher(contentType == null ? "" : contentType);
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/mixed") || !m.find()) {
      throw ApiError.invalid("A batch request must be multipart/mixed with a boundary; got Content-Type '" + contentType + "'.");
    }
    String delimiter = "--" + (m.group(1) != null ? m.group(1) : m.group(2));
    List<Part> parts = new ArrayList<>();
    String[] chunks = body.split(Pattern.quote(delimiter), -1);
    // chunks[0] is the preamble; the chunk after the close delimiter starts with "--".
    for (int i = 1; i < chunks.length; i++) {
      String chunk = chunks[i];
      if (chunk.startsWith("--")) {
        break;
      }
      parts.add(part(stripLineBreaks(chunk)));
      if (parts.size() > MAX_CALLS) {
        throw ApiError.invalid("A batch request may hold at most " + MAX_CALLS + " calls.");
      }
    }
    if (parts.isEmpty()) {
      throw ApiError.invalid("The batch request holds no part.");
    }
    return parts;
  }

  /** One part: MIME headers, a blank line, then an HTTP request (request line, headers, blank line, body). */
  private static Part part(String chunk) {
    String[] mime = splitHead(chunk);
    String contentId = header(mime[0], "Content-ID");
    String[] http = splitHead(mime[1]);
    String[] lines = http[0].split("\r?\n");
    String[] requestLine = lines[0].trim().split(" ");
    if (requestLine.length < 2) {
      throw ApiError.invalid("A batch part must hold an HTTP request; got '" + lines[0] + "'.");
    }
    String method = requestLine[0].toUpperCase(Locale.ROOT);
    String override = header(http[0], "X-HTTP-Method-Override");
    String target = requestLine[1];
    if (target.startsWith("http://") || target.startsWith("https://")) {
      URI uri = URI.create(target);
      target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }
    return new Part(contentId, override != null ? override.trim() : method, target, http[1]);
  }

  /** Head and body, split at the first blank line; the body loses the line break that ends it. */
  private static String[] splitHead(String text) {
    Matcher blank = Pattern.compile("\r?\n\r?\n").matcher(text);
    if (!blank.find()) {
      return new String[] {text, ""};
    }
    return new String[] {text.substring(0, blank.start()), stripTrailingLineBreak(text.substring(blank.end()))};
  }

  private static String header(String head, String name) {
    for (String line : head.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  private static String stripLineBreaks(String chunk) {
    String text = chunk.startsWith("\r\n") ? chunk.substring(2) : chunk.startsWith("\n") ? chunk.substring(1) : chunk;
    return stripTrailingLineBreak(text);
  }

  private static String stripTrailingLineBreak(String text) {
    if (text.endsWith("\r\n")) {
      return text.substring(0, text.length() - 2);
    }
    return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
  }
}
