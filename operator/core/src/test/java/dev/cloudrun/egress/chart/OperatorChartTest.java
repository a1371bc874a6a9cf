package dev.cloudrun.egress.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.egress.app.OperatorFactory;
import dev.cloudrun.egress.testing.HelmChart;
import dev.cloudrun.egress.testing.Manifests;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The operator's part of the chart as Helm renders it, value set by value set. Which API calls
 * the RBAC allows is measured against the running operator in OperatorRbacTest.
 */
class OperatorChartTest {
  private static final String FULLNAME = "crej-cloudrun-egress-operator";

  @Test
  void defaultsRenderTheOperatorAndItsAccess() {
    assertThat(HelmChart.render(Map.of())).extracting(m -> m.path("kind").asText() + " " + m.at("/metadata/name").asText())
        .containsExactlyInAnyOrder(
            "ServiceAccount " + FULLNAME,
            "ClusterRole " + FULLNAME,
            "ClusterRoleBinding " + FULLNAME,
            "Role " + FULLNAME + "-leader-election",
            "RoleBinding " + FULLNAME + "-leader-election",
            "Service " + FULLNAME + "-metrics",
            "Deployment " + FULLNAME,
            "PodDisruptionBudget " + FULLNAME);
  }

  @Test
  void deploymentRunsTwoHardenedReplicasWithProbesAndResources() {
    JsonNode deployment = HelmChart.only(HelmChart.render(Map.of()), "Deployment");
    assertThat(deployment.at("/metadata/namespace").asText()).isEqualTo(HelmChart.NAMESPACE);
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
    JsonNode pod = deployment.at("/spec/template/spec");
    assertThat(pod.path("serviceAccountName").asText()).isEqualTo(FULLNAME);
    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.at("/securityContext/runAsUser").asInt()).isPositive();
    assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
    assertThat(pod.at("/topologySpreadConstraints/0/labelSelector/matchLabels"))
        .isEqualTo(deployment.at("/spec/selector/matchLabels"));

    JsonNode container = pod.at("/containers/0");
    assertThat(pod.path("containers").size()).isEqualTo(1);
    assertThat(container.path("image").asText()).isEqualTo("cloudrun-egress-operator:0.1.0");
    assertThat(container.has("command")).as("the image's entrypoint runs the operator").isFalse();
    assertThat(container.has("args")).isFalse();
    assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(Manifests.texts(container.at("/securityContext/capabilities/drop"))).containsExactly("ALL");
    for (String kind : List.of("requests", "limits")) {
      assertThat(container.at("/resources/" + kind + "/cpu").asText()).as(kind).isNotEmpty();
      assertThat(container.at("/resources/" + kind + "/memory").asText()).as(kind).isNotEmpty();
    }
    assertThat(container.at("/ports/0/name").asText()).isEqualTo("metrics");
    assertThat(container.at("/ports/0/containerPort").asInt()).isEqualTo(8080);
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
    assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo("/healthz");
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
    for (String probe : List.of("livenessProbe", "startupProbe", "readinessProbe")) {
      assertThat(container.at("/" + probe + "/httpGet/port").asText()).isEqualTo("metrics");
    }
    assertThat(container.at("/volumeMounts/0/mountPath").asText()).isEqualTo("/tmp");
    assertThat(pod.at("/volumes/0/name").asText()).isEqualTo(container.at("/volumeMounts/0/name").asText());
    assertThat(pod.at("/volumes/0").has("emptyDir")).isTrue();
  }

  @Test
  void environmentCarriesTheOperatorSettingsByDefault() {
    assertThat(env(HelmChart.render(Map.of()))).isEqualTo(Map.of(
        "CREJ_NAMESPACES", "",
        "CREJ_RESYNC_INTERVAL", "5m",
        "CREJ_CONCURRENCY", "10",
        "CREJ_GCP_WRITES_PER_SECOND", "10",
        "CREJ_METRICS_PORT", "8080",
        "CREJ_LEADER_ELECTION", "true",
        "CREJ_LOG_FORMAT", "json",
        "POD_NAMESPACE", "fieldRef:metadata.namespace"));
  }

  @Test
  void environmentFollowsTheValues() {
    List<JsonNode> manifests = HelmChart.render(Map.of(
        "watchNamespaces", List.of("team-a", "team-b"),
        "operator", Map.of("resyncInterval", "1h30m", "concurrency", 4, "gcpWritesPerSecond", 2.5, "logFormat", "text"),
        "metrics", Map.of("port", 9090),
        "replicaCount", 1,
        "leaderElection", Map.of("enabled", false),
        "extraEnv", List.of(Map.of("name", "JAVA_TOOL_OPTIONS", "value", "-XX:MaxRAMPercentage=75"))));
    Map<String, String> env = env(manifests);
    assertThat(env).containsEntry("CREJ_NAMESPACES", "team-a,team-b")
        .containsEntry("CREJ_RESYNC_INTERVAL", "1h30m")
        .containsEntry("CREJ_CONCURRENCY", "4")
        .containsEntry("CREJ_GCP_WRITES_PER_SECOND", "2.5")
        .containsEntry("CREJ_METRICS_PORT", "9090")
        .containsEntry("CREJ_LEADER_ELECTION", "false")
        .containsEntry("CREJ_LOG_FORMAT", "text")
        .containsEntry("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75");
    JsonNode deployment = HelmChart.only(manifests, "Deployment");
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(1);
    assertThat(deployment.at("/spec/template/spec/containers/0/ports/0/containerPort").asInt()).isEqualTo(9090);
    assertThat(HelmChart.only(manifests, "Service").at("/spec/ports/0/port").asInt()).isEqualTo(9090);
  }

  @Test
  void serviceAccountCarriesTheWorkloadIdentityAnnotation() {
    String annotation = "/metadata/annotations/iam.gke.io~1gcp-service-account";
    assertThat(HelmChart.only(HelmChart.render(Map.of()), "ServiceAccount").at(annotation).isMissingNode())
        .as("no project, no annotation").isTrue();
    assertThat(HelmChart.only(HelmChart.render(Map.of("gcp", Map.of("project", "myproject"))), "ServiceAccount").at(annotation).asText())
        .isEqualTo("cloudrun-egress-operator@myproject.iam.gserviceaccount.com");
    JsonNode custom = HelmChart.only(HelmChart.render(Map.of(
        "gcp", Map.of("serviceAccount", "egress-op@platform-prj.iam.gserviceaccount.com"),
        "serviceAccount", Map.of("annotations", Map.of("team", "platform")))), "ServiceAccount");
    assertThat(custom.at(annotation).asText()).isEqualTo("egress-op@platform-prj.iam.gserviceaccount.com");
    assertThat(custom.at("/metadata/annotations/team").asText()).isEqualTo("platform");
  }

  @Test
  void aNamedServiceAccountIsTheOneThePodsRunAsAndTheBindingsName() {
    List<JsonNode> manifests = HelmChart.render(Map.of("serviceAccount", Map.of("name", "egress-operator")));
    assertThat(HelmChart.only(manifests, "ServiceAccount").at("/metadata/name").asText()).isEqualTo("egress-operator");
    assertThat(HelmChart.only(manifests, "Deployment").at("/spec/template/spec/serviceAccountName").asText()).isEqualTo("egress-operator");
    manifests.stream().filter(m -> m.path("kind").asText().endsWith("Binding")).forEach(binding -> {
      assertThat(binding.at("/subjects/0/name").asText()).isEqualTo("egress-operator");
      assertThat(binding.at("/subjects/0/namespace").asText()).isEqualTo(HelmChart.NAMESPACE);
    });
  }

  @Test
  void watchedNamespacesGetARoleEachInsteadOfTheClusterRole() {
    List<JsonNode> manifests = HelmChart.render(Map.of("watchNamespaces", List.of("team-a", "team-b")));
    // Cluster-wide, only the list that tells whether a resource outside the watched namespaces uses a shared object.
    List<JsonNode> clusterRoles = manifests.stream().filter(m -> m.path("kind").asText().equals("ClusterRole")).toList();
    assertThat(clusterRoles).singleElement().satisfies(role -> {
      assertThat(role.at("/rules")).hasSize(1);
      assertThat(Manifests.texts(role.at("/rules/0/resources"))).containsExactly("cloudrunegressjobs");
      assertThat(Manifests.texts(role.at("/rules/0/verbs"))).containsExactly("list");
    });
    assertThat(manifests.stream().filter(m -> m.path("kind").asText().equals("Role")).map(m -> m.at("/metadata/namespace").asText() + "/" + m.at("/metadata/name").asText()))
        .containsExactlyInAnyOrder("team-a/" + FULLNAME, "team-b/" + FULLNAME, HelmChart.NAMESPACE + "/" + FULLNAME + "-leader-election");
    assertThat(manifests.stream().filter(m -> m.path("kind").asText().equals("RoleBinding")).map(m -> m.at("/metadata/namespace").asText()))
        .containsExactlyInAnyOrder("team-a", "team-b", HelmChart.NAMESPACE);
  }

  @Test
  void theLeaseRoleNamesTheOperatorsLeaseAndGoesWithLeaderElection() {
    JsonNode role = HelmChart.render(Map.of()).stream()
        .filter(m -> m.at("/metadata/name").asText().equals(FULLNAME + "-leader-election") && m.path("kind").asText().equals("Role"))
        .findFirst().orElseThrow();
    assertThat(role.at("/metadata/namespace").asText()).as("where POD_NAMESPACE puts the Lease").isEqualTo(HelmChart.NAMESPACE);
    assertThat(Manifests.texts(role.at("/rules/1/resourceNames"))).containsExactly(OperatorFactory.LEASE_NAME);

    List<JsonNode> single = HelmChart.render(Map.of("replicaCount", 1, "leaderElection", Map.of("enabled", false)));
    assertThat(single).noneMatch(m -> m.at("/metadata/name").asText().endsWith("-leader-election"));
  }

  @Test
  void theMetricsServiceSelectsTheOperatorPodsAndTheServiceMonitorTheService() {
    List<JsonNode> manifests = HelmChart.render(Map.of("metrics", Map.of("serviceMonitor", Map.of("enabled", true, "labels", Map.of("release", "prometheus")))));
    JsonNode podLabels = HelmChart.only(manifests, "Deployment").at("/spec/template/metadata/labels");
    JsonNode service = HelmChart.only(manifests, "Service");
    service.at("/spec/selector").properties().forEach(l -> assertThat(podLabels.path(l.getKey()).asText()).isEqualTo(l.getValue().asText()));
    assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo("metrics");

    JsonNode monitor = HelmChart.only(manifests, "ServiceMonitor");
    monitor.at("/spec/selector/matchLabels").properties()
        .forEach(l -> assertThat(service.at("/metadata/labels").path(l.getKey()).asText()).isEqualTo(l.getValue().asText()));
    assertThat(Manifests.texts(monitor.at("/spec/namespaceSelector/matchNames"))).containsExactly(HelmChart.NAMESPACE);
    assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo(service.at("/spec/ports/0/name").asText());
    assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
    assertThat(monitor.at("/metadata/labels/release").asText()).isEqualTo("prometheus");
    assertThat(HelmChart.render(Map.of())).noneMatch(m -> m.path("kind").asText().equals("ServiceMonitor"));
  }

  @Test
  void theDisruptionBudgetKeepsAReplicaAndCanBeTurnedOff() {
    List<JsonNode> manifests = HelmChart.render(Map.of());
    JsonNode budget = HelmChart.only(manifests, "PodDisruptionBudget");
    assertThat(budget.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
    assertThat(budget.at("/spec/selector/matchLabels")).isEqualTo(HelmChart.only(manifests, "Deployment").at("/spec/selector/matchLabels"));
    assertThat(HelmChart.render(Map.of("podDisruptionBudget", Map.of("enabled", false)))).noneMatch(m -> m.path("kind").asText().equals("PodDisruptionBudget"));
  }

  static Stream<Arguments> invalidValues() {
    return Stream.of(
        Arguments.of(Map.of("operator", Map.of("resyncInterval", "5 minutes")), "at '/operator/resyncInterval'"),
        Arguments.of(Map.of("operator", Map.of("logFormat", "xml")), "at '/operator/logFormat'"),
        Arguments.of(Map.of("operator", Map.of("concurrency", 0)), "at '/operator/concurrency'"),
        Arguments.of(Map.of("operator", Map.of("gcpWritesPerSecond", -1)), "at '/operator/gcpWritesPerSecond'"),
        Arguments.of(Map.of("gcp", Map.of("project", "My_Project")), "at '/gcp/project'"),
        Arguments.of(Map.of("watchNamespaces", List.of("Team_A")), "at '/watchNamespaces/0'"),
        Arguments.of(Map.of("metrics", Map.of("port", 80)), "at '/metrics/port'"),
        Arguments.of(Map.of("replicas", 3), "additional properties 'replicas' not allowed"),
        Arguments.of(Map.of("replicaCount", 2, "leaderElection", Map.of("enabled", false)),
            "replicaCount > 1 needs leaderElection.enabled: true"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("invalidValues")
  void refusesValuesTheOperatorCouldNotRunWith(Map<String, Object> values, String error) {
    assertThatThrownBy(() -> HelmChart.render(values)).hasMessageContaining(error);
  }

  /** The operator container's environment: values, or "fieldRef:PATH" for downward-API entries. */
  private static Map<String, String> env(List<JsonNode> manifests) {
    Map<String, String> env = new HashMap<>();
    HelmChart.only(manifests, "Deployment").at("/spec/template/spec/containers/0/env").forEach(e -> env.put(e.path("name").asText(),
        e.has("valueFrom") ? "fieldRef:" + e.at("/valueFrom/fieldRef/fieldPath").asText() : e.path("value").asText()));
    return env;
  }
}
