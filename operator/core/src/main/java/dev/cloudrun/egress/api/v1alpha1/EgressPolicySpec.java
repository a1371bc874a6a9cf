package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;

/**
 * Rules for every namespace (defaults) and per-namespace overrides. For each setting, a
 * CloudRunEgressJob gets the value from the namespace entry that lists its namespace, else from
 * defaults; a setting set in neither place does not restrict anything.
 */
@Data
public class EgressPolicySpec {

  @JsonPropertyDescription("Rules for CloudRunEgressJobs in every namespace. A setting left unset does not restrict anything.")
  private EgressRules defaults;

  // Small enough that the API server's cost estimate of the uniqueness rule stays within its budget.
  @Size(max = 16)
  @ValidationRule(
      value = "self.all(entry, entry.names.all(n, self.exists_one(other, n in other.names)))",
      message = "spec.namespaces: each namespace may appear in one entry only; merge the entries that list it")
  @JsonPropertyDescription("Per-namespace overrides: an entry's settings replace the defaults, one setting at a time, for the namespaces it names; settings it leaves unset come from defaults.")
  private List<NamespaceRules> namespaces;
}
