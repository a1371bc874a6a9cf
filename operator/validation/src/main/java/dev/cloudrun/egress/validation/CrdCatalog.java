package dev.cloudrun.egress.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Validators for the CRDs committed in crds/, which this module has on its classpath under /crds
 * (see operator/validation/pom.xml's resources): one per served version of each.
 */
public final class CrdCatalog {
  /** The committed CRDs, as classpath resources. */
  public static final List<String> COMMITTED = List.of(
      "/crds/cloudrunegressjobs.egress.cloudrun.dev-v1.yml",
      "/crds/egresspolicies.egress.cloudrun.dev-v1.yml");

  private final List<CrdValidator> validators;

  private CrdCatalog(List<CrdValidator> validators) {
    this.validators = List.copyOf(validators);
  }

  /** The committed CRDs, judged in the words of Kubernetes 1.36's API server (see ServerMessages). */
  public static CrdCatalog committed() {
    return fromClasspath(COMMITTED);
  }

  public static CrdCatalog fromClasspath(List<String> resources) {
    List<CrdValidator> validators = new ArrayList<>();
    YAMLMapper yaml = new YAMLMapper();
    for (String resource : resources) {
      try (InputStream in = CrdCatalog.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("No CRD " + resource + " on the classpath (the validation module's resources hold crds/)");
        }
        JsonNode crd = yaml.readTree(in);
        for (JsonNode version : crd.at("/spec/versions")) {
          if (version.path("served").asBoolean(true)) {
            validators.add(new CrdValidator(crd, version.path("name").asText()));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + resource, e);
      }
    }
    return new CrdCatalog(validators);
  }

  /** The validator of a manifest's apiVersion and kind. */
  public Optional<CrdValidator> forResource(String apiVersion, String kind) {
    return validators.stream().filter(v -> v.apiVersion().equals(apiVersion) && v.kind().equals(kind)).findFirst();
  }

  /** Whether a manifest's apiVersion and kind look meant for these CRDs: their group, or one of their kinds. */
  public boolean claims(String apiVersion, String kind) {
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    return validators.stream().anyMatch(v -> (!group.isEmpty() && v.apiVersion().startsWith(group + "/")) || v.kind().equalsIgnoreCase(kind));
  }

  public List<CrdValidator> validators() {
    return validators;
  }
}
