package io.multiuser.server.deploy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.multiuser.server.testclient.JvmFlags;
import io.quarkus.test.junit.QuarkusTest;

/**
 * No cluster here, so the manifests are checked offline: rendered by {@code kubectl kustomize},
 * parsed into fabric8's typed Kubernetes model, and compared with the running application
 * (its probe and metrics endpoints, its configuration properties) and with the Dockerfile.
 */
@QuarkusTest
class KubernetesManifestsTest {

    private static final Path DOCKERFILE = Path.of("src/main/docker/Dockerfile.jvm");

    /** Whether {@code kubectl kustomize} can run here; without it only the base files are checked. */
    private static final boolean KUBECTL = kubectlWorks();

    private static boolean kubectlWorks() {
        try {
            Process p = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            System.out.println("KubernetesManifestsTest: kubectl is not installed; the kustomize render and the"
                    + " overlays are skipped, the base manifests are checked as written");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The objects {@code kubectl apply -k dir} would create. Without kubectl, the base's own files
     * stand in for {@code kubernetes} (no generated objects, no labels added); anything else is skipped.
     */
    static List<HasMetadata> render(String dir) throws Exception {
        if (!KUBECTL) {
            Assumptions.assumeTrue(dir.equals("kubernetes"), "kubectl is not installed: cannot render " + dir);
            return baseFiles();
        }
        Process p = new ProcessBuilder("kubectl", "kustomize", dir).redirectErrorStream(false).start();
        String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize %s: %s", dir, errors).isZero();
        return parse(yaml);
    }

    /** The files the base's kustomization.yaml lists under resources, parsed as they are. */
    private static List<HasMetadata> baseFiles() throws IOException {
        Path base = Path.of("kubernetes/base");
        Matcher m = Pattern.compile("(?m)^  - (\\S+\\.yaml)$").matcher(Files.readString(base.resolve("kustomization.yaml")));
        List<HasMetadata> objects = new ArrayList<>();
        while (m.find()) {
            objects.addAll(parse(Files.readString(base.resolve(m.group(1)))));
        }
        assertThat(objects).as("resources of kubernetes/base/kustomization.yaml").isNotEmpty();
        return objects;
    }

    private static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---$")) {
            if (!doc.isBlank()) {
                objects.add(Serialization.unmarshal(doc));
            }
        }
        return objects;
    }

    static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
        return objects.stream().filter(type::isInstance).map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    static Container server(List<HasMetadata> objects) {
        return one(objects, Deployment.class, "multi-user-server").getSpec().getTemplate().getSpec().getContainers()
                .get(0);
    }

    static int basePort(List<HasMetadata> objects) {
        return Integer.parseInt(one(objects, ConfigMap.class, "multi-user-server-config").getData().get("MULTIUSER_PORT"));
    }

    @Test
    void theSessionServiceExposesFourConsecutivePortsFromTheConfiguredBasePort() throws Exception {
        List<HasMetadata> objects = render("kubernetes");
        int base = basePort(objects);
        Service session = one(objects, Service.class, "multi-user-server-session");
        assertThat(session.getSpec().getType()).isEqualTo("LoadBalancer");
        List<ServicePort> ports = session.getSpec().getPorts();
        assertThat(ports).extracting(ServicePort::getPort).containsExactly(base, base + 1, base + 2, base + 3);
        Map<String, Integer> containerPorts = server(objects).getPorts().stream()
                .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
        for (int i = 0; i < 4; i++) {
            ServicePort port = ports.get(i);
            assertThat(port.getProtocol()).isEqualTo("TCP");
            assertThat(containerPorts.get(port.getTargetPort().getStrVal())).as(port.getName()).isEqualTo(base + i);
        }
    }

    @Test
    void theThreePortOverlayExposesExactlyTheProtocol09PortsEverywhere() throws Exception {
        List<HasMetadata> objects = render("kubernetes/overlays/protocol-0.9");
        int base = basePort(objects);
        assertThat(one(objects, ConfigMap.class, "multi-user-server-config").getData())
                .containsEntry("MULTIUSER_PROTOCOL", "0.9");
        List<ServicePort> ports = one(objects, Service.class, "multi-user-server-session").getSpec().getPorts();
        assertThat(ports).extracting(ServicePort::getPort).containsExactly(base, base + 1, base + 2);
        Map<String, Integer> containerPorts = server(objects).getPorts().stream()
                .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
        for (int i = 0; i < 3; i++) {
            assertThat(containerPorts.get(ports.get(i).getTargetPort().getStrVal())).as(ports.get(i).getName())
                    .isEqualTo(base + i);
        }
        assertThat(containerPorts).containsEntry("http", 8080).hasSize(4);
        NetworkPolicy policy = one(objects, NetworkPolicy.class, "multi-user-server");
        assertThat(policy.getSpec().getIngress().get(0).getPorts()).extracting(p -> p.getPort().getIntVal())
                .containsExactly(base, base + 1, base + 2);
    }

    @Test
    void theNodePortVariantKeepsTheNodePortsConsecutiveAndInOrder() throws Exception {
        List<HasMetadata> objects = render("kubernetes/overlays/nodeport");
        Service session = one(objects, Service.class, "multi-user-server-session");
        assertThat(session.getSpec().getType()).isEqualTo("NodePort");
        List<ServicePort> ports = session.getSpec().getPorts();
        int first = ports.get(0).getNodePort();
        for (int i = 0; i < 4; i++) {
            assertThat(ports.get(i).getNodePort()).isEqualTo(first + i);
            assertThat(ports.get(i).getPort()).isEqualTo(basePort(objects) + i);
        }
    }

    @Test
    void probesPointAtHealthEndpointsTheApplicationServes() throws Exception {
        Container server = server(render("kubernetes"));
        int httpPort = server.getPorts().stream().filter(p -> p.getName().equals("http")).findFirst().orElseThrow()
                .getContainerPort();
        // In prod the server listens on Quarkus' default HTTP port, which application.properties keeps.
        assertThat(httpPort).isEqualTo(8080);
        assertThat(Files.readString(Path.of("src/main/resources/application.properties")))
                .doesNotContainPattern("(?m)^[^#]*quarkus\\.http\\.port");
        for (Probe probe : List.of(server.getStartupProbe(), server.getLivenessProbe(), server.getReadinessProbe())) {
            assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
            given().get(probe.getHttpGet().getPath()).then().statusCode(200);
        }
        assertThat(server.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(server.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    }

    @Test
    void everyEnvironmentVariableTheManifestsSetIsARealConfigProperty() throws Exception {
        List<HasMetadata> objects = render("kubernetes");
        Container server = server(objects);
        List<String> names = new ArrayList<>(one(objects, ConfigMap.class, "multi-user-server-config").getData().keySet());
        // JAVA_OPTS_APPEND is the image's launcher variable (JVM flags), not a config property.
        server.getEnv().stream().filter(e -> !e.getName().equals("JAVA_OPTS_APPEND")).forEach(e -> names.add(e.getName()));
        assertThat(server.getEnvFrom()).extracting(e -> e.getConfigMapRef().getName())
                .containsExactly("multi-user-server-config");
        Set<String> known = StreamSupport.stream(ConfigProvider.getConfig().getPropertyNames().spliterator(), false)
                .map(KubernetesManifestsTest::envName).collect(Collectors.toSet());
        assertThat(known).contains("MULTIUSER_PORT", "MULTIUSER_TIMEOUT", "MULTIUSER_PASSWORD");
        assertThat(names).isNotEmpty().allSatisfy(name -> assertThat(known).as("config property for env %s", name)
                .contains(name));
    }

    /** MicroProfile Config's environment-variable form of a property name. */
    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
    }

    @Test
    void theDeploymentTheImageAndTheReadmeRunTheServerWithTheBenchmarkedJvmFlags() throws Exception {
        Matcher image = Pattern.compile("(?m)^ENV JAVA_OPTS_APPEND=\"([^\"]*)\"$").matcher(Files.readString(DOCKERFILE));
        assertThat(image.find()).as("Dockerfile JAVA_OPTS_APPEND").isTrue();
        String deployment = server(render("kubernetes")).getEnv().stream()
                .filter(e -> e.getName().equals("JAVA_OPTS_APPEND")).findFirst().orElseThrow().getValue();
        // the variable replaces the image's value, so it must carry all of it
        assertThat(deployment).isEqualTo(image.group(1));
        List<String> flags = JvmFlags.SERVER_GC_FLAGS;
        assertThat(List.of(image.group(1).split("\\s+"))).containsAll(flags);
        String runCommand = "java " + String.join(" ", flags) + " -jar target/quarkus-app/quarkus-run.jar";
        assertThat(Files.readString(Path.of("README.md"))).contains(runCommand);
    }

    @Test
    void theAdminPasswordComesFromTheSecretAndIsNeverInlined() throws Exception {
        List<HasMetadata> objects = render("kubernetes");
        EnvVar password = server(objects).getEnv().stream().filter(e -> e.getName().equals("MULTIUSER_PASSWORD"))
                .findFirst().orElseThrow();
        assertThat(password.getValue()).isNull();
        var ref = password.getValueFrom().getSecretKeyRef();
        Secret secret = one(objects, Secret.class, ref.getName());
        assertThat(secret.getStringData()).containsKey(ref.getKey());
        assertThat(one(objects, ConfigMap.class, "multi-user-server-config").getData().keySet())
                .noneMatch(k -> k.contains("PASSWORD"));
    }

    @Test
    void theContainerRunsAsTheImagesNonRootUserWithALockedDownFilesystem() throws Exception {
        List<HasMetadata> objects = render("kubernetes");
        String dockerfile = Files.readString(DOCKERFILE);
        Matcher user = Pattern.compile("(?m)^USER (\\d+)$").matcher(dockerfile);
        assertThat(user.find()).as("Dockerfile USER").isTrue();
        long imageUser = Long.parseLong(user.group(1));
        assertThat(imageUser).isNotZero();

        Deployment deployment = one(objects, Deployment.class, "multi-user-server");
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(imageUser);
        var container = server(objects).getSecurityContext();
        assertThat(container.getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getCapabilities().getDrop()).contains("ALL");

        Matcher expose = Pattern.compile("(?m)^EXPOSE (.+)$").matcher(dockerfile);
        assertThat(expose.find()).isTrue();
        List<Integer> exposed = java.util.Arrays.stream(expose.group(1).trim().split("\\s+")).map(Integer::valueOf)
                .toList();
        assertThat(exposed).containsExactlyInAnyOrderElementsOf(
                server(objects).getPorts().stream().map(ContainerPort::getContainerPort).toList());
        assertThat(dockerfile).contains("quarkus-run.jar");
    }

    @Test
    void oneAuthoritativeServerWithResourcesAndTimeToStopCleanly() throws Exception {
        List<HasMetadata> objects = render("kubernetes");
        Deployment deployment = one(objects, Deployment.class, "multi-user-server");
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        assertThat(deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(10);
        assertThat(server(objects).getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(server(objects).getResources().getLimits()).containsKey("memory");
        var mounts = server(objects).getVolumeMounts();
        assertThat(mounts).extracting(m -> m.getMountPath()).contains("/var/lib/multi-user-server", "/tmp");
        // The session store writes where the volume is mounted, not into the container's own layer.
        assertThat(one(objects, ConfigMap.class, "multi-user-server-config").getData())
                .containsEntry("MULTIUSER_STORE_DIRECTORY", "/var/lib/multi-user-server");
        var claim = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getPersistentVolumeClaim() != null).findFirst().orElseThrow();
        one(objects, io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class,
                claim.getPersistentVolumeClaim().getClaimName());
    }

    @Test
    void scrapingPointsAtTheRealMetricsEndpoint() throws Exception {
        List<HasMetadata> base = render("kubernetes");
        Service http = one(base, Service.class, "multi-user-server-http");
        assertThat(http.getSpec().getType()).isEqualTo("ClusterIP");
        Map<String, String> annotations = http.getMetadata().getAnnotations();
        assertThat(annotations).containsEntry("prometheus.io/scrape", "true");
        assertThat(one(base, Deployment.class, "multi-user-server").getSpec().getTemplate().getMetadata()
                .getAnnotations()).isEqualTo(annotations);
        int port = Integer.parseInt(annotations.get("prometheus.io/port"));
        assertThat(http.getSpec().getPorts()).extracting(ServicePort::getPort).contains(port);
        assertThat(given().get(annotations.get("prometheus.io/path")).then().statusCode(200).extract().asString())
                .contains("multiuser_users");

        List<HasMetadata> withOperator = render("kubernetes/overlays/prometheus-operator");
        GenericKubernetesResource monitor = withOperator.stream().filter(GenericKubernetesResource.class::isInstance)
                .map(GenericKubernetesResource.class::cast).filter(r -> r.getKind().equals("ServiceMonitor"))
                .findFirst().orElseThrow();
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) monitor.getAdditionalProperties().get("spec");
        @SuppressWarnings("unchecked")
        Map<String, Object> endpoint = ((List<Map<String, Object>>) spec.get("endpoints")).get(0);
        assertThat(endpoint.get("path")).isEqualTo(annotations.get("prometheus.io/path"));
        assertThat(http.getSpec().getPorts()).extracting(ServicePort::getName).contains((String) endpoint.get("port"));
        @SuppressWarnings("unchecked")
        Map<String, String> selector = (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
        assertThat(http.getMetadata().getLabels()).containsAllEntriesOf(selector);
    }

    @Test
    void theNetworkPolicyOpensTheSessionPortsAndKeepsHttpInsideTheCluster() throws Exception {
        List<HasMetadata> objects = render("kubernetes");
        NetworkPolicy policy = one(objects, NetworkPolicy.class, "multi-user-server");
        int base = basePort(objects);
        NetworkPolicyIngressRule open = policy.getSpec().getIngress().stream()
                .filter(r -> r.getFrom() == null || r.getFrom().isEmpty()).findFirst().orElseThrow();
        assertThat(open.getPorts()).extracting(p -> p.getPort().getIntVal())
                .containsExactlyInAnyOrder(base, base + 1, base + 2, base + 3);
        NetworkPolicyIngressRule internal = policy.getSpec().getIngress().stream()
                .filter(r -> r.getFrom() != null && !r.getFrom().isEmpty()).findFirst().orElseThrow();
        assertThat(internal.getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(8080);
        assertThat(internal.getFrom()).allSatisfy(peer -> {
            assertThat(peer.getIpBlock()).isNull(); // no outside addresses
            assertThat(peer.getNamespaceSelector()).isNotNull();
        });
    }

    @Test
    void theGrafanaDashboardIsProvisionedForTheSidecar() throws Exception {
        Assumptions.assumeTrue(KUBECTL, "kubectl is not installed: the dashboard ConfigMap is generated by kustomize");
        ConfigMap dashboard = one(render("kubernetes"), ConfigMap.class, "multi-user-server-grafana-dashboard");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(dashboard.getData().get("multi-user-server-dashboard.json"))
                .isEqualTo(Files.readString(Path.of("kubernetes/base/grafana/multi-user-server-dashboard.json")));
    }
}
