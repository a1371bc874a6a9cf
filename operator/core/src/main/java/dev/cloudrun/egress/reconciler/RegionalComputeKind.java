package dev.cloudrun.egress.reconciler;

import com.google.protobuf.Message;
import dev.cloudrun.egress.gcp.Operations;
import dev.cloudrun.egress.gcp.ResourceNames;
import java.util.List;
import java.util.Map;

/**
 * A regional Compute Engine kind marked by its description (addresses, routers), named
 * projects/P/regions/R/KIND/NAME: listed per project and region, read, inserted and deleted by
 * name with a request id, through regional operations. A subclass says only which calls those are.
 */
abstract class RegionalComputeKind<T extends Message> extends ObjectKind<T> {

  RegionalComputeKind(Ledger.Kind kind, String part, String noun) {
    super(kind, part, Operations.Api.COMPUTE, noun, true);
  }

  /** The objects of the kind in a project and region, by name, from the shared inventory. */
  abstract Map<String, T> listed(Pass pass, String project, String region);

  abstract T get(Pass pass, String project, String region, String name);

  abstract String descriptionOf(T object);

  /** Calls insert; the operation's name in its region. */
  abstract String insert(Pass pass, String project, String region, T desired, String requestId);

  /** Calls delete; the operation's name in its region. */
  abstract String delete(Pass pass, String project, String region, String name, String requestId);

  @Override
  final T observe(Pass pass, String name) {
    return listed(pass, ResourceNames.project(name), ResourceNames.region(name)).get(ResourceNames.id(name));
  }

  @Override
  final void reread(Pass pass, String name) {
    Pass.reread(listed(pass, ResourceNames.project(name), ResourceNames.region(name)), ResourceNames.id(name), () -> get(pass, ResourceNames.project(name), ResourceNames.region(name), ResourceNames.id(name)));
  }

  @Override
  final String marker(T observed) {
    return Ownership.markerOf(descriptionOf(observed));
  }

  @Override
  final String startCreate(Pass pass, String name, T desired) {
    return pass.regionalOperation(ResourceNames.project(name), ResourceNames.region(name), insert(pass, ResourceNames.project(name), ResourceNames.region(name), desired, pass.requestId(part, name)));
  }

  @Override
  final String startDelete(Pass pass, String name) {
    return pass.regionalOperation(ResourceNames.project(name), ResourceNames.region(name), delete(pass, ResourceNames.project(name), ResourceNames.region(name), ResourceNames.id(name), pass.requestId(part, name)));
  }

  /** Nothing the operator sets on it is updated in place: the kinds here have no such field. */
  @Override
  final String startUpdate(Pass pass, String name, T desired, T observed, List<String> fields) {
    throw new IllegalStateException(noun + " " + name + " is never updated");
  }

  @Override
  final List<String> differences(T desired, T observed) {
    return List.of();
  }
}
