package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.egress.validation.KubernetesCel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Admits a request through a rendered ValidatingAdmissionPolicy and its binding as the API server
 * does: match constraints (operations, resource, the binding's namespace selector), the param
 * (parameterNotFoundAction when there is none), matchConditions, variables in order (each exposed to
 * later expressions as variables.NAME), then every validation, whose message is its
 * messageExpression when that yields a usable string (see {@link #message}). Expressions that fail
 * to evaluate are handled by failurePolicy. Variables are evaluated eagerly rather than lazily, so
 * one that fails counts even if nothing reads it: stricter than the API server, never laxer.
 *
 * <p>A missing param under parameterNotFoundAction Deny is what the plugin calls a configuration
 * error: failurePolicy alone decides it (Fail refuses whatever the binding's validationActions,
 * Ignore admits), before matchConditions are even looked at.
 */
public final class AdmissionPolicyEvaluator {

  private static final KubernetesCel CEL =
      new KubernetesCel("object", "oldObject", "params", "request", "namespaceObject", "variables");

  private final JsonNode policy;
  private final JsonNode binding;

  public AdmissionPolicyEvaluator(JsonNode policy, JsonNode binding) {
    this.policy = policy;
    this.binding = binding;
  }

  public JsonNode policy() {
    return policy;
  }

  public JsonNode binding() {
    return binding;
  }

  /** What the API server was asked to do; oldObject only on UPDATE, params null when none exists. */
  public record Request(String operation, String resource, JsonNode object, JsonNode oldObject,
      JsonNode params, Map<String, String> namespaceLabels) {}

  /**
   * The outcome: whether the policy applied at all, the messages of the validations that failed,
   * the values of the variables (empty if it did not apply), the binding's actions, and whether the
   * one violation is a configuration error (a missing param under failurePolicy Fail), which the
   * plugin refuses whatever the actions and neither warns about nor audits.
   */
  public record Decision(boolean applied, List<String> violations, Map<String, Object> variables,
      List<String> actions, boolean configurationError) {
    public Decision(boolean applied, List<String> violations, Map<String, Object> variables, List<String> actions) {
      this(applied, violations, variables, actions, false);
    }

    public boolean denied() {
      return configurationError || !violations.isEmpty() && actions.contains("Deny");
    }

    /** What the API server refuses the request with: the first violation, as its plugin does. */
    public String refusal() {
      return denied() ? violations.get(0) : null;
    }

    public List<String> warnings() {
      return !configurationError && actions.contains("Warn") ? violations : List.of();
    }
  }

  /** The plugin's wording of a missing param under parameterNotFoundAction Deny (with failurePolicy Fail). */
  public static final String NO_PARAMS =
      "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction";

  /** The plugin ignores a messageExpression result longer than this, in UTF-8 bytes (MaxEvaluatedMessageExpressionSizeBytes). */
  public static final int MAX_MESSAGE_BYTES = 5 * 1024;

  public Decision admit(Request request) {
    List<String> actions = Manifests.texts(binding.at("/spec/validationActions"));
    if (!matchesConstraints(request) || !matchesNamespace(request.namespaceLabels())) {
      return new Decision(false, List.of(), Map.of(), actions);
    }
    if (request.params() == null && policy.at("/spec/paramKind").isObject() && binding.at("/spec/paramRef").isObject()) {
      // Deny is the API server's default for parameterNotFoundAction.
      boolean deny = !"Allow".equals(binding.at("/spec/paramRef/parameterNotFoundAction").asText());
      if (deny && !"Ignore".equals(policy.at("/spec/failurePolicy").asText())) {
        return new Decision(true, List.of(NO_PARAMS), Map.of(), actions, true);
      }
      return new Decision(false, List.of(), Map.of(), actions);
    }
    Map<String, Object> inputs = inputs(request);
    List<String> violations = new ArrayList<>();
    for (JsonNode condition : policy.at("/spec/matchConditions")) {
      Object matched = evaluate(condition.path("expression").asText(), inputs, violations);
      if (Boolean.FALSE.equals(matched)) {
        return new Decision(false, List.of(), Map.of(), actions);
      }
    }
    Map<String, Object> variables = new LinkedHashMap<>();
    inputs.put("variables", variables);
    for (JsonNode variable : policy.at("/spec/variables")) {
      variables.put(variable.path("name").asText(),
          evaluate(variable.path("expression").asText(), inputs, violations));
    }
    for (JsonNode validation : policy.at("/spec/validations")) {
      String expression = validation.path("expression").asText();
      Object valid = evaluate(expression, inputs, violations);
      if (Boolean.FALSE.equals(valid)) {
        violations.add(message(validation, inputs));
      }
    }
    return new Decision(true, violations, variables, actions);
  }

  private boolean matchesConstraints(Request request) {
    for (JsonNode rule : policy.at("/spec/matchConstraints/resourceRules")) {
      String[] apiVersion = request.object().path("apiVersion").asText().split("/");
      if (Manifests.texts(rule.path("apiGroups")).contains(apiVersion[0])
          && Manifests.texts(rule.path("apiVersions")).contains(apiVersion[1])
          && Manifests.texts(rule.path("resources")).contains(request.resource())
          && Manifests.texts(rule.path("operations")).contains(request.operation())) {
        return true;
      }
    }
    return false;
  }

  /** The binding's namespaceSelector; only matchLabels is modelled, the tests set nothing else. */
  private boolean matchesNamespace(Map<String, String> labels) {
    JsonNode selector = binding.at("/spec/matchResources/namespaceSelector");
    if (selector.has("matchExpressions")) {
      throw new UnsupportedOperationException("namespaceSelector.matchExpressions is not modelled");
    }
    Map<String, String> required = new HashMap<>();
    selector.path("matchLabels").properties().forEach(e -> required.put(e.getKey(), e.getValue().asText()));
    return required.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  private static Map<String, Object> inputs(Request request) {
    JsonNode object = request.object();
    String namespace = object.at("/metadata/namespace").asText();
    ObjectNode admission = Manifests.YAML.createObjectNode();
    admission.put("operation", request.operation());
    admission.put("namespace", namespace);
    admission.put("name", object.at("/metadata/name").asText());
    String[] apiVersion = object.path("apiVersion").asText().split("/");
    admission.putObject("kind").put("group", apiVersion[0]).put("version", apiVersion[1])
        .put("kind", object.path("kind").asText());
    admission.putObject("resource").put("group", apiVersion[0]).put("version", apiVersion[1])
        .put("resource", request.resource());
    admission.putObject("userInfo").put("username", "application-team");
    ObjectNode namespaceObject = Manifests.YAML.createObjectNode();
    namespaceObject.put("apiVersion", "v1").put("kind", "Namespace");
    ObjectNode namespaceLabels = namespaceObject.putObject("metadata").put("name", namespace).putObject("labels");
    namespaceLabels.put("kubernetes.io/metadata.name", namespace);
    request.namespaceLabels().forEach(namespaceLabels::put);

    Map<String, Object> inputs = new HashMap<>();
    inputs.put("object", KubernetesCel.toCel(object));
    if (request.oldObject() != null) {
      inputs.put("oldObject", KubernetesCel.toCel(request.oldObject()));
    }
    if (request.params() != null) {
      inputs.put("params", KubernetesCel.toCel(request.params()));
    }
    inputs.put("request", KubernetesCel.toCel(admission));
    inputs.put("namespaceObject", KubernetesCel.toCel(namespaceObject));
    return inputs;
  }

  /** Evaluates an expression; on error applies failurePolicy (Fail: a violation) and yields null. */
  private Object evaluate(String expression, Map<String, Object> inputs, List<String> violations) {
    try {
      return CEL.evalCel(expression, inputs);
    } catch (Exception e) {
      if (!"Ignore".equals(policy.at("/spec/failurePolicy").asText())) {
        violations.add("expression '" + expression + "' resulted in error: " + e.getMessage());
      }
      return null;
    }
  }

  /**
   * A failed validation's message as the plugin picks it: the messageExpression's result, trimmed,
   * unless it is not a string, fails, is empty, is longer than {@link #MAX_MESSAGE_BYTES} in UTF-8 or
   * holds a line break; then the static message, trimmed; without one, "failed expression: " and the
   * expression.
   */
  public static String message(JsonNode validation, Map<String, Object> inputs) {
    if (validation.has("messageExpression")) {
      try {
        Object message = CEL.evalCel(validation.get("messageExpression").asText(), inputs);
        if (message instanceof String text && usableMessage(trimSpace(text))) {
          return trimSpace(text);
        }
      } catch (Exception e) {
        // The API server falls back to the static message too.
      }
    }
    String message = trimSpace(validation.path("message").asText(""));
    return !message.isEmpty() ? message : "failed expression: " + trimSpace(validation.path("expression").asText());
  }

  /** Go's strings.TrimSpace: Unicode white space (unicode.IsSpace) off both ends. */
  static String trimSpace(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && isGoSpace(text.charAt(start))) {
      start++;
    }
    while (end > start && isGoSpace(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(start, end);
  }

  private static boolean isGoSpace(char c) {
    return Character.isSpaceChar(c) || "\t\n\u000B\f\r\u0085".indexOf(c) >= 0;
  }

  /** Whether the plugin keeps a (trimmed) messageExpression result rather than falling back. */
  public static boolean usableMessage(String trimmed) {
    return !trimmed.isEmpty() && trimmed.getBytes(StandardCharsets.UTF_8).length <= MAX_MESSAGE_BYTES
        && trimmed.indexOf('\n') < 0;
  }
}
