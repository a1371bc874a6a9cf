package dev.cloudrun.egress.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The image ships the product only. The Dockerfile copies the operator's runtime classpath
 * (maven-dependency-plugin, scope runtime); the build writes the same resolution to a file before
 * the tests (execution image-classpath in operator/core/pom.xml), and this reads it.
 */
class ImageClasspathTest {
  /** groupId:artifactId:type:version:scope, as dependency:list writes each resolved artifact. */
  private static final Pattern ARTIFACT = Pattern.compile("^\\s+([\\w.-]+):([\\w.-]+):[\\w.-]+:(?:[\\w.-]+:)?[\\w.-]+:(compile|runtime)\\b");

  private static List<String> imageArtifacts() throws IOException {
    Path list = Path.of(System.getProperty("imageClasspath", "target/image-classpath.txt"));
    return Files.readAllLines(list).stream()
        .map(ARTIFACT::matcher)
        .filter(Matcher::find)
        .map(m -> m.group(1) + ":" + m.group(2))
        .toList();
  }

  @Test
  void holdsNeitherTheGcpFakeNorAMockServerNorValidationNorTestLibraries() throws IOException {
    List<String> artifacts = imageArtifacts();
    assertThat(artifacts).as("what the operator needs is there, so the list was read")
        .contains("io.javaoperatorsdk:operator-framework-core", "com.google.cloud:google-cloud-run", "info.picocli:picocli");
    assertThat(artifacts).noneMatch(a -> a.startsWith("dev.cloudrun.egress:"));
    assertThat(artifacts).doesNotContain("io.fabric8:kubernetes-server-mock", "io.fabric8:mockwebserver", "com.cronutils:cron-utils");
    // CEL and its parser judge CRs in local mode and the tests; in a cluster the API server does.
    assertThat(artifacts).noneMatch(a -> a.startsWith("dev.cel:") || a.startsWith("org.antlr:"));
    assertThat(artifacts).noneMatch(a -> a.startsWith("org.junit") || a.startsWith("org.assertj") || a.startsWith("com.marcnuri.helm-java"));
  }

  @Test
  void theOperatorsClassesHoldNoFake() {
    Path classes = Path.of("target/classes/dev/cloudrun/egress");
    assertThat(classes.resolve("app/OperatorCommand.class")).exists();
    assertThat(classes.resolve("gcp/fake")).doesNotExist();
  }
}
