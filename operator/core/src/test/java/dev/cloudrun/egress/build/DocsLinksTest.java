package dev.cloudrun.egress.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.egress.testing.Manifests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README is the front page and docs/ holds the rest: every relative link between them (and
 * into the repository) must reach a file, and every #anchor a heading of its page, as GitHub
 * computes anchors. The README stays short enough to read.
 */
class DocsLinksTest {

  static final int README_MAX_LINES = 200;

  /** [text](target) or [text](target "title"); images too. Text holds no ']' once code spans are gone. */
  private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern CODE_SPAN = Pattern.compile("`[^`]*`");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

  private final Map<Path, Set<String>> anchors = new HashMap<>();

  @Test
  void theReadmeHasAtMost200Lines() throws IOException {
    List<String> lines = Files.readAllLines(Manifests.projectRoot().resolve("README.md"));
    assertThat(lines.size())
        .as("README.md has %d lines; move sections into docs/ and link them", lines.size())
        .isLessThanOrEqualTo(README_MAX_LINES);
  }

  @Test
  void everyRelativeLinkAndAnchorResolves() throws IOException {
    List<String> dead = new ArrayList<>();
    int checked = 0;
    for (Path page : pages()) {
      List<String> lines = Files.readAllLines(page);
      boolean fenced = false;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.stripLeading().startsWith("```")) {
          fenced = !fenced;
          continue;
        }
        if (fenced) {
          continue;
        }
        Matcher link = LINK.matcher(CODE_SPAN.matcher(line).replaceAll("code"));
        while (link.find()) {
          String target = link.group(1);
          if (SCHEME.matcher(target).find()) {
            continue;
          }
          checked++;
          String problem = problem(page, target);
          if (problem != null) {
            dead.add(relative(page) + ":" + (i + 1) + ": (" + target + ") " + problem);
          }
        }
      }
    }
    assertThat(checked).as("relative links found in README.md and docs/").isGreaterThan(20);
    assertThat(dead).as("dead links or anchors in README.md and docs/*.md").isEmpty();
  }

  @Test
  void anchorsAreComputedAsGitHubDoes() {
    assertThat(anchor("Trying it on your machine: `./run-local`")).isEqualTo("trying-it-on-your-machine-run-local");
    assertThat(anchor("Argo CD, Flux and kubectl")).isEqualTo("argo-cd-flux-and-kubectl");
    assertThat(anchor("How the chart's RBAC and the status tools are tested")).isEqualTo("how-the-charts-rbac-and-the-status-tools-are-tested");
    assertThat(anchor("snake_case and [a link](x.md)")).isEqualTo("snake_case-and-a-link");
  }

  /** Why the link is dead, or null. */
  private String problem(Path page, String target) {
    int hash = target.indexOf('#');
    String file = hash < 0 ? target : target.substring(0, hash);
    String fragment = hash < 0 ? null : target.substring(hash + 1);
    Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
    if (!resolved.startsWith(Manifests.projectRoot())) {
      return "leaves the repository";
    }
    if (!Files.exists(resolved)) {
      return "no such file " + relative(resolved);
    }
    if (fragment == null) {
      return null;
    }
    if (!resolved.toString().endsWith(".md")) {
      return "an anchor into a file that is not markdown";
    }
    if (!anchorsOf(resolved).contains(fragment)) {
      return "no heading of " + relative(resolved) + " has the anchor #" + fragment;
    }
    return null;
  }

  private Set<String> anchorsOf(Path page) {
    return anchors.computeIfAbsent(page, p -> {
      Set<String> found = new HashSet<>();
      Map<String, Integer> seen = new HashMap<>();
      boolean fenced = false;
      try {
        for (String line : Files.readAllLines(p)) {
          if (line.stripLeading().startsWith("```")) {
            fenced = !fenced;
            continue;
          }
          Matcher heading = HEADING.matcher(line);
          if (!fenced && heading.matches()) {
            String base = anchor(heading.group(1));
            int n = seen.merge(base, 1, Integer::sum) - 1;
            found.add(n == 0 ? base : base + "-" + n); // GitHub numbers repeated headings
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return found;
    });
  }

  /** GitHub's anchor of a heading: its text, lower case, punctuation removed except '-' and '_', spaces as '-'. */
  static String anchor(String heading) {
    String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").replace("`", "").replace("*", "");
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
  }

  private static List<Path> pages() throws IOException {
    Path root = Manifests.projectRoot();
    List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md")));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  private static String relative(Path path) {
    return Manifests.projectRoot().relativize(path).toString();
  }
}
