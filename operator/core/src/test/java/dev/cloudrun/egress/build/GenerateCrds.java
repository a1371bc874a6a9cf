package dev.cloudrun.egress.build;

import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.EgressPolicy;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.File;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Generates the CRDs from the Java model with fabric8's CRD generator, run by the build
 * (exec-maven-plugin, process-test-classes), with its printer columns as the model declares them
 * ({@link PrinterColumns}).
 */
public final class GenerateCrds {

  private GenerateCrds() {}

  public static void main(String[] args) {
    File outputDir = new File(args[0]);
    outputDir.mkdirs();
    int generated = new CRDGenerator()
        .customResourceClasses(CloudRunEgressJob.class, EgressPolicy.class)
        .forCRDVersions("v1")
        .withMinQuotes(true)
        .withPostProcessor(new PrinterColumns())
        .inOutputDir(outputDir)
        .generate();
    System.out.println("Generated " + generated + " CRD(s) in " + outputDir);
  }

  /**
   * The generator sorts printer columns by JSON path, and kubectl shows them in list order: they are
   * put back in the order the @AdditionalPrinterColumn annotations are declared. It also writes
   * {@code priority: 0}, which the API server does not store (a zero int is omitted): without it
   * the stored CRD equals the file, and a second {@code kubectl apply -f crds/} says unchanged.
   */
  static final class PrinterColumns implements CRDPostProcessor {
    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
      if (crd instanceof CustomResourceDefinition definition) {
        List<String> declared = Arrays.stream(CloudRunEgressJob.class.getAnnotationsByType(AdditionalPrinterColumn.class))
            .map(AdditionalPrinterColumn::name)
            .toList();
        definition.getSpec().getVersions().forEach(version -> {
          version.getAdditionalPrinterColumns()
              .sort(Comparator.comparingInt((CustomResourceColumnDefinition c) -> declared.indexOf(c.getName())));
          version.getAdditionalPrinterColumns().stream()
              .filter(column -> Integer.valueOf(0).equals(column.getPriority()))
              .forEach(column -> column.setPriority(null));
        });
      }
      return crd;
    }
  }
}
