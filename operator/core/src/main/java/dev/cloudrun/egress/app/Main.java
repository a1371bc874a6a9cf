package dev.cloudrun.egress.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The operator's command line: {@code operator}, what the container runs. Local mode has its own (LocalCommand in operator/local). */
@Command(
    name = "cloudrun-egress-operator",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = OperatorCommand.class,
    description = "Reconciles CloudRunEgressJob resources into Cloud Run Jobs with controlled VPC egress.")
public final class Main implements Runnable {
  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line; returns the exit code. */
  static int run(String... args) {
    return commandLine().execute(args);
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Name a command: operator.");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cloudrun-egress-operator " + (version == null ? "(development build)" : version)};
    }
  }
}
