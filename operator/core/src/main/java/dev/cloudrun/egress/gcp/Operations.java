package dev.cloudrun.egress.gcp;

import com.google.cloud.compute.v1.Operation;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the state of long-running operations the operator started, without waiting on them: a
 * reconcile starts an operation, records its name, and polls it here on a later pass.
 */
public final class Operations {

  /** Which API an operation belongs to; the name alone cannot tell vpcaccess from run. */
  public enum Api {
    VPC_ACCESS,
    COMPUTE,
    RUN,
    /** Cloud Scheduler answers every call at once: its "operation" is done when recorded. */
    SCHEDULER
  }

  public sealed interface State permits Running, Done, Failed {}

  public record Running() implements State {}

  public record Done() implements State {}

  public record Failed(String message) implements State {}

  private static final Pattern REGION_OP = Pattern.compile("projects/([^/]+)/regions/([^/]+)/operations/([^/]+)");
  private static final Pattern GLOBAL_OP = Pattern.compile("projects/([^/]+)/global/operations/([^/]+)");

  private final GcpClients clients;

  public Operations(GcpClients clients) {
    this.clients = clients;
  }

  /** One GET: the operation's state now. An operation GCP no longer knows counts as done. */
  public State poll(Api api, String name) {
    try {
      return switch (api) {
        case COMPUTE -> computeState(name);
        case VPC_ACCESS -> longRunningState(clients.connectors.getHttpJsonOperationsClient().getOperation(name));
        case RUN -> longRunningState(clients.jobs.getHttpJsonOperationsClient().getOperation(name));
        case SCHEDULER -> new Done();
      };
    } catch (RuntimeException e) {
      if (GcpErrors.isNotFound(e)) {
        return new Done();
      }
      throw e;
    }
  }

  private State computeState(String name) {
    Operation op;
    Matcher regional = REGION_OP.matcher(name);
    Matcher global = GLOBAL_OP.matcher(name);
    if (regional.matches()) {
      op = clients.regionOperations.get(regional.group(1), regional.group(2), regional.group(3));
    } else if (global.matches()) {
      op = clients.globalOperations.get(global.group(1), global.group(2));
    } else {
      throw new IllegalArgumentException("not a Compute operation name: " + name);
    }
    if (op.getStatus() != Operation.Status.DONE) {
      return new Running();
    }
    if (op.getHttpErrorStatusCode() != 0 || op.getError().getErrorsCount() > 0) {
      String detail = op.getError().getErrorsCount() > 0 ? op.getError().getErrors(0).getMessage() : op.getHttpErrorMessage();
      return new Failed(op.getHttpErrorStatusCode() + " " + detail);
    }
    return new Done();
  }

  private static State longRunningState(com.google.longrunning.Operation op) {
    if (!op.getDone()) {
      return new Running();
    }
    if (op.hasError()) {
      return new Failed(com.google.rpc.Code.forNumber(op.getError().getCode()) + ": " + op.getError().getMessage());
    }
    return new Done();
  }
}
