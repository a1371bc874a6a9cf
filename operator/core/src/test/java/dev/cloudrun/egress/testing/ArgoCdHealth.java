package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LoadState;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.jse.JseBaseLib;
import org.luaj.vm2.lib.jse.JseMathLib;

/**
 * The chart's Argo CD health check (argocd/health.lua, the file users copy into argocd-cm) run
 * under LuaJ the way Argo CD runs it: the resource as the global {@code obj} (objects as tables,
 * arrays as tables from 1), a table {@code {status, message}} returned, and only the base,
 * package, string, table and math libraries, so a script that needs os or io fails here too.
 */
public final class ArgoCdHealth {
  /** The argocd-cm key Argo CD looks the check up under. */
  public static final String ARGOCD_CM_KEY = "resource.customizations.health.egress.cloudrun.dev_CloudRunEgressJob";

  public record Health(String status, String message) {}

  private ArgoCdHealth() {}

  public static Path script() {
    return Manifests.projectRoot().resolve("charts/cloudrun-egress-operator/argocd/health.lua");
  }

  public static Health of(JsonNode resource) {
    Globals globals = new Globals();
    globals.load(new JseBaseLib());
    globals.load(new PackageLib());
    globals.load(new StringLib());
    globals.load(new TableLib());
    globals.load(new JseMathLib());
    LoadState.install(globals);
    LuaC.install(globals);
    globals.set("obj", toLua(resource));
    try {
      LuaValue result = globals.load(Files.readString(script()), "health.lua").call();
      if (!result.istable()) {
        throw new IllegalStateException("health.lua returned " + result.typename() + ", not a table");
      }
      return new Health(result.get("status").tojstring(), result.get("message").optjstring(null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static LuaValue toLua(JsonNode node) {
    if (node.isObject()) {
      LuaTable table = new LuaTable();
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        table.set(field.getKey(), toLua(field.getValue()));
      }
      return table;
    }
    if (node.isArray()) {
      LuaTable table = new LuaTable();
      for (int i = 0; i < node.size(); i++) {
        table.set(i + 1, toLua(node.get(i)));
      }
      return table;
    }
    if (node.isIntegralNumber()) {
      return LuaValue.valueOf(node.asLong());
    }
    if (node.isNumber()) {
      return LuaValue.valueOf(node.asDouble());
    }
    if (node.isBoolean()) {
      return LuaValue.valueOf(node.asBoolean());
    }
    return node.isNull() ? LuaValue.NIL : LuaValue.valueOf(node.asText());
  }
}
