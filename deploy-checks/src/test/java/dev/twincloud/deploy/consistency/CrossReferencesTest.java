package dev.twincloud.deploy.consistency;

import static dev.twincloud.deploy.helm.Charts.one;
import static dev.twincloud.deploy.helm.Charts.path;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.twincloud.deploy.consistency.Checks.OperatorSecret;
import dev.twincloud.deploy.helm.Charts;
import dev.twincloud.deploy.terraform.TerraformTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pieces of the deployment fit together: both sites' charts and the arbiter's chart rendered with
 * the example values, the Terraform modules and example environment, deploy/helm/secrets.yaml and the
 * workflows, checked against each other. Each check also gets a broken variant (the defect a first
 * deployment hit) and must report it. Terraform is read with hcl4j (no providers here): values are
 * the variables' defaults and the example environment's arguments.
 */
class CrossReferencesTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Path ROOT = TerraformTree.ROOT;
    private static List<Map<String, Object>> gcp;
    private static List<Map<String, Object>> aws;
    private static List<Map<String, Object>> arbiter;
    private static List<OperatorSecret> secrets;

    @BeforeAll
    static void render() throws IOException {
        gcp = Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"));
        aws = Charts.render(Charts.SITE, Charts.values("values-aws.yaml"));
        arbiter = Charts.render(Charts.ARBITER, Charts.values("values-arbiter.yaml"));
        secrets = operatorSecrets();
    }

    @SuppressWarnings("unchecked")
    static List<OperatorSecret> operatorSecrets() throws IOException {
        Map<String, Object> file = Charts.readMap(Charts.HELM.resolve("secrets.yaml"));
        List<OperatorSecret> out = new ArrayList<>();
        for (Map<String, Object> s : (List<Map<String, Object>>) file.get("secrets")) {
            out.add(new OperatorSecret((String) s.get("name"), (List<String>) s.get("at"), Boolean.TRUE.equals(s.get("same"))));
        }
        return out;
    }

    private static Object tfDefault(String module, String variable) {
        Map<String, Object> v = TerraformTree.module(module).variables().get(variable);
        assertThat(v).as("variable %s of module %s", variable, module).isNotNull();
        return v.get("default");
    }

    @SuppressWarnings("unchecked")
    private static List<String> tfList(String module, String variable) {
        return (List<String>) tfDefault(module, variable);
    }

    private static int tfInt(String module, String variable) {
        return ((Number) tfDefault(module, variable)).intValue();
    }

    // ---------------------------------------------------------------- secrets

    @Test
    void everySecretEachPlaceRefersToIsCreatedBySomething() {
        assertThat(Checks.secretsExist("gcp", gcp, secrets)).isEmpty();
        assertThat(Checks.secretsExist("aws", aws, secrets)).isEmpty();
        assertThat(Checks.secretsExist("arbiter", arbiter, secrets)).isEmpty();
    }

    @Test
    void brokenSecretsAreCaught() {
        // The first version: the AWS api used CloudNativePG's twincloud-db-aws-app, which a Cluster
        // bootstrapped with pg_basebackup never gets.
        List<Map<String, Object>> awsApiOnGeneratedApp = Charts.render(Charts.SITE, Charts.values("values-aws.yaml"),
                Map.of("postgres.roles.app.existingSecret", "twincloud-db-aws-app"));
        assertThat(Checks.secretsExist("aws", awsApiOnGeneratedApp, secrets))
                .anySatisfy(p -> assertThat(p).contains("twincloud-db-aws-app").contains("nothing creates"));
        // The first version's agent: CloudNativePG's generated twincloud-db-aws-superuser, on a Cluster
        // that does not run initdb (its generated password would not match the replicated hash).
        List<Map<String, Object>> awsGeneratedSuperuser = Charts.render(Charts.SITE, Charts.values("values-aws.yaml"),
                Map.of("postgres.superuserSecret", "twincloud-db-aws-superuser"));
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) one(awsGeneratedSuperuser, "Cluster", "twincloud-db-aws").get("spec");
        spec.remove("superuserSecret");
        assertThat(Checks.secretsExist("aws", awsGeneratedSuperuser, secrets))
                .anySatisfy(p -> assertThat(p).contains("twincloud-db-aws-superuser").contains("nothing creates"));
        // On the initdb site a generated per-site superuser Secret feeding the Cluster is refused too.
        List<Map<String, Object>> gcpGenerated = Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"),
                Map.of("postgres.superuserSecret", "twincloud-db-gcp-superuser"));
        assertThat(Checks.secretsExist("gcp", gcpGenerated, secrets)).anySatisfy(p -> assertThat(p).contains("twincloud-db-gcp-superuser"));
        // A listed Secret that differs per site cannot carry a replicated role's password.
        List<OperatorSecret> perSite = secrets.stream()
                .map(s -> s.name().equals("twincloud-db-app") ? new OperatorSecret(s.name(), s.at(), false) : s).toList();
        assertThat(Checks.secretsExist("aws", aws, perSite)).anySatisfy(p -> assertThat(p).contains("same: true"));
        // A Secret nobody creates at the arbiter.
        List<Map<String, Object>> arbiterBadTls = Charts.render(Charts.ARBITER, Charts.values("values-arbiter.yaml"),
                Map.of("tls.existingSecret", "arbiter-tls-typo"));
        assertThat(Checks.secretsExist("arbiter", arbiterBadTls, secrets)).anySatisfy(p -> assertThat(p).contains("arbiter-tls-typo"));
    }

    @Test
    void theCaPrivateKeyIsNeverRequiredInTheClusters() throws IOException {
        String list = Files.readString(Charts.HELM.resolve("secrets.yaml"));
        assertThat(list).doesNotContain("ca.key]").doesNotContain("ca.key,");
        for (List<Map<String, Object>> site : List.of(gcp, aws)) {
            assertThat(site.toString()).doesNotContain("ca.key");
        }
    }

    // -------------------------------------------------------- names and ports

    @SuppressWarnings("unchecked")
    private static String negName(List<Map<String, Object>> docs) throws IOException {
        Map<String, Object> svc = one(docs, "Service", "twincloud-api");
        String annotation = ((Map<String, String>) path(svc, "metadata.annotations")).get("cloud.google.com/neg");
        JsonNode neg = YAML.readTree(annotation);
        return neg.path("exposed_ports").elements().next().path("name").asText();
    }

    static List<String> negNameMatches(String terraformName, String chartName) {
        return terraformName.equals(chartName) ? List.of()
                : List.of("global-lb looks up NEG '" + terraformName + "' but the chart names it '" + chartName + "'");
    }

    @Test
    void theNegTerraformLooksUpIsTheOneTheChartMakesGkeCreate() throws IOException {
        assertThat(negNameMatches((String) tfDefault("global-lb", "gcp_neg_name"), negName(gcp))).isEmpty();
        assertThat(TerraformTree.envs()).allSatisfy(env -> assertThat(env.text()).doesNotContain("gcp_neg_name"));
        assertThat(negNameMatches("twincloud-api", negName(gcp))).as("the first version's name").isNotEmpty();
    }

    @Test
    void theNegIsOnlyLookedUpOnceGkeHasCreatedIt() {
        assertThat(tfDefault("global-lb", "gcp_negs_created")).isEqualTo(false);
        assertThat(TerraformTree.module("global-lb").text()).contains("var.mode == \"gcp-alb\" && var.gcp_negs_created ?");
        assertThat(TerraformTree.envs().getFirst().text()).contains("gcp_negs_created = var.gcp_negs_created");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> containers(List<Map<String, Object>> docs, String deployment) {
        return (List<Map<String, Object>>) path(one(docs, "Deployment", deployment), "spec.template.spec.containers");
    }

    /**
     * The plain {@code value} environment of {@code deployment}'s first container as {@code docs} render
     * it (entries taken from Secrets left out), each value passed through {@code mapValue} (e.g. to map
     * mounted paths into a test's directory).
     */
    @SuppressWarnings("unchecked")
    static Map<String, String> plainEnvironment(List<Map<String, Object>> docs, String deployment,
                                                java.util.function.UnaryOperator<String> mapValue) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) containers(docs, deployment).getFirst().get("env")) {
            if (e.get("value") != null) {
                env.put((String) e.get("name"), mapValue.apply((String) e.get("value")));
            }
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static int containerPort(List<Map<String, Object>> docs, String deployment, String portName) {
        for (Map<String, Object> c : containers(docs, deployment)) {
            for (Map<String, Object> p : (List<Map<String, Object>>) c.get("ports")) {
                if (portName.equals(p.get("name"))) {
                    return ((Number) p.get("containerPort")).intValue();
                }
            }
        }
        throw new AssertionError("no port " + portName + " in " + deployment);
    }

    @SuppressWarnings("unchecked")
    private static int servicePort(List<Map<String, Object>> docs, String service) {
        Map<String, Object> s = one(docs, "Service", service);
        return ((Number) ((List<Map<String, Object>>) path(s, "spec.ports")).getFirst().get("port")).intValue();
    }

    /** The load balancer reaches each backend on the port it listens on, and probes it where the writer health is served. */
    static List<String> lbPortsMatch(int gcpPodPort, int gcpBackendPort, int awsServicePort, int awsBackendPort,
                                     Integer healthCheckPort, int gcpPodHealthPort, int awsServiceHealthPort) {
        List<String> problems = new ArrayList<>();
        if (gcpPodPort != gcpBackendPort) {
            problems.add("GKE NEG endpoints are the pods' port " + gcpPodPort + ", global-lb gcp_backend_port is " + gcpBackendPort);
        }
        if (awsServicePort != awsBackendPort) {
            problems.add("the AWS NLB listens on " + awsServicePort + ", the hybrid NEG sends to aws_backend_port " + awsBackendPort);
        }
        if (healthCheckPort != null && (healthCheckPort != gcpPodHealthPort || healthCheckPort != awsServiceHealthPort)) {
            problems.add("health_check_port " + healthCheckPort + " is not the writer-health port both backends listen on (pods "
                    + gcpPodHealthPort + ", AWS NLB " + awsServiceHealthPort + ")");
        }
        return problems;
    }

    @SuppressWarnings("unchecked")
    private static int servicePort(List<Map<String, Object>> docs, String service, String portName) {
        for (Map<String, Object> p : (List<Map<String, Object>>) path(one(docs, "Service", service), "spec.ports")) {
            if (portName.equals(p.get("name"))) {
                return ((Number) p.get("port")).intValue();
            }
        }
        throw new AssertionError("no port " + portName + " on Service " + service);
    }

    @Test
    void loadBalancerAndHealthCheckPortsArePortsTheBackendsListenOn() {
        var lb = TerraformTree.module("global-lb");
        assertThat(lb.text()).contains("port_specification = var.health_check_port == null ? \"USE_SERVING_PORT\" : \"USE_FIXED_PORT\"");
        Integer hc = tfDefault("global-lb", "health_check_port") == null ? null : tfInt("global-lb", "health_check_port");
        assertThat(hc).as("the API's own writer-health port (api.healthPort)").isNotNull();
        assertThat(lbPortsMatch(containerPort(gcp, "twincloud-api", "http"), tfInt("global-lb", "gcp_backend_port"),
                servicePort(aws, "twincloud-api", "http"), tfInt("global-lb", "aws_backend_port"),
                hc, containerPort(gcp, "twincloud-api", "health"), servicePort(aws, "twincloud-api", "health"))).isEmpty();
        // The first version: one backend_port = 8080 for both, while the NLB listened on 80.
        assertThat(lbPortsMatch(8080, 8080, 80, 8080, null, 8081, 8081)).anySatisfy(p -> assertThat(p).contains("NLB listens on 80"));
        assertThat(lbPortsMatch(8080, 8080, 80, 80, 8081, 8081, 9999)).anySatisfy(p -> assertThat(p).contains("health_check_port 8081"));
        // The firewall for Google's front ends and checkers admits the pods' port and the health port.
        assertThat(lb.text()).contains("ports    = distinct([for p in compact([var.gcp_backend_port, var.health_check_port]) : tostring(p)])");
    }

    @Test
    void healthCheckIsTheFastestTheProviderAllowsWithTwoFailuresToLeave() {
        assertThat(tfInt("global-lb", "health_check_interval_sec")).isEqualTo(1);
        assertThat(tfInt("global-lb", "health_check_timeout_sec")).isEqualTo(1);
        assertThat(tfInt("global-lb", "healthy_threshold")).isEqualTo(1);
        assertThat(tfInt("global-lb", "unhealthy_threshold")).as("one lost probe must not take the only writer out").isEqualTo(2);
        Map<String, Object> v = TerraformTree.module("global-lb").variables().get("unhealthy_threshold");
        assertThat((String) v.get("description")).contains("does not add to the RTO");
    }

    /** Every backend service of the edge denies the API's management paths (actuator) to the internet. */
    static List<String> actuatorDeniedAtTheEdge(List<TerraformTree.Resource> backends, List<TerraformTree.Resource> policies) {
        List<String> problems = new ArrayList<>();
        for (TerraformTree.Resource b : backends) {
            Object ref = b.get("security_policy");
            TerraformTree.Resource policy = ref == null ? null : policies.stream()
                    .filter(p -> String.valueOf(ref).contains("google_compute_security_policy." + p.name())).findFirst().orElse(null);
            if (policy == null) {
                problems.add(b + " has no Cloud Armor policy: /actuator/prometheus and detailed health are public");
                continue;
            }
            boolean denies = TerraformTree.blocks(policy.get("rule")).stream().anyMatch(r ->
                    String.valueOf(r.get("action")).startsWith("deny")
                            && String.valueOf(r.get("match")).contains("/actuator"));
            if (!denies) {
                problems.add(policy + " does not deny /actuator");
            }
        }
        return problems;
    }

    @Test
    void theApisActuatorIsNotReachableThroughTheLoadBalancer() {
        var lb = TerraformTree.module("global-lb");
        var backends = lb.resources("google_compute_backend_service");
        var policies = lb.resources("google_compute_security_policy");
        assertThat(backends).isNotEmpty();
        assertThat(actuatorDeniedAtTheEdge(backends, policies)).isEmpty();
        // What it protects: the chart scrapes the API's metrics there.
        assertThat(path(one(gcp, "ServiceMonitor", "twincloud-api"), "spec.endpoints").toString()).contains("/actuator/prometheus");
        // The first version had no policy.
        assertThat(actuatorDeniedAtTheEdge(backends, List.of())).isNotEmpty();
    }

    @Test
    void theRoute53EdgeSaysItDoesNotKeepTheActuatorOff() {
        // route53-failover has no Cloud Armor equivalent (its records point at network load balancers,
        // to which AWS WAF cannot attach, and Route 53's checkers need the writer path through the
        // same entry): the module, its README and docs/deploy.md say so, so nobody picks that mode
        // believing /actuator is closed. The first version said nothing.
        var lb = TerraformTree.module("global-lb");
        assertThat(lb.resources("aws_route53_record")).isNotEmpty();
        assertThat(lb.text()).contains("No actuator filter in this mode");
        assertThat((String) lb.variables().get("mode").get("description")).contains("route53-failover (DNS failover records; no actuator filter");
        assertThat(read("deploy/terraform/README.md")).contains("**No actuator filter in this mode**");
        assertThat(read("docs/deploy.md")).contains("Edge `route53-failover`: no actuator filter");
    }

    // ----------------------------------------------------------- addresses

    @SuppressWarnings("unchecked")
    private static List<String> nlbIps(List<Map<String, Object>> docs, String serviceName) {
        Map<String, Object> svc = serviceName.equals("twincloud-api") ? one(docs, "Service", serviceName) : replicationService(docs);
        String ips = ((Map<String, String>) path(svc, "metadata.annotations")).get("service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses");
        return Arrays.stream(ips.split(",")).map(String::trim).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> replicationService(List<Map<String, Object>> docs) {
        Map<String, Object> cluster = Charts.ofKind(docs, "Cluster").getFirst();
        List<Map<String, Object>> additional = path(cluster, "spec.managed.services.additional");
        return (Map<String, Object>) additional.getFirst().get("serviceTemplate");
    }

    @SuppressWarnings("unchecked")
    private static List<String> exampleAzs() {
        var env = TerraformTree.envs().getFirst();
        return (List<String>) env.variables().get("aws_availability_zones").get("default");
    }

    private static List<String> awsSubnets(boolean priv) {
        String vpc = (String) tfDefault("aws-site", "vpc_cidr");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < exampleAzs().size(); i++) {
            // aws-site: public cidrsubnet(vpc_cidr, 4, i), private cidrsubnet(vpc_cidr, 2, i + 1)
            out.add(priv ? Checks.cidrsubnet(vpc, 2, i + 1) : Checks.cidrsubnet(vpc, 4, i));
        }
        return out;
    }

    @Test
    void theSubnetFormulasAreTheModulesOwn() {
        String text = TerraformTree.module("aws-site").text();
        assertThat(text).contains("cidr_block              = cidrsubnet(var.vpc_cidr, 4, count.index)");
        assertThat(text).contains("cidr_block        = cidrsubnet(var.vpc_cidr, 2, count.index + 1)");
        assertThat(Checks.cidrsubnet("10.20.0.0/16", 2, 1)).isEqualTo("10.20.64.0/18");
        assertThat(Checks.cidrsubnet("10.20.0.0/16", 4, 2)).isEqualTo("10.20.32.0/20");
    }

    @Test
    void fixedNlbAddressesLieInThePrivateSubnetsOnePerZone() {
        for (String svc : List.of("twincloud-api", "replication")) {
            assertThat(Checks.nlbAddressesInPrivateSubnets(svc, nlbIps(aws, svc), awsSubnets(true), awsSubnets(false))).isEmpty();
        }
        // The first version: 10.20.0.20,10.20.1.20 - in the public subnet, and two for three zones.
        assertThat(Checks.nlbAddressesInPrivateSubnets("api", List.of("10.20.0.20", "10.20.1.20"), awsSubnets(true), awsSubnets(false)))
                .anySatisfy(p -> assertThat(p).contains("public subnet"))
                .anySatisfy(p -> assertThat(p).contains("exactly one per subnet"));
        // Terraform's hybrid NEG gets the same addresses (the example's second apply).
        String tfvars = read("deploy/terraform/envs/example/terraform.tfvars.example");
        Matcher m = Pattern.compile("aws_backend_ips\\s*=\\s*\\[([^]]*)]").matcher(tfvars);
        assertThat(m.find()).isTrue();
        assertThat(Arrays.stream(m.group(1).split(",")).map(s -> s.replace("\"", "").trim()).toList()).isEqualTo(nlbIps(aws, "twincloud-api"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachSitesPeerHostIsTheOtherSitesReplicationEndpoint() {
        String gcpPeer = path(one(gcp, "Cluster", "twincloud-db-gcp"), "spec.externalClusters").toString();
        assertThat(nlbIps(aws, "replication")).anySatisfy(ip -> assertThat(gcpPeer).contains("host=" + ip));
        String gcpReplicationIp = path(replicationService(gcp), "spec.loadBalancerIP");
        assertThat(gcpReplicationIp).as("the GCP replication endpoint has a fixed address").isNotNull();
        assertThat(Checks.contains((String) tfDefault("gcp-site", "subnet_cidr"), gcpReplicationIp)).isTrue();
        List<Map<String, Object>> awsExt = path(one(aws, "Cluster", "twincloud-db-aws"), "spec.externalClusters");
        assertThat((String) path(awsExt.getFirst(), "connectionParameters.host")).isEqualTo(gcpReplicationIp);
    }

    @Test
    @SuppressWarnings("unchecked")
    void firewallsAndSourceRangesAdmitTheNodesAndPodsThatConnect() {
        Map<String, String> gcpSources = new LinkedHashMap<>();
        gcpSources.put("GCP nodes", (String) tfDefault("gcp-site", "subnet_cidr"));
        gcpSources.put("GCP pods", (String) tfDefault("gcp-site", "pods_cidr"));
        List<String> awsReplication = path(replicationService(aws), "spec.loadBalancerSourceRanges");
        assertThat(Checks.rangesCover("AWS replication NLB", awsReplication, gcpSources)).isEmpty();
        assertThat(Checks.rangesCover("AWS replication NLB", List.of("10.10.0.0/16"), gcpSources))
                .as("the first version admitted only the node range").anySatisfy(p -> assertThat(p).contains("GCP pods"));
        List<String> gcpReplication = path(replicationService(gcp), "spec.loadBalancerSourceRanges");
        assertThat(Checks.rangesCover("GCP replication ILB", gcpReplication, Map.of("AWS VPC (EKS pods)", (String) tfDefault("aws-site", "vpc_cidr")))).isEmpty();
        // Google's proxies and health checkers reach the AWS api NLB over the VPN.
        List<String> googleRanges = (List<String>) ((Map<String, Object>) TerraformTree.module("global-lb").hcl().get("locals")).get("google_lb_ranges");
        Map<String, String> google = new LinkedHashMap<>();
        googleRanges.forEach(r -> google.put("Google LB " + r, r));
        List<String> awsApi = path(one(aws, "Service", "twincloud-api"), "spec.loadBalancerSourceRanges");
        assertThat(Checks.rangesCover("AWS api NLB", awsApi, google)).isEmpty();
        // ... and the VPN advertises those ranges to AWS.
        assertThat(tfList("interconnect", "extra_advertised_ranges")).containsAll(googleRanges);
    }

    // ------------------------------------------------------ network policies

    /** Who must reach what at one site, through its NetworkPolicies. */
    static List<String> networkPoliciesAdmitWhatConnects(String site, List<Map<String, Object>> docs, List<String> peerSources) {
        List<String> problems = new ArrayList<>();
        String ns = Charts.NAMESPACE;
        String cluster = "twincloud-db-" + site;
        Map<String, String> db = Map.of("cnpg.io/cluster", cluster, "cnpg.io/instanceRole", "primary");
        Map<String, String> api = Map.of("app.kubernetes.io/instance", "twincloud", "app.kubernetes.io/name", "twincloud-api");
        Map<String, String> agent = Map.of("app.kubernetes.io/instance", "twincloud", "app.kubernetes.io/name", "twincloud-agent");
        var operator = Checks.Source.pod("cnpg-system", Map.of("app.kubernetes.io/name", "cloudnative-pg"));
        var anywhere = Checks.Source.address("35.191.0.1");
        for (int port : List.of(8000, 5432)) {
            if (!Checks.admits(docs, ns, db, port, operator)) {
                problems.add(site + ": CloudNativePG's operator cannot reach the instances on " + port);
            }
            if (!Checks.admits(docs, ns, db, port, Checks.Source.pod(ns, Map.of("cnpg.io/cluster", cluster)))) {
                problems.add(site + ": the instances cannot reach each other on " + port);
            }
        }
        Map<String, String> restore = Map.of("app.kubernetes.io/part-of", "twincloud", "app.kubernetes.io/name", "twincloud-restore");
        for (var who : List.of(api, agent, restore)) {
            if (!Checks.admits(docs, ns, db, 5432, Checks.Source.pod(ns, who))) {
                problems.add(site + ": " + who.get("app.kubernetes.io/name") + " cannot reach PostgreSQL");
            }
        }
        for (String source : peerSources) {
            if (!Checks.admits(docs, ns, db, 5432, Checks.Source.address(source))) {
                problems.add(site + ": replication from " + source + " (the other site, as it arrives here) is not admitted");
            }
        }
        if (!Checks.admits(docs, ns, api, containerPort(docs, "twincloud-api", "http"), anywhere)) {
            problems.add(site + ": the load balancer cannot reach the api");
        }
        if (!Checks.admits(docs, ns, api, containerPort(docs, "twincloud-api", "health"), anywhere)) {
            problems.add(site + ": the load balancer's health checks cannot reach the api's writer-health port");
        }
        if (!Checks.admits(docs, ns, agent, containerPort(docs, "twincloud-agent", "management"), Checks.Source.pod("monitoring", Map.of()))) {
            problems.add(site + ": metrics cannot be scraped from the agent");
        }
        // the read lease (docs/design.md rule 10): the api asks its own agent's actuator, through the agent's Service
        String lease = env(docs, "twincloud-api", "TWINCLOUD_READS_READ_LEASE_URL");
        if (lease != null) {
            java.net.URI u = java.net.URI.create(lease);
            int management = containerPort(docs, "twincloud-agent", "management");
            if (!u.getHost().startsWith("twincloud-agent.") || u.getPort() != management || !"http".equals(u.getScheme())
                    || !"/actuator/readlease".equals(u.getPath())) {
                problems.add(site + ": the api asks " + lease + " for the read lease, but the agent serves it at http://twincloud-agent.<namespace>.svc:"
                        + management + "/actuator/readlease");
            }
            if (!servicePorts(docs, "twincloud-agent").contains(u.getPort())) {
                problems.add(site + ": the agent's Service does not expose port " + u.getPort() + " (the read lease)");
            }
            if (!Checks.admits(docs, ns, agent, u.getPort(), Checks.Source.pod(ns, api))) {
                problems.add(site + ": the api cannot reach its agent's read lease on " + u.getPort());
            }
        }
        return problems;
    }

    @SuppressWarnings("unchecked")
    private static List<Integer> servicePorts(List<Map<String, Object>> docs, String service) {
        return ((List<Map<String, Object>>) path(one(docs, "Service", service), "spec.ports")).stream()
                .map(p -> ((Number) p.get("port")).intValue()).toList();
    }

    /** An address in each of a set of ranges (where the peer's connections come from). */
    private static List<String> firstHosts(List<String> cidrs) {
        return cidrs.stream().map(c -> Checks.dotted(Checks.ip(c.split("/")[0]) + 10)).toList();
    }

    @Test
    void networkPoliciesAdmitEverythingThatMustConnect() {
        // GKE's internal passthrough LB keeps the AWS pods' addresses (the AWS VPC).
        List<String> toGcp = firstHosts(awsSubnets(true));
        // EKS's NLB with IP targets connects from its own addresses (in the private subnets).
        List<String> toAws = nlbIps(aws, "replication");
        assertThat(Charts.ofKind(gcp, "NetworkPolicy")).hasSize(3);
        assertThat(networkPoliciesAdmitWhatConnects("gcp", gcp, toGcp)).isEmpty();
        assertThat(networkPoliciesAdmitWhatConnects("aws", aws, toAws)).isEmpty();
        // Broken: the operator in another namespace than the policy admits; replication sources that
        // are the GCP ranges although the NLB connects from its own addresses.
        assertThat(networkPoliciesAdmitWhatConnects("gcp", Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"),
                Map.of("networkPolicy.operatorNamespace", "postgres-operator")), toGcp))
                .anySatisfy(p -> assertThat(p).contains("operator cannot reach"));
        assertThat(networkPoliciesAdmitWhatConnects("gcp", Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"),
                Map.of("api.healthPort", 8082, "api.containerPort", 8080)).stream().map(d -> {
                    // a policy written before the health port existed: the api's port only
                    if ("NetworkPolicy".equals(d.get("kind")) && "twincloud-api".equals(path(d, "metadata.name"))) {
                        Map<String, Object> copy = new java.util.HashMap<>(d);
                        copy.put("spec", Map.<String, Object>of("podSelector", (Object) path(d, "spec.podSelector"), "policyTypes", List.of("Ingress"),
                                "ingress", List.of(Map.of("ports", List.of(Map.of("port", 8080))))));
                        return copy;
                    }
                    return d;
                }).toList(), toGcp)).anySatisfy(p -> assertThat(p).contains("writer-health port"));
        assertThat(networkPoliciesAdmitWhatConnects("aws", Charts.render(Charts.SITE, Charts.values("values-aws.yaml"),
                Map.of("networkPolicy.replicationSourceCidrs[0]", "10.10.0.0/20")), toAws))
                .anySatisfy(p -> assertThat(p).contains("replication from"));
        // Broken: the agent's management port moved but a policy written for the old one (the api's read lease)
        assertThat(networkPoliciesAdmitWhatConnects("gcp", Charts.render(Charts.SITE, Charts.values("values-gcp.yaml")).stream().map(d -> {
            if ("NetworkPolicy".equals(d.get("kind")) && "twincloud-agent".equals(path(d, "metadata.name"))) {
                Map<String, Object> copy = new java.util.HashMap<>(d);
                copy.put("spec", Map.<String, Object>of("podSelector", (Object) path(d, "spec.podSelector"), "policyTypes", List.of("Ingress"),
                        "ingress", List.of(Map.of("from", List.of(Map.of("namespaceSelector", Map.of("matchLabels",
                                Map.of("kubernetes.io/metadata.name", "monitoring")))), "ports", List.of(Map.of("port", 8091))))));
                return copy;
            }
            return d;
        }).toList(), toGcp)).anySatisfy(p -> assertThat(p).contains("cannot reach its agent's read lease"));
        assertThat(networkPoliciesAdmitWhatConnects("gcp", Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"),
                Map.of("api.reads.readLease", false)), toGcp)).as("no read lease asked: nothing to admit").isEmpty();
    }

    // ------------------------------------------------------------ failsafe

    /**
     * The failsafe endpoint a site exposes to the other site's agent (agent.failsafeService): the
     * addresses the other site may name, its port, whether the agent serves HTTPS there, and the
     * agent's container port it leads to. Null when the site exposes none.
     */
    record FailsafeEndpoint(List<String> addresses, int port, boolean tls, int containerPort, List<String> sourceRanges) {
    }

    @SuppressWarnings("unchecked")
    static FailsafeEndpoint failsafeEndpoint(List<Map<String, Object>> docs) {
        Map<String, Object> svc = docs.stream()
                .filter(d -> "Service".equals(d.get("kind")) && "twincloud-agent-failsafe".equals(path(d, "metadata.name")))
                .findFirst().orElse(null);
        if (svc == null) {
            return null;
        }
        List<String> addresses = new ArrayList<>();
        String fixed = path(svc, "spec.loadBalancerIP");
        if (fixed != null) {
            addresses.add(fixed);
        }
        Map<String, String> annotations = (Map<String, String>) java.util.Objects.requireNonNullElse(path(svc, "metadata.annotations"), Map.<String, String>of());
        String nlb = annotations.get("service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses");
        if (nlb != null) {
            Arrays.stream(nlb.split(",")).map(String::trim).forEach(addresses::add);
        }
        List<Map<String, Object>> ports = path(svc, "spec.ports");
        assertThat(ports).as("the failsafe endpoint exposes the agent's API port alone").hasSize(1);
        Map<String, Object> port = ports.getFirst();
        int target = containerPort(docs, "twincloud-agent", String.valueOf(port.get("targetPort")));
        boolean tls = "true".equals(env(docs, "twincloud-agent", "SERVER_SSL_ENABLED"));
        List<String> ranges = (List<String>) java.util.Objects.requireNonNullElse(path(svc, "spec.loadBalancerSourceRanges"), List.<String>of());
        return new FailsafeEndpoint(addresses, ((Number) port.get("port")).intValue(), tls, target, ranges);
    }

    /** The URL a site's agent asks for promises names the other site's failsafe endpoint, with the scheme and port served there. */
    static List<String> peerAgentUrlMatches(String site, String url, FailsafeEndpoint peer) {
        List<String> problems = new ArrayList<>();
        if (url == null || url.isEmpty()) {
            problems.add(site + ": agent.peerAgentUrl is empty: the failsafe is off, every arbiter restart stops writes");
            return problems;
        }
        if (peer == null) {
            problems.add(site + ": agent.peerAgentUrl is " + url + " but the other site exposes no failsafe endpoint (agent.failsafeService)");
            return problems;
        }
        Matcher m = Pattern.compile("^(https?)://([^/:]+):(\\d+)$").matcher(url);
        if (!m.matches()) {
            problems.add(site + ": agent.peerAgentUrl " + url + " is not scheme://address:port");
            return problems;
        }
        if ("https".equals(m.group(1)) != peer.tls()) {
            problems.add(site + ": agent.peerAgentUrl is " + url + " but the other site's agent serves " + (peer.tls() ? "HTTPS" : "plain HTTP") + " there");
        }
        if (!peer.addresses().contains(m.group(2))) {
            problems.add(site + ": agent.peerAgentUrl names " + m.group(2) + ", not an address of the other site's failsafe endpoint " + peer.addresses());
        }
        if (Integer.parseInt(m.group(3)) != peer.port()) {
            problems.add(site + ": agent.peerAgentUrl uses port " + m.group(3) + " but the other site's failsafe endpoint listens on " + peer.port());
        }
        return problems;
    }

    @Test
    void eachSitesPeerAgentUrlIsTheOtherSitesFailsafeEndpoint() {
        FailsafeEndpoint atGcp = failsafeEndpoint(gcp);
        FailsafeEndpoint atAws = failsafeEndpoint(aws);
        assertThat(atGcp).as("gcp exposes its agent to aws").isNotNull();
        assertThat(atAws).as("aws exposes its agent to gcp").isNotNull();
        assertThat(peerAgentUrlMatches("gcp", env(gcp, "twincloud-agent", "TWINCLOUD_PEER_AGENT_URL"), atAws)).isEmpty();
        assertThat(peerAgentUrlMatches("aws", env(aws, "twincloud-agent", "TWINCLOUD_PEER_AGENT_URL"), atGcp)).isEmpty();
        for (var site : List.of(gcp, aws)) {
            FailsafeEndpoint e = failsafeEndpoint(site);
            assertThat(e.containerPort()).as("the endpoint leads to the port the agent serves its API on")
                    .isEqualTo(Integer.parseInt(env(site, "twincloud-agent", "TWINCLOUD_AGENT_PORT")));
            assertThat(e.tls()).as("the agent token crosses the VPN inside TLS").isTrue();
        }
        // Fixed addresses where the replication endpoints have them: GCP in the node subnet, AWS one per private subnet.
        assertThat(atGcp.addresses()).singleElement().satisfies(a -> assertThat(Checks.contains((String) tfDefault("gcp-site", "subnet_cidr"), a)).isTrue());
        assertThat(Checks.nlbAddressesInPrivateSubnets("failsafe", atAws.addresses(), awsSubnets(true), awsSubnets(false))).isEmpty();
        assertThat(atAws.addresses()).doesNotContainAnyElementsOf(nlbIps(aws, "replication")).doesNotContainAnyElementsOf(nlbIps(aws, "twincloud-api"));
        assertThat(atGcp.addresses()).doesNotContain((String) path(replicationService(gcp), "spec.loadBalancerIP"));
        // The peer names one of the NLB's addresses and the agent runs in one zone: cross-zone on (as for replication).
        for (var svc : List.of(one(aws, "Service", "twincloud-agent-failsafe"), replicationService(aws))) {
            assertThat(String.valueOf((Object) path(svc, "metadata.annotations"))).contains("load_balancing.cross_zone.enabled=true");
        }
        // The first version: no peerAgentUrl and no endpoint - the failsafe off in the cloud.
        List<Map<String, Object>> old = Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"),
                Map.of("agent.peerAgentUrl", "", "agent.failsafeService.enabled", false));
        assertThat(peerAgentUrlMatches("gcp", env(old, "twincloud-agent", "TWINCLOUD_PEER_AGENT_URL"), atAws))
                .anySatisfy(p -> assertThat(p).contains("failsafe is off"));
        assertThat(failsafeEndpoint(old)).isNull();
        assertThat(peerAgentUrlMatches("aws", "https://10.10.0.11:8090", null)).anySatisfy(p -> assertThat(p).contains("exposes no failsafe endpoint"));
        // Plain HTTP towards an HTTPS agent, the replication endpoint's address, the management port.
        assertThat(peerAgentUrlMatches("gcp", "http://10.20.64.30:8090", atAws)).anySatisfy(p -> assertThat(p).contains("serves HTTPS"));
        assertThat(peerAgentUrlMatches("gcp", "https://10.20.64.10:8090", atAws)).anySatisfy(p -> assertThat(p).contains("not an address"));
        assertThat(peerAgentUrlMatches("gcp", "https://10.20.64.30:8091", atAws)).anySatisfy(p -> assertThat(p).contains("listens on 8090"));
    }

    /** At one site, the agent's API port admits the other site's requests as they arrive, and nothing else. */
    static List<String> agentApiAdmitsOnlyThePeer(String site, List<Map<String, Object>> docs, List<String> peerArrivals, List<String> strangers) {
        List<String> problems = new ArrayList<>();
        String ns = Charts.NAMESPACE;
        Map<String, String> agent = Map.of("app.kubernetes.io/instance", "twincloud", "app.kubernetes.io/name", "twincloud-agent");
        int api = containerPort(docs, "twincloud-agent", "api");
        int management = containerPort(docs, "twincloud-agent", "management");
        for (String a : peerArrivals) {
            if (!Checks.admits(docs, ns, agent, api, Checks.Source.address(a))) {
                problems.add(site + ": the other site's promise requests (arriving from " + a + ") are not admitted on the agent's API port " + api);
            }
        }
        for (String a : strangers) {
            if (Checks.admits(docs, ns, agent, api, Checks.Source.address(a))) {
                problems.add(site + ": the agent's API port " + api + " admits " + a + ", which is not the other site");
            }
            if (Checks.admits(docs, ns, agent, management, Checks.Source.address(a))) {
                problems.add(site + ": the agent's management port " + management + " admits " + a + " from outside the cluster");
            }
        }
        var apiPod = Checks.Source.pod(ns, Map.of("app.kubernetes.io/instance", "twincloud", "app.kubernetes.io/name", "twincloud-api"));
        if (Checks.admits(docs, ns, agent, api, apiPod)) {
            problems.add(site + ": the agent's API port " + api + " admits pods of this cluster; only the other site asks for promises");
        }
        return problems;
    }

    /** The ports the VPN's firewalls open are exactly the ports the sites expose to each other. */
    static List<String> crossSitePortsAreExactly(Map<String, Integer> opened, Map<String, Integer> exposed) {
        List<String> problems = new ArrayList<>();
        exposed.forEach((what, port) -> {
            if (!opened.containsValue(port)) {
                problems.add("the sites expose " + what + " on " + port + " to each other, but interconnect cross_site_ports does not open it");
            }
        });
        opened.forEach((what, port) -> {
            if (!exposed.containsValue(port)) {
                problems.add("interconnect opens " + what + " (" + port + ") between the sites, but nothing crossing the VPN uses it");
            }
        });
        return problems;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theFailsafeEndpointIsOpenToThePeerAloneAndNothingElseCrossesTheVpn() {
        // As the requests arrive: GKE's passthrough LB with externalTrafficPolicy Local keeps the AWS
        // agent's (VPC) address; EKS's NLB with IP targets connects from its own fixed addresses.
        List<String> toGcp = firstHosts(awsSubnets(true));
        List<String> toAws = failsafeEndpoint(aws).addresses();
        assertThat(path(one(gcp, "Service", "twincloud-agent-failsafe"), "spec.externalTrafficPolicy").toString()).isEqualTo("Local");
        // Strangers: Google's front ends, the internet, this site's own nodes, the other site's pods
        // on a path that does not pass the NLB, another pod of the AWS VPC.
        assertThat(agentApiAdmitsOnlyThePeer("gcp", gcp, toGcp, List.of("35.191.0.1", "203.0.113.7", "10.10.0.5", "10.12.0.9"))).isEmpty();
        assertThat(agentApiAdmitsOnlyThePeer("aws", aws, toAws, List.of("35.191.0.1", "203.0.113.7", "10.20.64.99", "10.12.0.9"))).isEmpty();
        // The first version's policy: the agent's port from anywhere.
        List<Map<String, Object>> open = gcp.stream().map(d -> {
            if ("NetworkPolicy".equals(d.get("kind")) && "twincloud-agent".equals(path(d, "metadata.name"))) {
                Map<String, Object> copy = new HashMap<>(d);
                copy.put("spec", Map.<String, Object>of("podSelector", (Object) path(d, "spec.podSelector"), "policyTypes", List.of("Ingress"),
                        "ingress", List.of(Map.of("ports", List.of(Map.of("port", 8090), Map.of("port", 8091))))));
                return copy;
            }
            return d;
        }).toList();
        assertThat(agentApiAdmitsOnlyThePeer("gcp", open, toGcp, List.of("203.0.113.7")))
                .anySatisfy(p -> assertThat(p).contains("which is not the other site"))
                .anySatisfy(p -> assertThat(p).contains("admits pods of this cluster"));
        // The GCP ranges admitted on EKS, where the requests come from the NLB's addresses.
        assertThat(agentApiAdmitsOnlyThePeer("aws", Charts.render(Charts.SITE, Charts.values("values-aws.yaml"),
                Map.of("networkPolicy.peerAgentSourceCidrs[0]", "10.12.0.0/16")), toAws, List.of()))
                .anySatisfy(p -> assertThat(p).contains("not admitted"));

        // The load balancers admit the peer's agent: the AWS NLB the GCP nodes and pods, the GCP ILB the AWS VPC.
        Map<String, String> gcpSources = new LinkedHashMap<>();
        gcpSources.put("GCP nodes", (String) tfDefault("gcp-site", "subnet_cidr"));
        gcpSources.put("GCP pods", (String) tfDefault("gcp-site", "pods_cidr"));
        assertThat(Checks.rangesCover("AWS failsafe NLB", failsafeEndpoint(aws).sourceRanges(), gcpSources)).isEmpty();
        assertThat(Checks.rangesCover("GCP failsafe ILB", failsafeEndpoint(gcp).sourceRanges(),
                Map.of("AWS VPC", (String) tfDefault("aws-site", "vpc_cidr")))).isEmpty();

        // The VPN's firewalls: exactly the replication and failsafe ports, from the other site's ranges.
        Map<String, Integer> opened = new LinkedHashMap<>();
        ((Map<String, Map<String, Object>>) tfDefault("interconnect", "cross_site_ports"))
                .forEach((k, v) -> opened.put(k, ((Number) v.get("port")).intValue()));
        List<Map<String, Object>> replicationPorts = path(replicationService(gcp), "spec.ports");
        Map<String, Integer> exposed = Map.of(
                "replication (postgres.replicationService)", ((Number) replicationPorts.getFirst().get("port")).intValue(),
                "the agents' failsafe API (agent.failsafeService)", failsafeEndpoint(gcp).port());
        assertThat(failsafeEndpoint(aws).port()).isEqualTo(failsafeEndpoint(gcp).port());
        assertThat(crossSitePortsAreExactly(opened, exposed)).isEmpty();
        // The first version opened the API's 8080 "for health probes across sites", which nothing makes.
        Map<String, Integer> withHealth = new LinkedHashMap<>(opened);
        withHealth.put("health", 8080);
        assertThat(crossSitePortsAreExactly(withHealth, exposed)).anySatisfy(p -> assertThat(p).contains("nothing crossing the VPN uses it"));
        Map<String, Integer> withoutAgent = new LinkedHashMap<>(opened);
        withoutAgent.remove("agent");
        assertThat(crossSitePortsAreExactly(withoutAgent, exposed)).anySatisfy(p -> assertThat(p).contains("does not open it"));
        var ic = TerraformTree.module("interconnect");
        assertThat(ic.text()).contains("source_ranges = [var.aws_vpc_cidr]").contains("ports    = local.cross_site_tcp_ports")
                .contains("for pair in setproduct(keys(var.cross_site_ports), var.gcp_cidrs)");
        assertThat(TerraformTree.envs().getFirst().text()).contains("gcp_cidrs             = module.gcp_site.subnet_cidrs");
        assertThat(TerraformTree.module("gcp-site").text()).contains("value       = [var.subnet_cidr, var.pods_cidr, var.services_cidr]");
        // No rule on the nodes for Google's LB ranges: they reach the AWS API through its NLB only.
        assertThat(ic.variables()).doesNotContainKey("lb_backend_ports");
        assertThat(ic.resources("aws_vpc_security_group_ingress_rule")).extracting(TerraformTree.Resource::name)
                .containsExactlyInAnyOrder("from_gcp", "from_arbiter");
    }

    /** A certificate names the address its clients connect to. */
    static List<String> certificateNames(String what, Map<String, Object> certificate, List<String> hosts) {
        List<String> sans = new ArrayList<>();
        for (String k : List.of("spec.ipAddresses", "spec.dnsNames")) {
            List<String> l = path(certificate, k);
            if (l != null) {
                sans.addAll(l);
            }
        }
        return hosts.stream().filter(h -> !sans.contains(h))
                .map(h -> what + " names " + sans + " but its clients connect to " + h + ": the handshake fails").toList();
    }

    @Test
    void certManagerCertificatesNameTheAddressesTheirClientsUse() {
        Map<String, Object> on = Map.of("certManager.enabled", true);
        List<Map<String, Object>> gcpCm = Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"), on);
        List<Map<String, Object>> awsCm = Charts.render(Charts.SITE, Charts.values("values-aws.yaml"), on);
        List<Map<String, Object>> arbiterCm = Charts.render(Charts.ARBITER, Charts.values("values-arbiter.yaml"), on);
        // Each agent's certificate names every address of its failsafe endpoint (the other site names one).
        assertThat(certificateNames("gcp agent", one(gcpCm, "Certificate", "twincloud-agent-tls"), failsafeEndpoint(gcp).addresses())).isEmpty();
        assertThat(certificateNames("aws agent", one(awsCm, "Certificate", "twincloud-agent-tls"), failsafeEndpoint(aws).addresses())).isEmpty();
        // The arbiter's names the host in both sites' arbiter.url.
        List<String> arbiterHosts = new ArrayList<>();
        for (var site : List.of(gcp, aws)) {
            Matcher m = Pattern.compile("^https://([^/:]+)").matcher(env(site, "twincloud-agent", "TWINCLOUD_ARBITER_URL"));
            assertThat(m.find()).isTrue();
            arbiterHosts.add(m.group(1));
        }
        assertThat(certificateNames("arbiter", one(arbiterCm, "Certificate", "twincloud-arbiter-tls"), arbiterHosts)).isEmpty();
        // Every Secret still exists at each place: cert-manager makes the certificates' Secrets.
        List<OperatorSecret> withoutTls = secrets.stream()
                .filter(x -> !x.name().equals("twincloud-agent-tls") && !x.name().equals("twincloud-arbiter-ca") && !x.name().equals("twincloud-arbiter-tls")).toList();
        assertThat(Checks.secretsExist("gcp", gcpCm, withoutTls)).isEmpty();
        assertThat(Checks.secretsExist("aws", awsCm, withoutTls)).isEmpty();
        assertThat(Checks.secretsExist("arbiter", arbiterCm, withoutTls)).isEmpty();
        assertThat(Checks.secretsExist("aws", aws, withoutTls)).as("without cert-manager the operator makes them")
                .anySatisfy(p -> assertThat(p).contains("twincloud-agent-tls"));
        // Broken: the AWS agent's certificate made for the replication endpoint's address.
        List<Map<String, Object>> wrongSan = Charts.render(Charts.SITE, Charts.values("values-aws.yaml"),
                Map.of("certManager.enabled", true, "certManager.agentIpAddresses[0]", "10.20.64.10"));
        assertThat(certificateNames("aws agent", one(wrongSan, "Certificate", "twincloud-agent-tls"), failsafeEndpoint(aws).addresses()))
                .anySatisfy(p -> assertThat(p).contains("10.20.64.30"));
    }

    // ------------------------------------------------------------ arbiter

    @SuppressWarnings("unchecked")
    private static String env(List<Map<String, Object>> docs, String deployment, String name) {
        for (Map<String, Object> c : containers(docs, deployment)) {
            for (Map<String, Object> e : (List<Map<String, Object>>) c.get("env")) {
                if (name.equals(e.get("name"))) {
                    return (String) e.get("value");
                }
            }
        }
        return null;
    }

    /** The agents' URL scheme and port are what the arbiter serves. */
    static List<String> arbiterUrlMatches(String url, boolean serverTls, int serverPort) {
        List<String> problems = new ArrayList<>();
        boolean https = url.startsWith("https://");
        if (https != serverTls) {
            problems.add("agents use " + url + " but the arbiter serves " + (serverTls ? "HTTPS" : "plain HTTP"));
        }
        Matcher m = Pattern.compile("^https?://[^/:]+:(\\d+)").matcher(url);
        int port = m.find() ? Integer.parseInt(m.group(1)) : (https ? 443 : 80);
        if (port != serverPort) {
            problems.add("agents use port " + port + " but the arbiter listens on " + serverPort);
        }
        return problems;
    }

    @Test
    void agentsReachTheArbiterWithTheSchemeAndPortItServes() {
        boolean chartTls = "true".equals(env(arbiter, "twincloud-arbiter", "SERVER_SSL_ENABLED"));
        int chartPort = servicePort(arbiter, "twincloud-arbiter");
        String cloudInit = read("deploy/terraform/modules/arbiter-site/cloud-init.yaml.tftpl");
        boolean vmTls = cloudInit.contains("-e SERVER_SSL_ENABLED=true");
        String vmUrl = TerraformTree.module("arbiter-site").text().contains("value       = \"https://${google_compute_address.this.address}:${var.arbiter_port}\"")
                ? "https://203.0.113.50:" + tfInt("arbiter-site", "arbiter_port") : "http://203.0.113.50:" + tfInt("arbiter-site", "arbiter_port");
        assertThat(cloudInit).contains("-e SERVER_ADDRESS=0.0.0.0").contains("-e PORT=${port}").contains("-p ${port}:${port}");
        for (List<Map<String, Object>> site : List.of(gcp, aws)) {
            String url = env(site, "twincloud-agent", "TWINCLOUD_ARBITER_URL");
            assertThat(arbiterUrlMatches(url, chartTls, chartPort)).as("arbiter chart").isEmpty();
            assertThat(arbiterUrlMatches(url, vmTls, tfInt("arbiter-site", "arbiter_port"))).as("arbiter VM").isEmpty();
        }
        assertThat(arbiterUrlMatches(vmUrl, vmTls, tfInt("arbiter-site", "arbiter_port"))).isEmpty();
        // The first version: https:// URLs, a plain-HTTP arbiter on 8070.
        assertThat(arbiterUrlMatches("https://arbiter.example.internal:8070", false, 8070))
                .anySatisfy(p -> assertThat(p).contains("plain HTTP"));
        List<Map<String, Object>> plain = Charts.render(Charts.ARBITER, Charts.values("values-arbiter.yaml"), Map.of("tls.enabled", false));
        assertThat(arbiterUrlMatches(env(gcp, "twincloud-agent", "TWINCLOUD_ARBITER_URL"),
                "true".equals(env(plain, "twincloud-arbiter", "SERVER_SSL_ENABLED")), chartPort)).isNotEmpty();
    }

    // ------------------------------------------------------ monitoring cluster

    /** The monitoring cluster's ranges overlap no site's or the arbiter's, and its subnet is advertised over the VPN. */
    @Test
    void theMonitoringClustersRangesAreItsOwnAndItsSubnetCrossesTheVpn() {
        Map<String, String> ranges = new LinkedHashMap<>();
        for (String v : List.of("subnet_cidr", "pods_cidr", "services_cidr", "master_ipv4_cidr_block")) {
            ranges.put("monitoring-cluster " + v, (String) tfDefault("monitoring-cluster", v));
            ranges.put("gcp-site " + v, (String) tfDefault("gcp-site", v));
        }
        ranges.put("aws-site vpc_cidr", (String) tfDefault("aws-site", "vpc_cidr"));
        ranges.put("arbiter-site subnet_cidr", (String) tfDefault("arbiter-site", "subnet_cidr"));
        List<String> overlaps = new ArrayList<>();
        List<Map.Entry<String, String>> all = new ArrayList<>(ranges.entrySet());
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                String a = all.get(i).getValue();
                String b = all.get(j).getValue();
                if (Checks.covers(a, b) || Checks.covers(b, a)) {
                    overlaps.add(all.get(i).getKey() + " " + a + " / " + all.get(j).getKey() + " " + b);
                }
            }
        }
        assertThat(overlaps).isEmpty();
        // The env advertises the interconnect's own default ranges (the load balancer's) plus the monitoring subnet.
        String env = TerraformTree.envs().stream().filter(d -> d.name().equals("example")).findFirst().orElseThrow().text();
        Matcher m = Pattern.compile("extra_advertised_ranges = concat\\(\\[([^]]*)], module\\.monitoring\\.advertised_ranges\\)").matcher(env);
        assertThat(m.find()).as("interconnect extra_advertised_ranges includes module.monitoring.advertised_ranges").isTrue();
        assertThat(Arrays.stream(m.group(1).split(",")).map(x -> x.strip().replace("\"", "")).toList())
                .isEqualTo(tfList("interconnect", "extra_advertised_ranges"));
        assertThat(TerraformTree.module("monitoring-cluster").text()).contains("value       = [var.subnet_cidr]");
    }

    /**
     * What the arbiter VM's Fluent Bit ships: the arbiter container's lines only (the container it filters is the one
     * the arbiter runs as, with the journald log driver), as JSON with the sites' shipper's job label, never the
     * secret-fetching container's output, its Loki password from the tmpfs env file fetch-secrets.sh writes.
     */
    static List<String> vmShipperProblems(String cloudInit, String sitesJob, String arbiterComponent) {
        List<String> p = new ArrayList<>();
        Matcher filter = Pattern.compile("(?m)^\\s+Systemd_Filter\\s+CONTAINER_NAME=(\\S+)$").matcher(cloudInit);
        if (!filter.find()) {
            p.add("the shipper reads the whole journal, not one container's lines");
        } else {
            String container = filter.group(1);
            Matcher run = Pattern.compile("docker run --rm --name (\\S+) [^\\n]*\\\\\\n\\s+--log-driver journald ").matcher(cloudInit);
            if (!run.find() || !run.group(1).equals(container)) {
                p.add("the shipper reads container " + container + ", which is not a container that logs to journald as " + container);
            }
        }
        if (!cloudInit.contains("docker run --rm --log-driver none --network host -v /run/twincloud:/out")) {
            p.add("the secret-fetching container's output is kept (no --log-driver none)");
        }
        Matcher labels = Pattern.compile("(?m)^\\s+labels\\s+job=(\\S+), site=arbiter, component=(\\S+),").matcher(cloudInit);
        if (!labels.find()) {
            p.add("the shipper's labels are not job, site=arbiter, component");
        } else {
            if (!labels.group(1).equals(sitesJob)) {
                p.add("the VM's lines are labelled job=" + labels.group(1) + ", the sites' job=" + sitesJob);
            }
            if (!labels.group(2).equals(arbiterComponent)) {
                p.add("the VM's lines are labelled component=" + labels.group(2) + ", the arbiter's pods would be " + arbiterComponent);
            }
        }
        if (!Pattern.compile("(?m)^\\s+Allowlist_key\\s+MESSAGE$").matcher(cloudInit).find()) {
            p.add("journald's fields (host, pid, container id) are shipped along");
        }
        if (!cloudInit.contains("http_passwd   $${LOKI_PASSWORD}") || !cloudInit.contains("--env-file /run/twincloud/log-shipper.env")
                || !cloudInit.contains("> /out/log-shipper.env") || !cloudInit.contains("/run/twincloud/log-shipper.env\n")) {
            p.add("the Loki password does not come from the tmpfs env file fetch-secrets.sh writes");
        }
        if (!cloudInit.contains("-e LOGGING_STRUCTURED_FORMAT_CONSOLE=logstash")) {
            p.add("the arbiter does not log the Logstash JSON lines the sites' components log");
        }
        return p;
    }

    @Test
    void theArbiterVmShipsOnlyTheArbitersLinesLabelledLikeTheSites() {
        String cloudInit = read("deploy/terraform/modules/arbiter-site/cloud-init.yaml.tftpl");
        String conf = (String) ((Map<?, ?>) path(one(gcp, "ConfigMap", "twincloud-log-shipper"), "data")).get("fluent-bit.conf");
        Matcher job = Pattern.compile("labels\\s+job=([^,]+),").matcher(conf);
        assertThat(job.find()).isTrue();
        // the label the sites' shipper takes component from, on the arbiter's pods where it runs in a cluster
        @SuppressWarnings("unchecked")
        Map<String, Object> podLabels = (Map<String, Object>) path(one(arbiter, "Deployment", "twincloud-arbiter"), "spec.template.metadata.labels");
        String component = (String) podLabels.get("app.kubernetes.io/name");
        assertThat(vmShipperProblems(cloudInit, job.group(1), component)).isEmpty();
        // The secrets the VM reads include the shipper's; the template gets its name.
        assertThat(TerraformTree.module("arbiter-site").text()).contains("loki_auth = \"${var.name}-loki-password\"")
                .contains("secret_loki_password  = local.secrets.loki_auth");

        String renamed = cloudInit.replace("--name twincloud-arbiter -p", "--name arbiter -p");
        assertThat(vmShipperProblems(renamed, job.group(1), component)).anySatisfy(m -> assertThat(m).contains("not a container that logs to journald"));
        String chatty = cloudInit.replace("--log-driver none ", "").replace("Allowlist_key  MESSAGE", "Allowlist_key  MESSAGE, _HOSTNAME")
                .replace("component=twincloud-arbiter", "component=arbiter");
        assertThat(vmShipperProblems(chatty, job.group(1), component))
                .anySatisfy(m -> assertThat(m).contains("secret-fetching container's output is kept"))
                .anySatisfy(m -> assertThat(m).contains("journald's fields"))
                .anySatisfy(m -> assertThat(m).contains("component=arbiter,"));
    }

    @Test
    void theArbiterVmKeepsItsStateOnTheStateDiskAndGetsItsTokens() {
        String cloudInit = read("deploy/terraform/modules/arbiter-site/cloud-init.yaml.tftpl");
        assertThat(cloudInit).contains("-e TWINCLOUD_STATE_DIR=/var/lib/twincloud/arbiter")
                .contains("-v /mnt/disks/state/arbiter:/var/lib/twincloud/arbiter")
                .contains("--env-file /run/twincloud/arbiter.env")
                .contains("TWINCLOUD_AGENT_TOKEN=").contains("TWINCLOUD_OPERATOR_TOKEN=")
                .contains("RequiresMountsFor=/mnt/disks/state");
        // Every template variable the file uses is passed by the module.
        Matcher m = Pattern.compile("\\$\\{([a-z_]+)}").matcher(cloudInit);
        String main = TerraformTree.module("arbiter-site").text();
        String call = main.substring(main.indexOf("templatefile("), main.indexOf("})", main.indexOf("templatefile(")));
        while (m.find()) {
            assertThat(call).as("templatefile passes %s", m.group(1)).containsPattern("\\b" + m.group(1) + "\\s*=");
        }
    }

    /**
     * The state disk's boot commands, run by a real shell with blkid, fsck.ext4, mkfs.ext4 and mount
     * replaced by stubs that record their calls (the stand-in for a VM; the script is the template's
     * own text).
     */
    @Test
    void theEpochDiskIsNeverReformatted(@TempDir Path tmp) throws Exception {
        String script = bootcmd();
        // A disk with a file system that fsck cannot repair: not formatted, not mounted.
        assertThat(runBoot(tmp.resolve("a"), script, 0, 8)).doesNotContain("mkfs").doesNotContain("mount ");
        // A disk with a clean file system: mounted, not formatted.
        assertThat(runBoot(tmp.resolve("b"), script, 0, 0)).doesNotContain("mkfs").contains("mount ");
        // blkid cannot read the disk (not "no signature"): nothing is formatted.
        assertThat(runBoot(tmp.resolve("c"), script, 1, 0)).doesNotContain("mkfs");
        // A blank disk (first boot): formatted once, then mounted.
        assertThat(runBoot(tmp.resolve("d"), script, 2, 0)).contains("mkfs.ext4").contains("mount ");
        // The first version formatted a disk whose fsck failed.
        String old = "fsck.ext4 -tvy /dev/disk/by-id/google-arbiter-state || mkfs.ext4 -F /dev/disk/by-id/google-arbiter-state";
        assertThat(runBoot(tmp.resolve("e"), old, 0, 8)).contains("mkfs");
    }

    @SuppressWarnings("unchecked")
    private static String bootcmd() throws IOException {
        String text = read("deploy/terraform/modules/arbiter-site/cloud-init.yaml.tftpl").replace("${state_device_name}", "arbiter-state");
        Map<String, Object> ci = YAML.readValue(text, Map.class);
        List<String> cmds = (List<String>) ci.get("bootcmd");
        assertThat(cmds).hasSize(1);
        return cmds.getFirst();
    }

    private static String runBoot(Path dir, String script, int blkidExit, int fsckExit) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path log = dir.resolve("calls.log");
        Map<String, Integer> stubs = new LinkedHashMap<>();
        stubs.put("blkid", blkidExit);
        stubs.put("fsck.ext4", fsckExit);
        stubs.put("mkfs.ext4", 0);
        stubs.put("mount", 0);
        stubs.put("mountpoint", 1);
        stubs.put("mkdir", 0);
        stubs.put("chown", 0);
        stubs.put("chmod", 0);
        for (var s : stubs.entrySet()) {
            Path f = bin.resolve(s.getKey());
            Files.writeString(f, "#!/bin/sh\necho \"" + s.getKey() + " $*\" >> '" + log + "'\nexit " + s.getValue() + "\n");
            f.toFile().setExecutable(true);
        }
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process run = pb.start();
        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return Files.exists(log) ? Files.readString(log) : "";
    }

    // ------------------------------------------------------------ storage

    /** Storage classes the providers create in every cluster (GKE: Compute Engine PD CSI driver). */
    static final Map<String, List<String>> PROVIDER_STORAGE_CLASSES = Map.of(
            "gcp", List.of("standard", "standard-rwo", "premium-rwo"),
            "aws", List.of());

    static List<String> storageClassesExist(String site, List<Map<String, Object>> docs) {
        List<String> known = new ArrayList<>(PROVIDER_STORAGE_CLASSES.get(site));
        Charts.ofKind(docs, "StorageClass").forEach(sc -> known.add(path(sc, "metadata.name")));
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> c : Charts.ofKind(docs, "Cluster")) {
            for (String key : List.of("spec.storage.storageClass", "spec.walStorage.storageClass")) {
                String sc = path(c, key);
                if (sc != null && !known.contains(sc)) {
                    problems.add(site + ": " + key + " is " + sc + ", which no one creates (known: " + known + ")");
                }
            }
        }
        return problems;
    }

    @Test
    void theStorageClassesTheClustersUseExist() {
        assertThat(storageClassesExist("gcp", gcp)).isEmpty();
        assertThat(storageClassesExist("aws", aws)).isEmpty();
        assertThat(storageClassesExist("aws", Charts.render(Charts.SITE, Charts.values("values-aws.yaml"),
                Map.of("postgres.storageClassCreate.enabled", false)))).anySatisfy(p -> assertThat(p).contains("gp3"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theAwsSiteHasTheControllerItsLoadBalancersNeed() {
        var site = TerraformTree.module("aws-site");
        assertThat(site.resources("aws_eks_pod_identity_association")).anySatisfy(r ->
                assertThat(String.valueOf(r.get("service_account"))).contains("load_balancer_controller_service_account"));
        // The chart's NLB annotations are the AWS Load Balancer Controller's (type external).
        Map<String, Object> svc = one(aws, "Service", "twincloud-api");
        assertThat((Map<String, Object>) path(svc, "metadata.annotations"))
                .containsEntry("service.beta.kubernetes.io/aws-load-balancer-type", "external");
    }

    @Test
    void bothClustersAreInOneFleet() {
        var env = TerraformTree.envs().getFirst().text();
        assertThat(TerraformTree.module("gcp-site").text()).contains("dynamic \"fleet\"").contains("project = fleet.value");
        assertThat(env).contains("fleet_project              = var.gcp_project_id");
        assertThat(env).contains("fleet_project_id    = var.gcp_project_id")
                .contains("eks_cluster_name    = module.aws_site.cluster_name")
                .contains("eks_oidc_issuer_url = module.aws_site.oidc_issuer_url");
        var attached = TerraformTree.module("fleet").resources("google_container_attached_cluster");
        assertThat(attached).singleElement().satisfies(r -> assertThat(r.get("distribution")).isEqualTo("eks"));
    }

    // ------------------------------------------------------------- images

    @Test
    @SuppressWarnings("unchecked")
    void everyImageIsOneJibBuildsAndTheRegistriesHold() throws IOException {
        List<String> artifacts = new ArrayList<>();
        for (String module : List.of("api", "agent", "arbiter")) {
            String pom = read(module + "/pom.xml");
            Matcher m = Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>").matcher(pom);
            assertThat(m.find()).isTrue();
            artifacts.add(m.group(1));
        }
        List<String> ecr = tfList("aws-site", "ecr_repositories");
        for (var docs : List.of(gcp, aws, arbiter)) {
            for (Map<String, Object> d : Charts.ofKind(docs, "Deployment")) {
                for (Map<String, Object> c : (List<Map<String, Object>>) path(d, "spec.template.spec.containers")) {
                    String image = (String) c.get("image");
                    String repo = image.substring(image.lastIndexOf('/') + 1, image.lastIndexOf(':'));
                    assertThat(artifacts).as("Jib builds <registry>/<artifactId>: %s", image).contains(repo);
                    assertThat(ecr).as("ECR holds %s", repo).contains(repo);
                }
            }
        }
    }

    // ------------------------------------------------------------ workflows

    record Job(String workflow, String id, JsonNode node, JsonNode workflowNode) {
        boolean federates() {
            String perm = node.path("permissions").path("id-token").asText(workflowNode.path("permissions").path("id-token").asText(""));
            return "write".equals(perm);
        }

        String environment() {
            JsonNode e = node.path("environment");
            return e.isMissingNode() ? null : e.isTextual() ? e.asText() : e.path("name").asText();
        }

        List<String> runsOn() {
            JsonNode r = node.path("runs-on");
            List<String> out = new ArrayList<>();
            if (r.isArray()) {
                r.forEach(x -> out.add(x.asText()));
            } else {
                out.add(r.asText());
            }
            return out;
        }
    }

    static List<Job> jobs() throws IOException {
        List<Job> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(ROOT.resolve(".github/workflows"))) {
            for (Path f : files.sorted().toList()) {
                JsonNode wf = YAML.readTree(f.toFile());
                wf.path("jobs").properties().forEach(e -> out.add(new Job(f.getFileName().toString(), e.getKey(), e.getValue(), wf)));
            }
        }
        return out;
    }

    /** The sites a reusable workflow's {@code inputs.site} takes (deploy.yml passes the writer and the standby). */
    static final List<String> SITES = List.of("gcp", "aws");

    static List<String> oidcSubjectsTrusted(List<Job> jobs, List<String> trusted) {
        List<String> problems = new ArrayList<>();
        for (Job j : jobs) {
            if (j.federates()) {
                String env = j.environment();
                List<String> envs = env != null && env.contains("${{ inputs.site }}")
                        ? SITES.stream().map(site -> env.replace("${{ inputs.site }}", site)).toList()
                        : java.util.Collections.singletonList(env);
                for (String e : envs) {
                    String sub = Checks.oidcSubject("OWNER/REPO", e, "refs/heads/main");
                    if (!trusted.contains(sub)) {
                        problems.add(j.workflow() + " job " + j.id() + " presents " + sub + ", which the cloud trust policies do not accept " + trusted);
                    }
                }
            }
        }
        return problems;
    }

    @Test
    void theOidcSubjectEachDeployJobPresentsIsTrusted() throws IOException {
        List<String> trusted = Checks.trustedSubjects("OWNER/REPO", tfList("github-oidc", "allowed_environments"), tfList("github-oidc", "allowed_refs"));
        String module = TerraformTree.module("github-oidc").text();
        assertThat(module).contains("\"repo:${var.github_repository}:environment:${e}\"").contains("\"repo:${var.github_repository}:ref:${r}\"")
                .contains("assertion.sub in ${jsonencode(local.subjects)}");
        assertThat(jobs()).filteredOn(Job::federates).isNotEmpty();
        assertThat(oidcSubjectsTrusted(jobs(), trusted)).isEmpty();
        // The first version trusted only ref:refs/heads/main, while the jobs declare environments.
        assertThat(oidcSubjectsTrusted(jobs(), Checks.trustedSubjects("OWNER/REPO", List.of(), List.of("refs/heads/main"))))
                .anySatisfy(p -> assertThat(p).contains("environment:"));
    }

    static List<String> jobsReachPrivateControlPlanes(List<Job> jobs, boolean gkePrivate, boolean eksPrivate) {
        List<String> problems = new ArrayList<>();
        for (Job j : jobs) {
            String text = j.node().toString();
            boolean needsCluster = (gkePrivate && text.contains("get-gke-credentials")) || (eksPrivate && text.contains("update-kubeconfig"))
                    || text.contains("ARBITER_URL");
            if (needsCluster && !j.node().has("uses") && !j.runsOn().contains("self-hosted")) {
                problems.add(j.workflow() + " job " + j.id() + " runs on " + j.runsOn()
                        + " but reaches a private control plane or the arbiter (whose firewall admits only the sites)");
            }
        }
        return problems;
    }

    @Test
    void jobsThatReachPrivateEndpointsRunInsideASite() throws IOException {
        boolean gkePrivate = Boolean.TRUE.equals(tfDefault("gcp-site", "enable_private_endpoint"));
        boolean eksPrivate = Boolean.FALSE.equals(tfDefault("aws-site", "endpoint_public_access"));
        assertThat(gkePrivate && eksPrivate).isTrue();
        assertThat(jobsReachPrivateControlPlanes(jobs(), gkePrivate, eksPrivate)).isEmpty();
        ObjectNodeHolder hosted = new ObjectNodeHolder(jobs().stream().filter(j -> j.workflow().equals("switchover.yml")).findFirst().orElseThrow());
        assertThat(jobsReachPrivateControlPlanes(List.of(hosted.withRunsOn("ubuntu-latest")), true, true)).isNotEmpty();
    }

    /** A job with another runs-on, or with a text replaced in it (the broken variants). */
    record ObjectNodeHolder(Job job) {
        Job withRunsOn(String runner) {
            var copy = ((com.fasterxml.jackson.databind.node.ObjectNode) job.node()).deepCopy();
            copy.put("runs-on", runner);
            return new Job(job.workflow(), job.id(), copy, job.workflowNode());
        }

        Job withText(String from, String to) {
            try {
                return new Job(job.workflow(), job.id(), YAML.readTree(job.node().toString().replace(from, to)), job.workflowNode());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    void theGcpDeployerMayCreateTheChartsRbacObjects() {
        assertThat(Charts.ofKind(gcp, "Role")).isNotEmpty();
        assertThat(tfList("github-oidc", "gcp_deployer_roles")).as("container.developer cannot create Roles/RoleBindings")
                .contains("roles/container.admin").doesNotContain("roles/container.developer");
    }

    @Test
    void deploysNeverRollBackBlindlyNorForceReplace() throws IOException {
        List<Job> upgrading = jobs().stream().filter(j -> j.node().toString().contains("helm upgrade")).toList();
        assertThat(upgrading).isNotEmpty();
        for (Job j : upgrading) {
            assertThat(j.node().toString()).as(j.workflow()).doesNotContain("--atomic").doesNotContain("--force").doesNotContain("helm rollback");
        }
        // Only deploy.yml calls the site upgrades on push, one rollout at a time.
        for (Job j : jobs()) {
            if (j.node().path("uses").asText().endsWith("deploy-site.yml")) {
                assertThat(j.workflowNode().path("concurrency").path("group").asText()).as(j.workflow()).isEqualTo("deploy-sites");
            }
        }
    }

    /** Every in-cluster URL a workflow calls (http://twincloud-...) names a Service the site chart renders, on a port it has. */
    @SuppressWarnings("unchecked")
    static List<String> inClusterUrlsHitServicePorts(List<Job> jobs, List<Map<String, Object>> docs) {
        List<String> problems = new ArrayList<>();
        for (Job j : jobs) {
            Matcher m = Pattern.compile("http://(twincloud-[a-z-]+)(?::(\\d+))?(/[^\\s\"']*)").matcher(j.node().toString());
            while (m.find()) {
                int port = m.group(2) == null ? 80 : Integer.parseInt(m.group(2));
                var svc = docs.stream().filter(d -> "Service".equals(d.get("kind")) && m.group(1).equals(path(d, "metadata.name"))).findFirst();
                if (svc.isEmpty()) {
                    problems.add(j.workflow() + " job " + j.id() + " calls " + m.group() + ", but the chart renders no Service " + m.group(1));
                } else if (((List<Map<String, Object>>) path(svc.get(), "spec.ports")).stream().noneMatch(p -> ((Number) p.get("port")).intValue() == port)) {
                    problems.add(j.workflow() + " job " + j.id() + " calls " + m.group() + ", but Service " + m.group(1) + " has no port " + port);
                }
            }
        }
        return problems;
    }

    @Test
    void theSmokeChecksCallPortsTheServicesHave() throws IOException {
        assertThat(jobs()).anySatisfy(j -> assertThat(j.node().toString()).contains("http://twincloud-agent:"));
        assertThat(inClusterUrlsHitServicePorts(jobs(), gcp)).isEmpty();
        // Before the agent's health moved to its management port, the smoke check asked 8090.
        ObjectNodeHolder smoke = new ObjectNodeHolder(jobs().stream().filter(j -> j.node().toString().contains("http://twincloud-agent:")).findFirst().orElseThrow());
        assertThat(inClusterUrlsHitServicePorts(List.of(smoke.withText("http://twincloud-agent:8091/", "http://twincloud-agent:8090/")), gcp))
                .anySatisfy(p -> assertThat(p).contains("has no port 8090"));
    }

    /** What the workflows send to POST /v1/switchover is what the arbiter reads (core's OperatorRequest.Switchover). */
    static List<String> switchoverBodiesMatch(List<Job> jobs, List<String> fields) {
        List<String> problems = new ArrayList<>();
        for (Job j : jobs) {
            String text = j.node().toString();
            if (!text.contains("/v1/switchover")) {
                continue;
            }
            Matcher m = Pattern.compile("\\{\\\\+\"(\\w+)\\\\+\":").matcher(text);
            boolean any = false;
            while (m.find()) {
                any = true;
                if (!fields.contains(m.group(1))) {
                    problems.add(j.workflow() + " job " + j.id() + " sends {\"" + m.group(1) + "\": ...} to /v1/switchover; the arbiter reads " + fields);
                }
            }
            if (!any) {
                problems.add(j.workflow() + " job " + j.id() + " calls /v1/switchover without a JSON body the check recognises");
            }
        }
        return problems;
    }

    @Test
    void switchoverRequestsUseTheArbitersFieldNames() throws IOException {
        Matcher record = Pattern.compile("record Switchover\\(SiteId (\\w+)\\)").matcher(read("core/src/main/java/dev/twincloud/core/protocol/OperatorRequest.java"));
        assertThat(record.find()).isTrue();
        List<String> fields = List.of(record.group(1));
        assertThat(jobs()).filteredOn(j -> j.node().toString().contains("/v1/switchover")).hasSizeGreaterThanOrEqualTo(2);
        assertThat(switchoverBodiesMatch(jobs(), fields)).isEmpty();
        // The first version's switchover.yml sent {"target": ...}.
        assertThat(switchoverBodiesMatch(jobs(), List.of("target"))).isNotEmpty();
    }

    // ------------------------------------------------- agent-owned fields

    private static Map<String, Object> gcpCluster(Map<String, Object> sets) {
        Map<String, Object> all = new HashMap<>(Map.of("image.tag", "one"));
        all.putAll(sets);
        return one(Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"), all), "Cluster", "twincloud-db-gcp");
    }

    @Test
    void upgradesAndRollbacksNeverPatchWhatTheAgentOwns() {
        Map<String, Object> rev1 = gcpCluster(Map.of());
        Map<String, Object> rev2 = gcpCluster(Map.of("image.tag", "two", "postgres.instances", 2,
                "postgres.parameters.max_connections", "300", "postgres.imageName", "ghcr.io/cloudnative-pg/postgresql:17.7-standard-bookworm"));
        assertThat(Checks.mergePatch(rev1, rev2)).as("the upgrade changes something").isNotEmpty();
        assertThat(Checks.agentFieldsTouched("upgrade", rev1, rev2)).isEmpty();
        assertThat(Checks.agentFieldsTouched("rollback", rev2, rev1)).isEmpty();
        // The first version rendered the live replica.primary at each upgrade: after a failover to aws
        // the stored revision says aws, the one before gcp - a rollback patched primary back to gcp.
        Map<String, Object> storedAfterFailover = gcpCluster(Map.of("initialPrimarySite", "aws"));
        assertThat(Checks.agentFieldsTouched("rollback", storedAfterFailover, rev1))
                .anySatisfy(p -> assertThat(p).contains("spec.replica.primary"));
    }

    @Test
    void mergePatchFollowsRfc7386() {
        Map<String, Object> from = Map.of("a", Map.of("b", 1, "c", 2), "d", 3);
        Map<String, Object> to = Map.of("a", Map.of("b", 1, "c", 5), "e", 4);
        Map<String, Object> patch = Checks.mergePatch(from, to);
        assertThat(patch).containsEntry("a", Map.of("c", 5)).containsEntry("e", 4).containsKey("d");
        assertThat(patch.get("d")).isNull();
    }

    private static String read(String relative) {
        try {
            return Files.readString(ROOT.resolve(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
