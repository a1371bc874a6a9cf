package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** What the user wants: one Cloud Run Job and the network path its traffic takes. */
@Data
@ValidationRule(
    value = "!has(self.job.encryptionKey) || !self.job.encryptionKey.startsWith('projects/') || self.job.encryptionKey.contains('/locations/' + self.region + '/')",
    message = "spec.job.encryptionKey must be a Cloud KMS key in the job's region (spec.region): use projects/KMS_PROJECT/locations/<spec.region>/keyRings/RING/cryptoKeys/KEY",
    fieldPath = ".job.encryptionKey")
@ValidationRule(
    value = "!has(self.egress.connector) || !self.egress.connector.name.startsWith('projects/') || self.egress.connector.name.contains('/locations/' + self.region + '/connectors/')",
    message = "spec.egress.connector.name names a connector in another region: a connector must be in the job's region (spec.region); write projects/HOST/locations/<spec.region>/connectors/NAME",
    fieldPath = ".egress.connector.name")
// A connector in another project than its network (a Shared VPC service project) must be made on a
// subnet. Standard CEL cannot cut the project out of two paths, so each side is compared with
// spec.project: in it (a short name, or a path in it) or not. Two paths outside spec.project are
// taken as the same host project (a shared connector in the host, which may use a range).
@ValidationRule(
    value = "!has(self.egress.connector) || self.egress.connector.existing || !has(self.egress.connector.ipCidrRange)"
        + " || (!self.egress.network.startsWith('projects/') || self.egress.network.startsWith('projects/' + self.project + '/'))"
        + " == (!self.egress.connector.name.startsWith('projects/') || self.egress.connector.name.startsWith('projects/' + self.project + '/'))",
    message = "spec.egress.connector.ipCidrRange cannot be used when the connector and spec.egress.network are in different projects (a Shared VPC network used from a service project): GCP makes such a connector only on an existing subnet; remove ipCidrRange and set spec.egress.connector.subnet to the /28 subnet the Shared VPC admin created for it, with project: HOST_PROJECT",
    fieldPath = ".egress.connector.ipCidrRange")
public class CloudRunEgressJobSpec {

  @Required
  @Size(max = 30)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.PROJECT + "')",
      message = "spec.project must be a GCP project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter (e.g. my-project)")
  @ValidationRule(
      value = "self == oldSelf",
      message = "spec.project is immutable: create a new CloudRunEgressJob in the other project and delete this one")
  @JsonPropertyDescription("GCP project that holds the Cloud Run Job, the connector, router, NAT and firewall rules (gcloud --project). Immutable.")
  private String project;

  @Required
  @Size(max = 40)
  @ValidationRule(
      value = "self.matches('" + CelPatterns.REGION + "')",
      message = "spec.region must be a GCP region such as europe-west2 or us-central1, not a zone (no -a/-b suffix)")
  @ValidationRule(
      value = "self == oldSelf",
      message = "spec.region is immutable: connectors, routers and jobs are regional; create a new CloudRunEgressJob in the other region and delete this one")
  @JsonPropertyDescription("Region of the job, its connector, router and NAT (gcloud --region). Immutable.")
  private String region;

  @Required
  @JsonPropertyDescription("The Cloud Run Job: container, resources, environment and identity.")
  private JobSpec job;

  @Required
  @JsonPropertyDescription("How the job's outbound traffic leaves: VPC egress mode, connector or Direct VPC egress, Cloud NAT and firewall rules.")
  private EgressSpec egress;

  @JsonPropertyDescription("Runs of the job: a runToken whose every new value starts one execution, the concurrency policy and the overrides of those runs."
      + " The egress.cloudrun.dev/run-requested-at annotation starts one run per new value too.")
  private ExecutionSpec execution;

  @JsonPropertyDescription("Egress diagnosis: the destinations the job needs and the live probe. The metadata server is always checked; conditions MetadataReachable and EgressReachable report the verdict.")
  private DiagnosisSpec diagnosis;

  @Default("false")
  @JsonPropertyDescription("Take over GCP objects that already exist under the names this resource uses but carry no ownership marker of this operator (for example ones created by hand or by Terraform). False (default): such objects are never changed or deleted and the part reports NotOwned.")
  private Boolean adoptExisting = false;

  @Default("Delete")
  @JsonPropertyDescription("What happens to the GCP objects this resource created when it is deleted. Delete (default): remove them (a shared connector or NAT only when no other CloudRunEgressJob uses it). Abandon: leave every GCP object in place.")
  private DeletionPolicy deletionPolicy = DeletionPolicy.Delete;

  public enum DeletionPolicy {
    Delete,
    Abandon
  }
}
