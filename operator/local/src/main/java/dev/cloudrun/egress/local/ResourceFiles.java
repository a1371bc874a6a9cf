package dev.cloudrun.egress.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.validation.CrdCatalog;
import dev.cloudrun.egress.validation.CrdValidator;
import dev.cloudrun.egress.validation.Review;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The CloudRunEgressJobs in the files and directories given to local mode, in the order given
 * (files in a directory by name). Every document is first judged as the API server would judge it
 * (the CRDs of crds/, strict field validation as kubectl asks for it): if any would be refused,
 * nothing is returned and {@link Refused} carries what kubectl would print for each.
 */
final class ResourceFiles {
  record Resource(CloudRunEgressJob cr, Path file) {}

  /** Documents the API server would refuse: the messages for each, then how many were read. */
  static final class Refused extends RuntimeException {
    private final List<String> refusals;
    private final int documents;

    Refused(List<String> refusals, int documents) {
      super(refusals.size() + " of " + documents + " documents refused");
      this.refusals = List.copyOf(refusals);
      this.documents = documents;
    }

    /** One entry per refused document: "FILE (document N, KIND NAMESPACE/NAME): MESSAGE", several lines maybe. */
    List<String> refusals() {
      return refusals;
    }

    int documents() {
      return documents;
    }
  }

  private static final Pattern SEPARATOR = Pattern.compile("^---\\s*(#.*)?$");
  private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'", Pattern.DOTALL);
  private static final YAMLMapper YAML = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private ResourceFiles() {}

  /**
   * @throws IllegalArgumentException when a path does not exist
   * @throws Refused when the API server would refuse a document
   */
  static List<Resource> read(List<Path> paths, PrintWriter out) {
    return read(paths, CrdCatalog.committed(), out);
  }

  static List<Resource> read(List<Path> paths, CrdCatalog crds, PrintWriter out) {
    Reading reading = new Reading(crds, out);
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        for (Path entry : list(path)) {
          if (Files.isDirectory(entry)) {
            out.println("  skipped " + entry + "/ (subdirectories are not read)");
          } else if (entry.toString().endsWith(".yaml") || entry.toString().endsWith(".yml")) {
            reading.file(entry);
          }
        }
      } else if (Files.isRegularFile(path)) {
        reading.file(path);
      } else {
        throw new IllegalArgumentException("No such file or directory: " + path);
      }
    }
    if (!reading.refusals.isEmpty()) {
      throw new Refused(reading.refusals, reading.documents);
    }
    return reading.resources;
  }

  private static List<Path> list(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** A YAML document of a file and the line it starts on. */
  record Document(String text, int firstLine) {}

  /** The documents of a YAML stream, split at "---" lines. */
  static List<Document> split(String yaml) {
    List<Document> documents = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int first = 1;
    String[] lines = yaml.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (SEPARATOR.matcher(lines[i]).matches()) {
        documents.add(new Document(current.toString(), first));
        current.setLength(0);
        first = i + 2;
      } else {
        current.append(lines[i]).append('\n');
      }
    }
    documents.add(new Document(current.toString(), first));
    return documents;
  }

  private static final class Reading {
    final CrdCatalog crds;
    final PrintWriter out;
    final List<Resource> resources = new ArrayList<>();
    final List<String> refusals = new ArrayList<>();
    int documents;

    Reading(CrdCatalog crds, PrintWriter out) {
      this.crds = crds;
      this.out = out;
    }

    void file(Path file) {
      String yaml;
      try {
        yaml = Files.readString(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
      int index = 0;
      for (Document document : split(yaml)) {
        JsonNode object;
        try {
          object = YAML.readTree(document.text());
        } catch (JsonProcessingException e) {
          index++;
          documents++;
          refusals.add("%s (document %d): %s".formatted(file, index, yamlError(e, document.firstLine())));
          continue;
        }
        if (object == null || object.isMissingNode() || object.isNull()) {
          continue; // comments only
        }
        index++;
        documents++;
        document(file, index, document.text(), object);
      }
    }

    private void document(Path file, int index, String text, JsonNode object) {
      if (!object.isObject()) {
        refusals.add("%s (document %d): error: unable to decode \"%s\": the document is a YAML %s, not an object with apiVersion, kind and metadata"
            .formatted(file, index, file, object.isArray() ? "list" : "scalar"));
        return;
      }
      String apiVersion = object.path("apiVersion").isTextual() ? object.path("apiVersion").asText() : "";
      String kind = object.path("kind").isTextual() ? object.path("kind").asText() : "";
      String name = object.at("/metadata/name").asText("");
      String namespace = object.at("/metadata/namespace").asText("");
      String what = "%s (document %d, %s".formatted(file, index,
          (kind.isEmpty() ? "no kind" : kind) + " " + (namespace.isEmpty() ? "" : namespace + "/") + (name.isEmpty() ? "(no name)" : name));
      String label = what + ")";
      if (apiVersion.isEmpty() || kind.isEmpty()) {
        List<String> missing = new ArrayList<>();
        if (apiVersion.isEmpty()) {
          missing.add("apiVersion not set");
        }
        if (kind.isEmpty()) {
          missing.add("kind not set");
        }
        refusals.add("%s: error: error validating \"%s\": error validating data: [%s]".formatted(label, file, String.join(", ", missing)));
        return;
      }
      CrdValidator validator = crds.forResource(apiVersion, kind).orElse(null);
      if (validator == null) {
        if (crds.claims(apiVersion, kind)) {
          // as kubectl answers when the cluster serves no such kind
          refusals.add(("%s: error: resource mapping not found for name: \"%s\" namespace: \"%s\" from \"%s\": no matches for kind \"%s\""
              + " in version \"%s\" (the CRDs in crds/ define %s)").formatted(label, name, namespace, file, kind, apiVersion,
              crds.validators().stream().map(v -> v.kind() + " in " + v.apiVersion()).collect(Collectors.joining(" and "))));
        } else {
          out.printf("  skipped %s %s in %s (local mode applies CloudRunEgressJobs only)%n", kind, name, file);
        }
        return;
      }
      Review review = validator.reviewCreate(object);
      if (!review.admitted()) {
        // what kubectl prints, then what it would print next once that is fixed: all at once
        List<String> errors = review.kubectlErrors(file.toString());
        StringBuilder refusal = new StringBuilder(label).append(": ").append(errors.get(0));
        errors.stream().skip(1).forEach(e -> refusal.append('\n').append(what).append(", once that is fixed): ").append(e));
        refusals.add(refusal.toString());
        return;
      }
      if (!CloudRunEgressJob.class.getSimpleName().equals(kind)) {
        out.printf("  skipped %s %s in %s (valid, but local mode applies CloudRunEgressJobs only)%n", kind, name, file);
        return;
      }
      try {
        resources.add(new Resource(Serialization.unmarshal(text, CloudRunEgressJob.class), file));
      } catch (RuntimeException e) {
        // the CRD admits it, the operator's model cannot read it: a bug of this project
        refusals.add("%s: the CRD admits it, but the operator cannot read it (please report this): %s".formatted(label, rootMessage(e)));
      }
    }

    /** A YAML syntax error, in the words of kubectl's YAML-to-JSON conversion, with the file's line. */
    private static String yamlError(JsonProcessingException e, int firstLine) {
      int line = e.getLocation() == null ? -1 : firstLine + e.getLocation().getLineNr() - 1;
      var duplicate = DUPLICATE.matcher(e.getOriginalMessage());
      if (duplicate.find()) {
        return "error converting YAML to JSON: yaml: unmarshal errors:\n  line %d: key \"%s\" already set in map".formatted(line, duplicate.group(1));
      }
      // SnakeYAML's message without its excerpt of the document: "CONTEXT ... PROBLEM"
      String problem = e.getOriginalMessage().lines()
          .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
          .distinct().collect(Collectors.joining(": "));
      return "error converting YAML to JSON: yaml: line %d: %s".formatted(line, problem);
    }

    private static String rootMessage(Throwable e) {
      while (e.getCause() != null && e.getCause() != e) {
        e = e.getCause();
      }
      return e.getMessage();
    }
  }
}
