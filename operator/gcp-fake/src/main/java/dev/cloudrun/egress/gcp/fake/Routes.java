package dev.cloudrun.egress.gcp.fake;

import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The REST surface: path templates as the generated HttpJson stubs declare them. */
final class Routes {
  /**
   * One decoded call; {@code api} and {@code method} name it for accounting and faults. {@code host}
   * is the Host header without its port (the regional host gcloud names through an HTTP proxy), or null.
   */
  record Request(String api, String method, Map<String, String> path, Map<String, String> query, String body, String host) {
    String path(String name) {
      return path.get(name);
    }

    String query(String name) {
      return query.getOrDefault(name, "");
    }

    int intQuery(String name) {
      String value = query(name);
      try {
        return value.isEmpty() ? 0 : Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw ApiError.invalid("Invalid value at '" + name + "' (TYPE_INT32), \"" + value + "\"");
      }
    }

    boolean boolQuery(String name) {
      return Boolean.parseBoolean(query(name));
    }

    <B extends Message.Builder> B body(B builder) {
      return Json.parse(body, builder);
    }
  }

  /** Answers a proto message (printed with protobuf's JSON mapping) or a Jackson tree (printed as it is). */
  interface Handler {
    Object handle(Request request);
  }

  record Route(String api, String method, String httpMethod, Pattern pattern, List<String> variables, Handler handler) {
    boolean isRead() {
      return httpMethod.equals("GET");
    }
  }

  record Match(Route route, Map<String, String> variables) {}

  private static final Pattern VARIABLE = Pattern.compile("\\{(\\w+)}");

  private final List<Route> routes = new ArrayList<>();

  /** {@code template} like "/v2/projects/{project}/locations/{location}/jobs/{job}:run". */
  void add(String api, String method, String httpMethod, String template, Handler handler) {
    List<String> variables = new ArrayList<>();
    Matcher matcher = VARIABLE.matcher(template);
    StringBuilder regex = new StringBuilder();
    int last = 0;
    while (matcher.find()) {
      regex.append(Pattern.quote(template.substring(last, matcher.start()))).append("([^/:]+)");
      variables.add(matcher.group(1));
      last = matcher.end();
    }
    regex.append(Pattern.quote(template.substring(last)));
    routes.add(new Route(api, method, httpMethod, Pattern.compile(regex.toString()), variables, handler));
  }

  Optional<Match> match(String httpMethod, String path) {
    for (Route route : routes) {
      Matcher matcher = route.pattern().matcher(path);
      if (route.httpMethod().equals(httpMethod) && matcher.matches()) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < route.variables().size(); i++) {
          values.put(route.variables().get(i), matcher.group(i + 1));
        }
        return Optional.of(new Match(route, values));
      }
    }
    return Optional.empty();
  }
}
