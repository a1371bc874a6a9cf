package dev.cloudrun.egress.gcp.fake;

import com.google.longrunning.Operation;
import com.google.protobuf.Any;
import com.google.protobuf.Message;

/** google.longrunning.Operation as vpcaccess and run return them; one instance per API. */
final class LongRunningOperations {
  private final Store<Operation> operations = new Store<>();

  /** {@code parent} is "projects/p/locations/l"; the operation is not done yet. */
  Operation start(String parent, Message metadata) {
    String name = parent + "/operations/" + Simulation.newId();
    return operations.put(name, Operation.newBuilder().setName(name).setMetadata(Any.pack(metadata)).build());
  }

  Operation finish(String name, Message metadata, Message response) {
    return operations.update(name, op -> op.toBuilder().setMetadata(Any.pack(metadata)).setDone(true)
        .setResponse(Any.pack(response)).build());
  }

  Operation fail(String name, Message metadata, ApiError error) {
    return operations.update(name, op -> op.toBuilder().setMetadata(Any.pack(metadata)).setDone(true)
        .setError(error.toStatus()).build());
  }

  Operation get(String name) {
    return operations.require(name, "Operation '" + name + "' was not found");
  }
}
