package dev.cloudrun.egress.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.testing.Crds;
import dev.cloudrun.egress.testing.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CRD users install comes from crds/ or the Helm chart; both must be exactly what the build
 * generated from the model. `mvn verify -DupdateCrds=true` rewrites them.
 */
class CommittedCrdsTest {

  private static final List<String> COMMITTED_DIRS = List.of("crds", "charts/cloudrun-egress-operator/crds");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {Crds.CLOUD_RUN_EGRESS_JOB_FILE, Crds.EGRESS_POLICY_FILE})
  void committedCopiesEqualTheGeneratedCrd(String file) throws IOException {
    Path generated = Crds.generatedDir().resolve(file);
    String expected = Files.readString(generated);
    for (String dir : COMMITTED_DIRS) {
      Path committed = Manifests.projectRoot().resolve(dir).resolve(file);
      if (Boolean.getBoolean("updateCrds")) {
        Files.createDirectories(committed.getParent());
        Files.writeString(committed, expected);
      }
      assertThat(committed).exists();
      assertThat(Files.readString(committed))
          .as("%s differs from the CRD generated from the model; run: mvn -B verify -DupdateCrds=true", committed)
          .isEqualTo(expected);
    }
  }
}
