package dev.cloudrun.egress.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The commands README.md and docs/*.md tell a reader to type, as the reader would copy them: each
 * line of a shell block (a fenced block with no language, bash, sh or console; after a "$ " prompt
 * when the block has prompts) that starts with a program below, continuation lines joined and
 * comments dropped; and each inline code span of such a program with two words or more after it
 * (not a synopsis such as {@code gcloud run jobs create|deploy}).
 * The tests that run them read them here, so a command changed in the docs is the command run.
 */
public final class DocumentedCommands {
  /** The programs a reader runs; a line starting with anything else is output, a variable or a loop. */
  public static final Set<String> PROGRAMS = Set.of("./run-local", "mvn", "helm", "kubectl", "gcloud", "java", "docker", "curl");

  /** What the docs ask the reader to fill in, with values a reader might choose. */
  public static final Map<String, String> PLACEHOLDERS = Map.of(
      "OPERATOR_PROJECT", "ops-project-1",
      "JOB_PROJECT", "jobs-project-1",
      "CLUSTER_PROJECT", "cluster-project-1",
      "REGISTRY", "europe-west2-docker.pkg.dev/ops-project-1/images");

  private static final Set<String> SHELL_BLOCKS = Set.of("", "bash", "sh", "shell", "console");
  private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");
  private static final Pattern COMMENT = Pattern.compile("\\s+#\\s.*$");

  /**
   * One command: where it is written, its text on one line, and what the docs show it printing
   * (the lines after it in a block with "$ " prompts; none otherwise).
   */
  public record Command(String page, int line, String text, List<String> shown) {
    public Command(String page, int line, String text) {
      this(page, line, text, List.of());
    }

    public String program() {
      return words().get(0);
    }

    /** The words as a POSIX shell splits them: quotes group and are removed, no expansion. */
    public List<String> words() {
      List<String> words = new ArrayList<>();
      StringBuilder word = null;
      char quote = 0;
      for (char c : text.toCharArray()) {
        if (quote != 0) {
          if (c == quote) {
            quote = 0;
          } else {
            word.append(c);
          }
        } else if (c == '"' || c == '\'') {
          quote = c;
          word = word == null ? new StringBuilder() : word;
        } else if (Character.isWhitespace(c)) {
          if (word != null) {
            words.add(word.toString());
            word = null;
          }
        } else {
          word = word == null ? new StringBuilder() : word;
          word.append(c);
        }
      }
      if (word != null) {
        words.add(word.toString());
      }
      return words;
    }

    /** The command with the reader's placeholders filled in as a reader would ({@link #PLACEHOLDERS}). */
    public Command filled() {
      String filled = text;
      for (var placeholder : PLACEHOLDERS.entrySet()) {
        filled = filled.replaceAll("\\b" + placeholder.getKey() + "\\b", placeholder.getValue());
      }
      return new Command(page, line, filled, shown);
    }

    /** The value of {@code --flag=value} or {@code --flag value}; null when absent. */
    public String flag(String name) {
      List<String> words = words();
      for (int i = 0; i < words.size(); i++) {
        if (words.get(i).equals(name) && i + 1 < words.size()) {
          return words.get(i + 1);
        }
        if (words.get(i).startsWith(name + "=")) {
          return words.get(i).substring(name.length() + 1);
        }
      }
      return null;
    }

    @Override
    public String toString() {
      return page + ":" + line + ": " + text;
    }
  }

  private DocumentedCommands() {}

  /** Every command in README.md and docs/*.md. */
  public static List<Command> all() {
    Path root = Manifests.projectRoot();
    List<Command> commands = new ArrayList<>();
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md")));
      pages.addAll(docs.filter(p -> p.toString().endsWith(".md")).sorted().toList());
      for (Path page : pages) {
        commands.addAll(read(root.relativize(page).toString(), Files.readAllLines(page)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return commands;
  }

  /** The commands of one program. */
  public static List<Command> of(String program) {
    return all().stream().filter(c -> c.program().equals(program)).toList();
  }

  static List<Command> read(String page, List<String> lines) {
    List<Command> commands = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.stripLeading().startsWith("```")) {
        String language = line.strip().substring(3).strip();
        int end = i + 1;
        while (end < lines.size() && !lines.get(end).stripLeading().startsWith("```")) {
          end++;
        }
        if (SHELL_BLOCKS.contains(language)) {
          commands.addAll(block(page, lines.subList(i + 1, end), i + 2));
        }
        i = end;
        continue;
      }
      Matcher span = CODE_SPAN.matcher(line);
      while (span.find()) {
        Command command = new Command(page, i + 1, span.group(1).strip());
        // "gcloud run jobs create|deploy" is a synopsis of several commands, not one to type
        boolean synopsis = command.words().stream().anyMatch(w -> w.contains("|"));
        if (PROGRAMS.contains(command.program()) && command.words().size() >= 3 && !synopsis) {
          commands.add(command);
        }
      }
    }
    return commands;
  }

  private static List<Command> block(String page, List<String> lines, int firstLine) {
    boolean prompted = lines.stream().anyMatch(l -> l.startsWith("$ "));
    List<Command> commands = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (prompted && !line.startsWith("$ ")) {
        continue;
      }
      int start = i;
      StringBuilder text = new StringBuilder(COMMENT.matcher(prompted ? line.substring(2) : line).replaceFirst("").strip());
      while (text.toString().endsWith("\\") && i + 1 < lines.size()) {
        text.setLength(text.length() - 1);
        text.append(' ').append(COMMENT.matcher(lines.get(++i)).replaceFirst("").strip());
      }
      List<String> shown = new ArrayList<>();
      for (int next = i + 1; prompted && next < lines.size() && !lines.get(next).startsWith("$ "); next++) {
        shown.add(lines.get(next));
      }
      Command command = new Command(page, firstLine + start, text.toString().strip(), List.copyOf(shown));
      if (!command.text().isEmpty() && PROGRAMS.contains(command.program())) {
        commands.add(command);
      }
    }
    return commands;
  }
}
