package dev.cloudrun.egress.gcp;

import com.google.cloud.compute.v1.Operation;

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
    if (!ResourceNames.isComputeOperation(name)) {
      throw new IllegalArgumentException("not a Compute operation name: " + name);
    }
    if (ResourceNames.isGlobal(name)) {
      op = clients.globalOperations.get(ResourceNames.project(name), ResourceNames.id(name));
    } else {
      op = clients.regionOperations.get(ResourceNames.project(name), ResourceNames.region(name), ResourceNames.id(name));
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
