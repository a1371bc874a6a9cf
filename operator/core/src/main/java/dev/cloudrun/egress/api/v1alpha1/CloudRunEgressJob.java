package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A Cloud Run Job (v2) with controlled VPC egress: the operator reconciles it into a Serverless VPC
 * Access connector (or Direct VPC egress), a Cloud Router with Cloud NAT, VPC firewall rules and the
 * job itself, and reports what it observed in GCP.
 */
@Group(CloudRunEgressJob.GROUP)
@Version(CloudRunEgressJob.VERSION)
@Kind("CloudRunEgressJob")
@Plural("cloudrunegressjobs")
@ShortNames("crej")
@Categories({"cloudrun", "egress"})
@AdditionalPrinterColumn(name = "Region", jsonPath = ".spec.region", type = Type.STRING)
@AdditionalPrinterColumn(name = "Egress", jsonPath = ".spec.egress.vpcEgress", type = Type.STRING)
@AdditionalPrinterColumn(name = "Egress-IP", jsonPath = ".status.egressIPs[*]", type = Type.STRING)
@AdditionalPrinterColumn(
    name = "Metadata",
    jsonPath = ".status.conditions[?(@.type==\"MetadataReachable\")].status",
    type = Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = Type.STRING)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
    type = Type.STRING)
@AdditionalPrinterColumn(name = "Last-Run", jsonPath = ".status.execution.last.phase", type = Type.STRING)
// A string, not a date: kubectl prints a date in the future as <invalid>.
@AdditionalPrinterColumn(name = "Next-Run", jsonPath = ".status.execution.schedule.nextRunTime", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
public class CloudRunEgressJob extends CustomResource<CloudRunEgressJobSpec, CloudRunEgressJobStatus>
    implements Namespaced {
  public static final String GROUP = "egress.cloudrun.dev";
  public static final String VERSION = "v1alpha1";

  // Overridden only to describe spec and status for kubectl explain.
  @Override
  @JsonPropertyDescription("Desired state: the Cloud Run Job and the network path of its outbound traffic.")
  public CloudRunEgressJobSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("Observed state, written only by the operator: what exists in GCP, the egress IPs, and the conditions Ready, ConnectorReady, NatReady, FirewallReady, JobReady, MetadataReachable, EgressReachable, Reconciling and Stalled.")
  public CloudRunEgressJobStatus getStatus() {
    return super.getStatus();
  }
}
