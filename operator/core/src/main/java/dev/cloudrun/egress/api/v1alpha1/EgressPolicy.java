package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * What a platform team lets application teams do with egress, cluster-wide with per-namespace
 * overrides. It is the parameter of the chart's ValidatingAdmissionPolicy, which checks every
 * CloudRunEgressJob against it at admission; the operator itself never reads it.
 */
@Group(CloudRunEgressJob.GROUP)
@Version(CloudRunEgressJob.VERSION)
@Kind("EgressPolicy")
@Plural("egresspolicies")
@ShortNames("egpol")
@Categories({"cloudrun", "egress"})
public class EgressPolicy extends CustomResource<EgressPolicySpec, Void> {

  // Overridden only to describe spec for kubectl explain.
  @Override
  @JsonPropertyDescription("The rules: defaults for every namespace, and overrides for some namespaces.")
  public EgressPolicySpec getSpec() {
    return super.getSpec();
  }
}
