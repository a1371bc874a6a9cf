package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Kubernetes RBAC as the API server's authorizer applies it, over rendered manifests: the rules
 * granted to one service account through (Cluster)RoleBindings, whether they allow a request, and
 * the rules a SelfSubjectRulesReview reports for a namespace.
 */
public final class Rbac {

  /**
   * A request's attributes as the API server's RequestInfoResolver derives them from method and
   * path. {@code namespace} and {@code name} are null where the path has none (cluster scope, a
   * collection, a create); {@code resource} is null for a non-resource path such as /version.
   */
  public record Request(String verb, String apiGroup, String resource, String subresource, String namespace, String name, String path) {

    public static Request of(String method, String uri) {
      URI parsed = URI.create(uri);
      String path = parsed.getPath();
      boolean watch = parsed.getQuery() != null && Pattern.compile("(^|&)watch=(true|1)(&|$)").matcher(parsed.getQuery()).find();
      List<String> segments = new ArrayList<>(List.of(path.replaceAll("^/+|/+$", "").split("/")));
      String group;
      if (segments.size() >= 2 && segments.get(0).equals("api")) {
        group = "";
        segments = segments.subList(2, segments.size());
      } else if (segments.size() >= 3 && segments.get(0).equals("apis")) {
        group = segments.get(1);
        segments = segments.subList(3, segments.size());
      } else {
        return new Request(method.toLowerCase(), null, null, null, null, null, path);
      }
      String namespace = null;
      // /namespaces/NAME is the namespace itself; /namespaces/NAME/RESOURCE... is inside it.
      if (segments.size() >= 3 && segments.get(0).equals("namespaces")) {
        namespace = segments.get(1);
        segments = segments.subList(2, segments.size());
      }
      String resource = segments.get(0);
      String name = segments.size() > 1 ? segments.get(1) : null;
      String subresource = segments.size() > 2 ? segments.get(2) : null;
      String verb = switch (method.toUpperCase()) {
        case "GET", "HEAD" -> watch ? "watch" : name == null ? "list" : "get";
        case "POST" -> "create";
        case "PUT" -> "update";
        case "PATCH" -> "patch";
        case "DELETE" -> name == null ? "deletecollection" : "delete";
        default -> throw new IllegalArgumentException("no RBAC verb for HTTP " + method);
      };
      return new Request(verb, group, resource, subresource, namespace, name, path);
    }

    public boolean isResource() {
      return resource != null;
    }

    /** The resource as RBAC rules name it: "cloudrunegressjobs" or "cloudrunegressjobs/status". */
    public String ruleResource() {
      return subresource == null ? resource : resource + "/" + subresource;
    }

    @Override
    public String toString() {
      return isResource()
          ? verb + " " + (apiGroup.isEmpty() ? "core" : apiGroup) + " " + ruleResource() + (name == null ? "" : " " + name)
              + (namespace == null ? "" : " in " + namespace)
          : verb + " " + path;
    }
  }

  /** One PolicyRule of a Role or ClusterRole. */
  public record Rule(List<String> apiGroups, List<String> resources, List<String> verbs, List<String> resourceNames, String source) {

    static Rule of(JsonNode rule, String source) {
      return new Rule(Manifests.texts(rule.path("apiGroups")), Manifests.texts(rule.path("resources")),
          Manifests.texts(rule.path("verbs")), Manifests.texts(rule.path("resourceNames")), source);
    }

    public boolean allows(Request request) {
      return request.isResource()
          && matches(apiGroups, request.apiGroup())
          && matches(resources, request.ruleResource())
          && matches(verbs, request.verb())
          && (resourceNames.isEmpty() || request.name() != null && resourceNames.contains(request.name()));
    }

    private static boolean matches(List<String> values, String value) {
      return values.contains(value) || values.contains("*");
    }
  }

  /** A rule granted in one namespace, or in all of them and at cluster scope (namespace null). */
  public record Grant(String namespace, Rule rule) {
    public boolean allows(Request request) {
      return (namespace == null || namespace.equals(request.namespace())) && rule.allows(request);
    }
  }

  /**
   * What Kubernetes' bootstrap ClusterRoles give every authenticated user (system:basic-user,
   * system:discovery, system:public-info-viewer), so a chart need not and should not grant it.
   */
  public static final List<Rule> AUTHENTICATED_USER_DEFAULTS = List.of(
      new Rule(List.of("authorization.k8s.io"), List.of("selfsubjectaccessreviews", "selfsubjectrulesreviews"), List.of("create"), List.of(),
          "system:basic-user"),
      new Rule(List.of("authentication.k8s.io"), List.of("selfsubjectreviews"), List.of("create"), List.of(), "system:basic-user"));
  private static final Pattern DISCOVERY_PATHS = Pattern.compile("^/(api|apis|openapi)(/.*)?$|^/(version|healthz|livez|readyz)/?$");

  private final List<Grant> grants;

  private Rbac(List<Grant> grants) {
    this.grants = List.copyOf(grants);
  }

  /** The rules bound to the service account {@code namespace/name} by these manifests. */
  public static Rbac forServiceAccount(List<JsonNode> manifests, String namespace, String name) {
    List<Grant> grants = new ArrayList<>();
    for (JsonNode binding : manifests) {
      String kind = binding.path("kind").asText();
      if (!kind.equals("ClusterRoleBinding") && !kind.equals("RoleBinding") || !bindsTo(binding, namespace, name)) {
        continue;
      }
      String bindingNamespace = kind.equals("RoleBinding") ? binding.at("/metadata/namespace").asText() : null;
      String roleKind = binding.at("/roleRef/kind").asText();
      String roleName = binding.at("/roleRef/name").asText();
      JsonNode role = manifests.stream()
          .filter(m -> m.path("kind").asText().equals(roleKind) && m.at("/metadata/name").asText().equals(roleName)
              && (roleKind.equals("ClusterRole") || m.at("/metadata/namespace").asText().equals(bindingNamespace)))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException(kind + " " + binding.at("/metadata/name").asText() + " refers to a missing " + roleKind + " " + roleName));
      String source = roleKind + " " + (bindingNamespace == null ? "" : bindingNamespace + "/") + roleName;
      role.path("rules").forEach(rule -> grants.add(new Grant(bindingNamespace, Rule.of(rule, source))));
    }
    return new Rbac(grants);
  }

  private static boolean bindsTo(JsonNode binding, String namespace, String name) {
    for (JsonNode subject : binding.path("subjects")) {
      if (subject.path("kind").asText().equals("ServiceAccount") && subject.path("name").asText().equals(name)
          && subject.path("namespace").asText().equals(namespace)) {
        return true;
      }
    }
    return false;
  }

  public List<Grant> grants() {
    return grants;
  }

  /** Which grant allows the request: the chart's first, then the defaults of every authenticated user. */
  public Optional<String> allowedBy(Request request) {
    if (!request.isResource()) {
      return request.verb().equals("get") && DISCOVERY_PATHS.matcher(request.path()).matches() ? Optional.of("system:discovery") : Optional.empty();
    }
    return grants.stream().filter(g -> g.allows(request)).map(g -> g.rule().source()).findFirst()
        .or(() -> AUTHENTICATED_USER_DEFAULTS.stream().filter(r -> r.allows(request)).map(Rule::source).findFirst());
  }

  /** The rules in effect in a namespace, as a SelfSubjectRulesReview reports them. */
  public List<Rule> rulesIn(String namespace) {
    List<Rule> rules = new ArrayList<>(AUTHENTICATED_USER_DEFAULTS);
    grants.stream().filter(g -> g.namespace() == null || g.namespace().equals(namespace)).map(Grant::rule).forEach(rules::add);
    return rules;
  }
}
