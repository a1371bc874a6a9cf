package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads YAML manifests (several documents per file) and applies JSON merge patches to them. */
public final class Manifests {
  public static final ObjectMapper YAML = new YAMLMapper();

  private Manifests() {}

  /** The project's top-level directory, whichever module the tests run from. */
  public static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("examples"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no examples/ above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  /**
   * A document of a file in examples/, referenced as corpora do: the path below examples/ without
   * .yaml, and "#N" for the N-th document (e.g. "04-shared-connector#1", "policies/01-shared-network").
   */
  public static JsonNode example(String reference) {
    String[] parts = reference.split("#");
    List<JsonNode> documents = readAll(projectRoot().resolve("examples/" + parts[0] + ".yaml"));
    return documents.get(parts.length > 1 ? Integer.parseInt(parts[1]) : 0);
  }

  public static List<JsonNode> readAll(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return readAll(in);
    } catch (IOException e) {
      throw new UncheckedIOException(file.toString(), e);
    }
  }

  public static List<JsonNode> readAll(InputStream in) throws IOException {
    List<JsonNode> documents = new ArrayList<>();
    try (var parser = new YAMLFactory().createParser(in)) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(doc -> {
        if (doc != null && !doc.isMissingNode() && !doc.isNull()) {
          documents.add(doc);
        }
      });
    }
    return documents;
  }

  public static JsonNode readOne(Path file) {
    List<JsonNode> all = readAll(file);
    if (all.size() != 1) {
      throw new IllegalArgumentException(file + " holds " + all.size() + " documents, expected 1");
    }
    return all.get(0);
  }

  /** The texts of a JSON array (empty when the node is missing). */
  public static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(n -> texts.add(n.asText()));
    return texts;
  }

  /** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
  public static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result = target != null && target.isObject() ? target.deepCopy() : YAML.createObjectNode();
    patch.properties().forEach(p -> {
      if (p.getValue().isNull()) {
        result.remove(p.getKey());
      } else {
        result.set(p.getKey(), mergePatch(result.get(p.getKey()), p.getValue()));
      }
    });
    return result;
  }
}
