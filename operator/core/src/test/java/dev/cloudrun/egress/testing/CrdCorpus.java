package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The validation corpus in src/test/resources/crd-corpus: each case an example (base) with a JSON
 * merge patch, for updates also the old version, and the text its refusal must contain.
 */
public final class CrdCorpus {
  private CrdCorpus() {}

  /**
   * @param old the version the case updates from, or null for a create
   * @param error text the refusal must contain; null for an accepted case
   */
  public record Case(String name, JsonNode old, JsonNode object, String error) {
    public String kind() {
      return object.path("kind").asText();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** The cases of one corpus file, e.g. "rejected.yaml". */
  public static List<Case> load(String file) {
    List<Case> cases = new ArrayList<>();
    try (InputStream in = CrdCorpus.class.getResourceAsStream("/crd-corpus/" + file)) {
      if (in == null) {
        throw new IllegalArgumentException("no corpus file " + file);
      }
      for (JsonNode c : Manifests.readAll(in).get(0)) {
        JsonNode base = Manifests.example(c.path("base").asText());
        JsonNode old = c.has("old") ? Manifests.mergePatch(base, c.get("old")) : null;
        cases.add(new Case(c.path("name").asText(), old, Manifests.mergePatch(base, c.path("patch")), c.path("error").asText(null)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(file, e);
    }
    return cases;
  }
}
