package dev.cloudrun.egress.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Every name the operator builds reads back into what it was built from; anything else is refused, not guessed. */
class ResourceNamesTest {

  @Test
  void namesReadBackIntoTheirParts() {
    String job = ResourceNames.inLocation("p", "europe-west2", "jobs", "agent");
    assertThat(job).isEqualTo("projects/p/locations/europe-west2/jobs/agent");
    String router = ResourceNames.inRegion("host", "europe-west2", "routers", "r");
    String nat = ResourceNames.child(router, "nats", "n");
    String rule = ResourceNames.global("host", "firewalls", "allow");
    for (String name : new String[] {job, router, rule}) {
      assertThat(ResourceNames.parent(name) + "/" + name.split("/")[name.split("/").length - 2] + "/" + ResourceNames.id(name)).isEqualTo(name);
    }
    assertThat(ResourceNames.project(router)).isEqualTo("host");
    assertThat(ResourceNames.region(router)).isEqualTo("europe-west2");
    assertThat(ResourceNames.region(job)).isEqualTo("europe-west2");
    assertThat(ResourceNames.parent(nat)).isEqualTo(router);
    assertThat(ResourceNames.id(nat)).isEqualTo("n");
    assertThat(ResourceNames.isGlobal(rule)).isTrue();
    assertThat(ResourceNames.id("https://www.googleapis.com/compute/v1/projects/p/regions/r/subnetworks/s")).isEqualTo("s");
  }

  @Test
  void onlyComputeOperationNamesAreTakenForThem() {
    assertThat(ResourceNames.isComputeOperation("projects/p/regions/r/operations/op-1")).isTrue();
    assertThat(ResourceNames.isComputeOperation("projects/p/global/operations/op-1")).isTrue();
    assertThat(ResourceNames.isComputeOperation("projects/p/locations/r/operations/op-1")).isFalse();
    assertThat(ResourceNames.isComputeOperation("projects/p/regions/r/operations/op-1/extra")).isFalse();
    assertThatThrownBy(() -> new Operations(null).poll(Operations.Api.COMPUTE, "projects/p/locations/r/operations/x"))
        .hasMessageContaining("not a Compute operation name");
  }

  @Test
  void aShortNameHasNoProjectRegionOrParent() {
    assertThatThrownBy(() -> ResourceNames.project("default")).hasMessageContaining("not a GCP resource name");
    assertThatThrownBy(() -> ResourceNames.region(ResourceNames.global("p", "networks", "vpc"))).hasMessageContaining("no region");
    assertThatThrownBy(() -> ResourceNames.parent("projects")).hasMessageContaining("not a GCP resource name");
  }
}
