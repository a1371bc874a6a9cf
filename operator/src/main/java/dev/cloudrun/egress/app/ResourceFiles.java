package dev.cloudrun.egress.app;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The CloudRunEgressJobs in the files and directories given to local mode, in the order given (files in a directory by name). */
final class ResourceFiles {
  record Resource(CloudRunEgressJob cr, Path file) {}

  private ResourceFiles() {}

  /** @throws IllegalArgumentException when a path does not exist */
  static List<Resource> read(List<Path> paths, PrintWriter out) {
    List<Resource> resources = new ArrayList<>();
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        for (Path entry : list(path)) {
          if (Files.isDirectory(entry)) {
            out.println("  skipped " + entry + "/ (subdirectories are not read)");
          } else if (entry.toString().endsWith(".yaml") || entry.toString().endsWith(".yml")) {
            resources.addAll(readFile(entry, out));
          }
        }
      } else if (Files.isRegularFile(path)) {
        resources.addAll(readFile(path, out));
      } else {
        throw new IllegalArgumentException("No such file or directory: " + path);
      }
    }
    return resources;
  }

  private static List<Path> list(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  private static List<Resource> readFile(Path file, PrintWriter out) {
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    List<Resource> resources = new ArrayList<>();
    for (String document : yaml.split("(?m)^---\\s*$")) {
      GenericKubernetesResource object = Serialization.unmarshal(document, GenericKubernetesResource.class);
      if (object == null || object.getKind() == null) {
        continue; // comments only
      }
      if (!"CloudRunEgressJob".equals(object.getKind())) {
        out.printf("  skipped %s %s in %s (local mode applies CloudRunEgressJobs only)%n", object.getKind(), object.getMetadata().getName(), file);
        continue;
      }
      resources.add(new Resource(Serialization.unmarshal(document, CloudRunEgressJob.class), file));
    }
    return resources;
  }
}
