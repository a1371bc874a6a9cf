package dev.cloudrun.egress.gcp.fake;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The GCP fake as a long-lived process, the way Google's own emulators run: the operator (or
 * several, one after another) talks to it with --gcp-endpoint, and what it made outlives them.
 */
@Command(name = "emulator", mixinStandardHelpOptions = true,
    description = "Runs the in-process GCP fake (Serverless VPC Access, Compute, Cloud Run v2, Cloud Scheduler) as an emulator"
        + " on 127.0.0.1 until stopped; point the operator at it with --gcp-endpoint.")
public final class EmulatorCommand implements Callable<Integer> {
  @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:CREJ_EMULATOR_PORT:-8085}",
      description = "Port to listen on; 0 picks a free one. Env CREJ_EMULATOR_PORT. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--address", paramLabel = "ADDRESS", defaultValue = "${env:CREJ_EMULATOR_ADDRESS:-127.0.0.1}",
      description = "Address to listen on: 127.0.0.1 serves this machine only; 0.0.0.0 (every address) lets an operator elsewhere,"
          + " such as a pod of a local cluster, reach it at this machine's address. Env CREJ_EMULATOR_ADDRESS. Default: ${DEFAULT-VALUE}.")
  String address;

  @Option(names = "--speed", paramLabel = "X", defaultValue = "1",
      description = "How many times faster than the wall clock the emulator's clock runs (operations, tasks, schedules). Default: ${DEFAULT-VALUE}.")
  double speed;

  @Option(names = "--seed", paramLabel = "examples|none|FILE", defaultValue = "examples",
      description = "The world to start with: examples (what the examples expect: their networks, subnets, the network team's connector"
          + " and NAT, a job deployed by hand), none, or a YAML file in the format of examples-world.yaml (docs/operating.md). Default: ${DEFAULT-VALUE}.")
  String seed;

  @Option(names = "--error-rate", paramLabel = "API:METHOD:PROBABILITY:STATUS",
      description = "Answer a share of the calls with an error, e.g. compute:routers.insert:0.2:503 or run:*:0.1:429. Repeatable.")
  List<String> errorRates = List.of();

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  /** The emulator as a process of its own: java -cp (the fake and its dependencies) dev.cloudrun.egress.gcp.fake.EmulatorCommand. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new EmulatorCommand()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    if (speed <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--speed must be more than 0, got " + speed + ".");
    }
    FakeGcp gcp;
    try {
      gcp = FakeGcp.builder().clock(FakeClock.scaled(speed)).address(InetAddress.getByName(address)).port(port).start();
    } catch (UnknownHostException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--address " + address + " is not an address of this machine: use 127.0.0.1 or 0.0.0.0.");
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof BindException) {
        throw new CommandLine.ParameterException(spec.commandLine(), "Port " + port + " on " + address + " is taken, or the address is not"
            + " this machine's: choose another with --port (0 for any free one) or --address.");
      }
      throw e;
    }
    try {
      switch (seed) {
        case "none" -> { }
        case "examples" -> SeedWorld.examples(gcp);
        default -> SeedWorld.apply(gcp, Path.of(seed));
      }
    } catch (SeedWorld.SeedException e) {
      gcp.close();
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    // After seeding: the world is there before any call can be refused.
    for (String rate : errorRates) {
      String[] parts = rate.split(":");
      try {
        gcp.faults().errorRate(parts[0], parts[1], Double.parseDouble(parts[2]), Integer.parseInt(parts[3]));
      } catch (RuntimeException e) {
        gcp.close();
        throw new CommandLine.ParameterException(spec.commandLine(), "--error-rate must be API:METHOD:PROBABILITY:STATUS,"
            + " such as compute:routers.insert:0.2:503; got " + rate + ".");
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(gcp::close, "emulator-shutdown"));
    // The first line is what scripts wait for: the endpoint to give the operator.
    System.out.println("GCP emulator listening on " + gcp.endpoint());
    System.out.println("  operator: --gcp-endpoint " + gcp.endpoint() + "   (or CREJ_GCP_ENDPOINT=" + gcp.endpoint() + ")");
    if (gcp.listensEverywhere()) {
      System.out.println("  listening on every address: from another machine or a cluster's pods, use this machine's address instead of 127.0.0.1");
    }
    System.out.flush();
    new CountDownLatch(1).await(); // until the process is stopped
    return 0;
  }
}
