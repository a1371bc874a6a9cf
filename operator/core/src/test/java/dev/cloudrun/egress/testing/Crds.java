package dev.cloudrun.egress.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.validation.CrdValidator;
import java.nio.file.Path;

/** The CRDs the build generated from the model (see dev.cloudrun.egress.build.GenerateCrds). */
public final class Crds {
  public static final String CLOUD_RUN_EGRESS_JOB_FILE = "cloudrunegressjobs.egress.cloudrun.dev-v1.yml";

  public static final String EGRESS_POLICY_FILE = "egresspolicies.egress.cloudrun.dev-v1.yml";

  private static CrdValidator cloudRunEgressJobValidator;
  private static CrdValidator egressPolicyValidator;

  private Crds() {}

  public static Path generatedDir() {
    return Path.of(System.getProperty("generatedCrds", "target/generated-crds"));
  }

  public static JsonNode cloudRunEgressJob() {
    return Manifests.readOne(generatedDir().resolve(CLOUD_RUN_EGRESS_JOB_FILE));
  }

  public static synchronized CrdValidator cloudRunEgressJobValidator() {
    if (cloudRunEgressJobValidator == null) {
      cloudRunEgressJobValidator = new CrdValidator(cloudRunEgressJob(), CloudRunEgressJob.VERSION);
    }
    return cloudRunEgressJobValidator;
  }

  public static JsonNode egressPolicy() {
    return Manifests.readOne(generatedDir().resolve(EGRESS_POLICY_FILE));
  }

  public static synchronized CrdValidator egressPolicyValidator() {
    if (egressPolicyValidator == null) {
      egressPolicyValidator = new CrdValidator(egressPolicy(), CloudRunEgressJob.VERSION);
    }
    return egressPolicyValidator;
  }
}
