package dev.cloudrun.egress.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A process of its own running a main class on this test's classpath (local mode's: the operator,
 * the fake and their dependencies), as a user starts the emulator, the operator or ./run-local's JVM.
 * Its output (stderr merged) is read by {@link #firstLine} or {@link #output}; otherwise discarded.
 */
record Jvm(Process process, BufferedReader out) {

  static Jvm start(Class<?> main, List<String> args, Path directory, Map<String, String> env, boolean readOutput) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(directory == null ? null : directory.toFile()).redirectErrorStream(true);
    if (!readOutput) {
      builder.redirectOutput(ProcessBuilder.Redirect.DISCARD); // nobody reads it, and a full pipe would block the process
    }
    builder.environment().putAll(env);
    try {
      Process process = builder.start();
      return new Jvm(process, new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first line that starts with {@code prefix} (within a minute); what follows is drained so the process never blocks. */
  String firstLine(String prefix) throws Exception {
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        String read;
        while ((read = out.readLine()) != null) {
          if (read.startsWith(prefix)) {
            return read;
          }
        }
        return "exited before printing " + prefix;
      } catch (IOException e) {
        return "unreadable: " + e;
      }
    }).get(60, TimeUnit.SECONDS);
    Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "jvm-output");
    drain.setDaemon(true);
    drain.start();
    return line;
  }

  /** Everything it prints, once it ends. */
  CompletableFuture<String> output() {
    return CompletableFuture.supplyAsync(() -> {
      StringBuilder all = new StringBuilder();
      out.lines().forEach(l -> all.append(l).append('\n'));
      return all.toString();
    });
  }
}
