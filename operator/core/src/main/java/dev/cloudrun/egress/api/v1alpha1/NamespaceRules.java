package dev.cloudrun.egress.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;
import lombok.EqualsAndHashCode;
import lombok.ToString;

/** Overrides for some namespaces: the same settings as the defaults, each replacing its default. */
@Data
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class NamespaceRules extends EgressRules {

  @Required
  @Size(min = 1, max = 32)
  @ValidationRule(
      value = "self.all(n, n.matches('" + CelPatterns.NAMESPACE + "'))",
      message = "spec.namespaces[].names must be namespace names: lowercase letters, digits and hyphens, at most 63")
  @JsonPropertyDescription("Namespaces these overrides apply to. A namespace may appear in one entry only.")
  private List<@Size(max = 63) String> names;
}
