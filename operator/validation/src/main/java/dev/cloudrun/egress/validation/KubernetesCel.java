package dev.cloudrun.egress.validation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles and evaluates CEL the way Kubernetes does for CRD rules and admission policies, with
 * cel-java. Only the standard library and macros are declared: a rule that leans on a
 * Kubernetes-only extension fails to compile here, which keeps our rules portable across
 * Kubernetes versions. Variables are dynamically typed and bound to JSON values.
 */
public final class KubernetesCel {

  private final CelCompiler compiler;
  private final CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder().build();
  private final Map<String, CelRuntime.Program> programs = new ConcurrentHashMap<>();

  public KubernetesCel(String... variables) {
    var builder = CelCompilerFactory.standardCelCompilerBuilder()
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS);
    for (String variable : variables) {
      builder.addVar(variable, SimpleType.DYN);
    }
    this.compiler = builder.build();
  }

  /** Compiles an expression; throws with the compiler's own message if it does not compile. */
  public CelRuntime.Program compile(String expression) {
    return programs.computeIfAbsent(expression, e -> {
      CelValidationResult result = compiler.compile(e);
      if (result.hasError()) {
        throw new IllegalArgumentException("CEL does not compile: " + e + "\n" + result.getErrorString());
      }
      try {
        CelAbstractSyntaxTree ast = result.getAst();
        return runtime.createProgram(ast);
      } catch (Exception ex) {
        throw new IllegalArgumentException("CEL cannot be planned: " + e, ex);
      }
    });
  }

  /** Evaluates an expression with variables bound to JSON values (null: the variable is absent). */
  public Object eval(String expression, Map<String, JsonNode> variables) throws CelEvaluationException {
    Map<String, Object> bound = new HashMap<>();
    variables.forEach((name, value) -> {
      if (value != null) {
        bound.put(name, toCel(value));
      }
    });
    return evalCel(expression, bound);
  }

  /**
   * Evaluates an expression with variables bound to values already in CEL form: JSON converted by
   * {@link #toCel}, or results of other expressions (as admission policy variables are).
   */
  public Object evalCel(String expression, Map<String, Object> variables) throws CelEvaluationException {
    return compile(expression).eval(variables);
  }

  /** JSON to CEL values: objects become maps, integers int (Long), other numbers double. */
  public static Object toCel(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      node.properties().forEach(e -> map.put(e.getKey(), toCel(e.getValue())));
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(item -> list.add(toCel(item)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.longValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isNull()) {
      // The API server drops nulls before validation; callers must do the same.
      throw new IllegalArgumentException("null has no place in a validated object");
    }
    return node.asText();
  }
}
