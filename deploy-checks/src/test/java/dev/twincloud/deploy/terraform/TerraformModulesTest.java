package dev.twincloud.deploy.terraform;

import dev.twincloud.deploy.terraform.TerraformTree.Dir;
import dev.twincloud.deploy.terraform.TerraformTree.Resource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.twincloud.deploy.terraform.TerraformTree.block;
import static dev.twincloud.deploy.terraform.TerraformTree.blocks;
import static dev.twincloud.deploy.terraform.TerraformTree.module;
import static dev.twincloud.deploy.terraform.TerraformTree.resources;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The properties of deploy/terraform that matter for safety and hygiene. Providers
 * cannot be downloaded here, so {@code terraform validate} runs in GitHub Actions
 * (.github/workflows/terraform.yml); these tests read the HCL itself.
 */
class TerraformModulesTest {

    static final String WRITER_PATH = "/actuator/health/writer";
    static final String READER_PATH = "/actuator/health/reader";
    static final Path TERRAFORM_BINARY = Path.of(System.getProperty("terraform.binary", "/usr/local/bin/terraform"));

    @Test
    void terraformFmtFindsNothingToRewrite() throws Exception {
        assertThat(TERRAFORM_BINARY).as("terraform binary (set -Dterraform.binary=...)").isExecutable();
        Process p = new ProcessBuilder(TERRAFORM_BINARY.toString(), "fmt", "-check", "-recursive", "-diff",
                "deploy/terraform")
                .directory(TerraformTree.ROOT.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("terraform fmt finished").isTrue();
        assertThat(p.exitValue()).as("terraform fmt -check -recursive deploy/terraform:%n%s", output).isZero();
    }

    @Test
    void everyModuleAndEnvironmentWasFoundAndParsed() {
        assertThat(TerraformTree.all().stream().filter(d -> d.kind().equals("modules")).map(Dir::name))
                .containsExactlyInAnyOrderElementsOf(TerraformTree.MODULES);
        assertThat(TerraformTree.envs()).extracting(Dir::name).contains("example");
    }

    @Test
    void everyVariableIsTypedAndDescribed() {
        List<String> problems = new ArrayList<>();
        int count = 0;
        for (Dir d : TerraformTree.all()) {
            for (var v : d.variables().entrySet()) {
                count++;
                if (v.getValue().get("type") == null) {
                    problems.add(d.label() + ": var." + v.getKey() + " has no type");
                }
                if (!(v.getValue().get("description") instanceof String s) || s.isBlank()) {
                    problems.add(d.label() + ": var." + v.getKey() + " has no description");
                }
            }
        }
        assertThat(count).as("variables found").isGreaterThan(80);
        assertThat(problems).isEmpty();
    }

    @Test
    void variablesThatTakeCidrsOrNamesAreValidated() {
        List<String> unvalidated = new ArrayList<>();
        int checked = 0;
        for (Dir d : TerraformTree.all()) {
            for (var v : d.variables().entrySet()) {
                String n = v.getKey();
                if (n.contains("cidr") || n.equals("name") || n.equals("hostname") || n.endsWith("_asn")
                        || n.equals("mode") || n.equals("health_check_path") || n.endsWith("_port")) {
                    checked++;
                    if (v.getValue().get("validation") == null) {
                        unvalidated.add(d.label() + ": var." + n);
                    }
                }
            }
        }
        assertThat(checked).as("constrained variables found").isGreaterThan(20);
        assertThat(unvalidated).isEmpty();
    }

    @Test
    void everyOutputIsDescribed() {
        List<String> problems = new ArrayList<>();
        int count = 0;
        for (Dir d : TerraformTree.all()) {
            for (var o : d.outputs().entrySet()) {
                count++;
                if (!(o.getValue().get("description") instanceof String s) || s.isBlank()) {
                    problems.add(d.label() + ": output." + o.getKey());
                }
            }
        }
        assertThat(count).as("outputs found").isGreaterThan(30);
        assertThat(problems).isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void terraformAndEveryProviderArePinned() {
        for (Dir d : TerraformTree.all()) {
            Map<String, Object> terraform = block(d.hcl().get("terraform"));
            assertThat(terraform.get("required_version")).as(d.label() + " required_version").isNotNull();
            Map<String, Object> providers = block(terraform.get("required_providers"));
            assertThat(providers).as(d.label() + " required_providers").isNotEmpty();
            providers.forEach((name, spec) -> assertThat(((Map<String, Object>) spec).get("version"))
                    .as(d.label() + " provider " + name + " version").isNotNull());
        }
    }

    @Test
    void gcsBackupBucketEnforcesUniformAccessAndVersioning() {
        List<Resource> buckets = resources("google_storage_bucket");
        // the GCP site's backups and Velero's, and Loki's in the monitoring cluster (one block, for_each: chunks, ruler)
        assertThat(buckets).as("GCS buckets").extracting(Resource::name).containsExactlyInAnyOrder("backups", "velero", "loki");
        for (Resource b : buckets) {
            assertThat(b.get("uniform_bucket_level_access")).as(b + " uniform access").isEqualTo(true);
            assertThat(b.get("public_access_prevention")).as(b + " public access prevention").isEqualTo("enforced");
            assertThat(block(b.get("versioning")).get("enabled")).as(b + " versioning").isEqualTo(true);
            assertThat(b.get("force_destroy")).as(b + " force_destroy").isEqualTo(false);
            assertThat(blocks(b.get("lifecycle_rule"))).as(b + " lifecycle rules").hasSizeGreaterThanOrEqualTo(1)
                    .anySatisfy(r -> assertThat(block(r.get("condition"))).containsKey("days_since_noncurrent_time"));
        }
        assertThat(resources("google_storage_bucket_iam_member")).as("bucket IAM members")
                .isNotEmpty()
                .allSatisfy(m -> assertThat((String) m.get("member")).doesNotContain("allUsers", "allAuthenticatedUsers"));
    }

    @Test
    void s3BucketsAreEncryptedVersionedAndNeverPublic() {
        List<Resource> buckets = resources("aws_s3_bucket");
        assertThat(buckets).as("S3 buckets: the WAL archive's and Velero's").extracting(Resource::name)
                .containsExactlyInAnyOrder("backups", "velero");
        for (Resource bucket : buckets) {
            assertThat(bucket.get("force_destroy")).isEqualTo(false);
            String ref = "aws_s3_bucket." + bucket.name() + ".id";

            Resource pab = forBucket("aws_s3_bucket_public_access_block", ref);
            for (String flag : List.of("block_public_acls", "block_public_policy", "ignore_public_acls",
                    "restrict_public_buckets")) {
                assertThat(pab.get(flag)).as(bucket + " " + flag).isEqualTo(true);
            }

            Resource sse = forBucket("aws_s3_bucket_server_side_encryption_configuration", ref);
            Map<String, Object> byDefault = block(block(sse.get("rule")).get("apply_server_side_encryption_by_default"));
            assertThat(byDefault.get("sse_algorithm")).isEqualTo("aws:kms");
            assertThat(byDefault.get("kms_master_key_id")).isNotNull();

            Resource versioning = forBucket("aws_s3_bucket_versioning", ref);
            assertThat(block(versioning.get("versioning_configuration")).get("status")).isEqualTo("Enabled");

            Resource lifecycle = forBucket("aws_s3_bucket_lifecycle_configuration", ref);
            assertThat(block(lifecycle.get("rule"))).containsKey("noncurrent_version_expiration");

            assertThat(forBucket("aws_s3_bucket_ownership_controls", ref).body().toString()).contains("BucketOwnerEnforced");
            assertThat(forBucket("aws_s3_bucket_policy", ref)).isNotNull();
        }
        assertThat(module("aws-site").text()).contains("aws:SecureTransport");
        assertThat(single("aws_kms_key").get("enable_key_rotation")).isEqualTo(true);
    }

    @Test
    void theEdgeProbesTheWriterHealthEndpoint() {
        Dir lb = module("global-lb");
        assertThat(lb.resolve("var.health_check_path")).isEqualTo(WRITER_PATH);
        assertThat(lb.resolve("var.serving_mode")).as("follow the writer unless told otherwise").isEqualTo("follow-writer");
        // every probe uses the one path the serving mode picks: the writer's by default
        assertThat(lb.text()).contains("health_check_path = local.read_local ? \"" + READER_PATH + "\" : var.health_check_path");

        List<Resource> gcpChecks = lb.resources("google_compute_health_check");
        assertThat(gcpChecks).as("GCP health checks").hasSize(1);
        // hcl4j evaluates local.health_check_path with the variables' defaults: the writer's path
        assertThat(lb.resolve(block(gcpChecks.get(0).get("http_health_check")).get("request_path")))
                .isEqualTo(WRITER_PATH);

        List<Resource> r53Checks = lb.resources("aws_route53_health_check");
        assertThat(r53Checks).as("Route 53 health checks").hasSize(1);
        assertThat(r53Checks.get(0).resolved("resource_path")).isEqualTo(WRITER_PATH);
        assertThat(lb.text()).contains("request_path       = local.health_check_path", "resource_path     = local.health_check_path");
        assertThat(r53Checks.get(0).get("type")).isEqualTo("HTTPS");

        Resource backend = lb.resources("google_compute_backend_service").get(0);
        assertThat(backend.get("load_balancing_scheme")).isEqualTo("EXTERNAL_MANAGED");
        assertThat(backend.get("health_checks").toString()).contains("google_compute_health_check.writer");
        assertThat(lb.resources("google_compute_managed_ssl_certificate")).hasSize(1);
        assertThat(lb.resources("aws_route53_record")).singleElement()
                .satisfies(r -> assertThat(r.body()).containsKeys("dynamic", "health_check_id"));
        assertThat(lb.outputs()).containsKeys("health_check_path", "serving_mode");
    }

    @Test
    void readLocalServingModeProbesTheReaderHealthAndRoutesByProximity() {
        Dir lb = module("global-lb");
        Map<String, Object> mode = lb.variables().get("serving_mode");
        assertThat(mode).as("var.serving_mode").isNotNull().containsKey("validation");
        assertThat(String.valueOf(mode.get("validation"))).contains("follow-writer", "read-local");
        String text = lb.text();
        // Route 53: failover records following the writer, or latency records over the healthy readers
        assertThat(text).contains("dynamic \"failover_routing_policy\"", "for_each = local.read_local ? [] : [each.value.role]",
                "dynamic \"latency_routing_policy\"", "for_each = local.read_local ? [each.value.region] : []");
        // read-local latency records need each site's region
        assertThat(String.valueOf(lb.variables().get("route53_sites").get("validation"))).contains("region");
        // GCP: the one backend service over both sites; its check's name says which health it probes
        assertThat(text).contains("local.read_local ? \"${var.name}-reader\" : \"${var.name}-writer\"");
    }

    @Test
    void noFirewallRuleOpensToTheInternetExceptTheLoadBalancer() throws IOException {
        List<String> open = new ArrayList<>();
        int ingressRules = 0;
        for (Dir d : TerraformTree.all()) {
            for (Resource fw : d.resources("google_compute_firewall")) {
                if ("EGRESS".equals(fw.get("direction"))) {
                    continue;
                }
                ingressRules++;
                if (isOpen(fw.resolved("source_ranges"))) {
                    open.add(fw.toString());
                }
            }
            for (Resource rule : d.resources("aws_vpc_security_group_ingress_rule")) {
                ingressRules++;
                if (isOpen(rule.resolved("cidr_ipv4")) || isOpen(rule.resolved("cidr_ipv6"))) {
                    open.add(rule.toString());
                }
            }
            // The older forms must not sneak in with open ingress either.
            for (Resource sg : d.resources("aws_security_group")) {
                for (Map<String, Object> in : blocks(sg.get("ingress"))) {
                    if (isOpen(in.get("cidr_blocks"))) {
                        open.add(sg.toString());
                    }
                }
            }
            for (Resource rule : d.resources("aws_security_group_rule")) {
                if ("ingress".equals(rule.get("type")) && isOpen(rule.resolved("cidr_blocks"))) {
                    open.add(rule.toString());
                }
            }
        }
        assertThat(ingressRules).as("ingress rules found").isGreaterThanOrEqualTo(7);
        assertThat(open).as("ingress open to the internet").isEmpty();

        // Belt and braces on the text: 0.0.0.0/0 may appear only as an egress route,
        // in a validation that forbids it, or in a comment. The load balancer's own
        // exposure is its anycast forwarding rule, which needs no firewall rule.
        Pattern allowed = Pattern.compile("destination_cidr_block\\s*=\\s*\"0\\.0\\.0\\.0/0\"|!=\\s*\"0\\.0\\.0\\.0/0\"|#.*0\\.0\\.0\\.0/0|message.*0\\.0\\.0\\.0/0");
        List<String> stray = new ArrayList<>();
        for (Path f : TerraformTree.allTerraformFiles()) {
            for (String line : Files.readAllLines(f)) {
                if ((line.contains("0.0.0.0/0") || line.contains("::/0")) && !allowed.matcher(line).find()) {
                    stray.add(TerraformTree.ROOT.relativize(f) + ": " + line.strip());
                }
            }
        }
        assertThat(stray).isEmpty();
    }

    @Test
    void lbOnlyIngressComesFromGoogleFrontEnds() {
        Resource fw = module("global-lb").resources("google_compute_firewall").get(0);
        assertThat(module("global-lb").text()).contains("\"35.191.0.0/16\"", "\"130.211.0.0/22\"");
        assertThat(String.valueOf(fw.get("source_ranges")))
                .isIn("local.google_lb_ranges", "[35.191.0.0/16, 130.211.0.0/22]");
    }

    @Test
    void gkeClusterIsPrivateWithWorkloadIdentity() {
        assertPrivateGkeWithWorkloadIdentity(module("gcp-site"));
    }

    /** A private GKE cluster (nodes and endpoint) with Workload Identity, its pool on the GKE metadata server and a node SA of its own. */
    private static Map<String, Object> assertPrivateGkeWithWorkloadIdentity(Dir d) {
        Resource cluster = d.resources("google_container_cluster").get(0);
        Map<String, Object> privateConfig = block(cluster.get("private_cluster_config"));
        assertThat(privateConfig.get("enable_private_nodes")).as(d.label()).isEqualTo(true);
        assertThat(d.resolve(privateConfig.get("enable_private_endpoint"))).as(d.label()).isEqualTo(true);
        assertThat(String.valueOf(block(cluster.get("workload_identity_config")).get("workload_pool")))
                .endsWith(".svc.id.goog");
        assertThat(cluster.resolved("deletion_protection")).as(d.label()).isEqualTo(true);
        assertThat(cluster.get("remove_default_node_pool")).as(d.label()).isEqualTo(true);

        Resource pool = d.resources("google_container_node_pool").get(0);
        Map<String, Object> node = block(pool.get("node_config"));
        assertThat(block(node.get("workload_metadata_config")).get("mode")).isEqualTo("GKE_METADATA");
        assertThat(block(node.get("shielded_instance_config")).get("enable_secure_boot")).isEqualTo(true);
        assertThat(node.get("service_account")).as("dedicated node SA, not the default compute SA")
                .isEqualTo("google_service_account.nodes.email");
        return node;
    }

    @Test
    void eksClusterIsPrivateEncryptedAndUsesPodIdentity() {
        Dir aws = module("aws-site");
        Resource cluster = aws.resources("aws_eks_cluster").get(0);
        Map<String, Object> vpc = block(cluster.get("vpc_config"));
        assertThat(vpc.get("endpoint_private_access")).isEqualTo(true);
        assertThat(aws.resolve(vpc.get("endpoint_public_access"))).isEqualTo(false);
        assertThat(block(cluster.get("encryption_config")).get("resources").toString()).contains("secrets");

        Map<String, Object> metadata = block(aws.resources("aws_launch_template").get(0).get("metadata_options"));
        assertThat(metadata.get("http_tokens")).isEqualTo("required");

        assertThat(aws.resources("aws_eks_pod_identity_association")).extracting(Resource::name)
                .contains("agent", "backup", "velero");
        assertThat(aws.resources("aws_ecr_repository")).singleElement()
                .satisfies(r -> assertThat(r.get("image_tag_mutability")).isEqualTo("IMMUTABLE"));
    }

    @Test
    void workloadRolesAreScopedToTheirBucket() {
        Dir gcp = module("gcp-site");
        assertThat(gcp.resources("google_project_iam_member")).as("project-wide grants")
                .extracting(r -> r.get("role")).containsOnly("roles/container.defaultNodeServiceAccount");
        // Velero's account on Velero's bucket, the others on the WAL archive's: neither reaches the other
        assertThat(gcp.resources("google_storage_bucket_iam_member")).allSatisfy(m -> assertThat(m.get("bucket")).isEqualTo(
                String.valueOf(m.get("member")).contains("google_service_account.velero.")
                        ? "google_storage_bucket.velero.name" : "google_storage_bucket.backups.name"));
        // The workload policies name their actions and their bucket; no wildcards.
        Dir aws = module("aws-site");
        List<Resource> policies = aws.data("aws_iam_policy_document").stream()
                .filter(r -> List.of("backup", "agent", "velero").contains(r.name())).toList();
        assertThat(policies).hasSize(3).allSatisfy(p -> assertThat(blocks(p.get("statement"))).allSatisfy(st -> {
            assertThat(st.get("actions").toString()).doesNotContain("*");
            assertThat(st.get("resources").toString()).doesNotContain("\"*\"").isNotEqualTo("[*]");
        }));
        assertThat(resources("google_project_iam_member")).extracting(r -> r.get("role"))
                .doesNotContain("roles/owner", "roles/editor");
    }

    @Test
    void monitoringClusterIsPrivateAndReachedOnlyFromTheSitesAndTheArbiter() {
        Dir mon = module("monitoring-cluster");
        Map<String, Object> node = assertPrivateGkeWithWorkloadIdentity(mon);
        assertThat(String.valueOf(node.get("tags"))).as("the ingest rule's target").contains("var.name");

        Resource ingest = mon.resources("google_compute_firewall").get(0);
        assertThat(ingest.get("source_ranges")).isEqualTo("var.client_cidrs");
        assertThat(String.valueOf(ingest.get("target_tags"))).contains("var.name");
        assertThat(mon.text()).contains("ports    = [tostring(var.ingress_port)]");
        assertThat(mon.variables().get("client_cidrs")).doesNotContainKey("default").containsKey("validation");
        assertThat(mon.resources("google_compute_address")).singleElement()
                .satisfies(a -> assertThat(a.get("address_type")).isEqualTo("INTERNAL"));
        assertThat(mon.resources("google_dns_managed_zone")).singleElement()
                .satisfies(z -> assertThat(z.get("visibility")).isEqualTo("private"));
        assertThat(mon.resources("aws_route53_zone")).singleElement()
                .satisfies(z -> assertThat(block(z.get("vpc")).get("vpc_id")).isEqualTo("var.aws_vpc_id"));
        assertThat(mon.resources("google_storage_bucket_iam_member")).singleElement()
                .satisfies(m -> assertThat(String.valueOf(m.get("member"))).contains("google_service_account.loki.email"));
        assertThat(mon.resources("google_project_iam_member")).extracting(r -> r.get("role"))
                .containsOnly("roles/container.defaultNodeServiceAccount");
    }

    @Test
    void interconnectIsTheFourTunnelHaVpnWithBgp() {
        Dir ic = module("interconnect");
        Resource peerGateway = ic.resources("google_compute_external_vpn_gateway").get(0);
        assertThat(peerGateway.get("redundancy_type")).isEqualTo("FOUR_IPS_REDUNDANCY");
        assertThat(blocks(peerGateway.get("interface"))).hasSize(4);
        assertThat(ic.resources("google_compute_ha_vpn_gateway")).hasSize(1);

        Resource connections = ic.resources("aws_vpn_connection").get(0);
        assertThat(connections.get("count")).isEqualTo(2.0);
        assertThat(connections.get("static_routes_only")).isEqualTo(false);
        assertThat(ic.resources("aws_customer_gateway").get(0).get("count")).isEqualTo(2.0);

        assertThat(ic.text()).contains("for i in range(4)");
        for (String perTunnel : List.of("google_compute_vpn_tunnel", "google_compute_router_interface",
                "google_compute_router_peer")) {
            // hcl4j evaluates local.tunnels into an opaque object: check the source text.
            assertThat(ic.resources(perTunnel)).as(perTunnel).singleElement()
                    .satisfies(r -> assertThat(r.body()).containsKey("for_each"));
            assertThat(ic.text()).containsPattern("resource \"" + perTunnel
                    + "\" \"aws\" \\{\\s+for_each\\s+= local\\.tunnels\\n");
        }
        assertThat(ic.resolve("var.tunnel_inside_cidrs")).asList().hasSize(4);
        assertThat(ic.resources("aws_vpn_gateway_route_propagation")).hasSize(1);
    }

    @Test
    void onlyReplicationAndAgentPortsCrossTheVpn() {
        Dir ic = module("interconnect");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> ports = (Map<String, Map<String, Object>>) ic.resolve("var.cross_site_ports");
        // Nothing probes the API across the sites (the load balancer probes each site itself), so no
        // "health" port; CrossReferencesTest checks these are exactly the ports the charts expose.
        assertThat(ports).containsOnlyKeys("postgres", "agent");
        assertThat(ports.get("postgres").get("port")).isEqualTo(5432.0);
        Resource fromAws = ic.resources("google_compute_firewall").stream()
                .filter(r -> r.name().equals("from_aws")).findFirst().orElseThrow();
        assertThat(block(fromAws.get("allow")).get("protocol")).isEqualTo("tcp");
        assertThat(fromAws.get("source_ranges").toString()).isEqualTo("[var.aws_vpc_cidr]");
    }

    @Test
    void noHardCodedAccountsProjectsOrSecrets() throws IOException {
        Map<String, Pattern> forbidden = Map.of(
                "AWS account id", Pattern.compile("(?<![0-9a-f])\\d{12}(?![0-9a-f])"),
                "AWS access key", Pattern.compile("AKIA[0-9A-Z]{16}"),
                "literal secret", Pattern.compile("(?i)(shared_secret|password|preshared_key|private_key)\\s*=\\s*\""),
                "literal project", Pattern.compile("\\bproject(_id)?\\s*=\\s*\"[a-z]"));
        List<String> found = new ArrayList<>();
        for (Path f : TerraformTree.allTerraformFiles()) {
            if (f.toString().endsWith(".example")) {
                continue; // placeholders by design
            }
            String text = Files.readString(f);
            forbidden.forEach((what, p) -> {
                Matcher m = p.matcher(text);
                while (m.find()) {
                    found.add(what + " in " + TerraformTree.ROOT.relativize(f) + ": " + m.group());
                }
            });
        }
        assertThat(found).isEmpty();
        // Long-lived credentials are never created.
        assertThat(resources("google_service_account_key")).isEmpty();
        assertThat(resources("aws_iam_access_key")).isEmpty();
    }

    @Test
    void githubFederationIsScopedToOneRepositoryAndItsSubjects() {
        Dir gh = module("github-oidc");
        Resource provider = gh.resources("google_iam_workload_identity_pool_provider").get(0);
        // Both clouds accept exactly the subjects of local.subjects (environments, refs): see
        // CrossReferencesTest.theOidcSubjectEachDeployJobPresentsIsTrusted.
        assertThat((String) provider.get("attribute_condition")).contains("assertion.repository", "assertion.sub in");
        assertThat(block(provider.get("oidc")).get("issuer_uri"))
                .isIn("local.issuer", "https://token.actions.githubusercontent.com");
        assertThat(gh.text()).contains("\"https://token.actions.githubusercontent.com\"");
        assertThat(gh.text()).contains("token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:aud");
        assertThat(gh.text()).doesNotContain("StringLike"); // exact subjects, no repo:*/* wildcards
        assertThat(gh.resources("aws_iam_openid_connect_provider")).hasSize(1);
    }

    @Test
    void arbiterIsReachableOnlyFromTheSites() {
        Dir arb = module("arbiter-site");
        Resource agents = arb.resources("google_compute_firewall").stream()
                .filter(r -> r.name().equals("agents")).findFirst().orElseThrow();
        assertThat(agents.get("source_ranges")).isEqualTo("var.allowed_source_cidrs");
        assertThat(arb.variables().get("allowed_source_cidrs")).doesNotContainKey("default");
        Resource vm = arb.resources("google_compute_instance").get(0);
        assertThat(vm.resolved("deletion_protection")).isEqualTo(true);
        assertThat(block(vm.get("shielded_instance_config")).get("enable_secure_boot")).isEqualTo(true);
    }

    @Test
    void environmentsUseRemoteStateAndFeedTheHelmValues() throws IOException {
        assertThat(TerraformTree.envs()).isNotEmpty();
        for (Dir env : TerraformTree.envs()) {
            Map<String, Object> terraform = block(env.hcl().get("terraform"));
            assertThat(terraform.get("backend")).as(env.label() + " remote backend").isNotNull();
            assertThat(env.outputs()).as(env.label() + " outputs").containsKey("helm_values");
            Path example = env.path().resolve("terraform.tfvars.example");
            assertThat(example).exists();
            String tfvars = Files.readString(example);
            env.variables().forEach((name, v) -> {
                if (!v.containsKey("default")) {
                    assertThat(tfvars).as(env.label() + " tfvars example sets required " + name)
                            .containsPattern("(?m)^" + name + "\\s*=");
                }
            });
            for (String m : TerraformTree.MODULES) {
                assertThat(env.text()).as(env.label() + " wires " + m).contains("../../modules/" + m + "\"");
            }
        }
    }

    @Test
    void readmeDocumentsEveryModulesInputsAndOutputs() throws IOException {
        String readme = Files.readString(TerraformTree.TERRAFORM.resolve("README.md"));
        assertThat(readme).contains("terraform validate", "detection");
        for (String m : TerraformTree.MODULES) {
            Dir d = module(m);
            assertThat(readme).as("section for " + m).contains("### " + m);
            String section = readme.substring(readme.indexOf("### " + m));
            int next = section.indexOf("\n### ", 4);
            String own = next < 0 ? section : section.substring(0, next);
            d.variables().keySet().forEach(v -> assertThat(own).as(m + " input " + v).contains("| `" + v + "` |"));
            d.outputs().keySet().forEach(o -> assertThat(own).as(m + " output " + o).contains("| `" + o + "` |"));
        }
    }

    /** The one resource of this type configuring the bucket {@code ref} (aws_s3_bucket.x.id). */
    private static Resource forBucket(String type, String ref) {
        List<Resource> r = resources(type).stream().filter(x -> ref.equals(x.get("bucket"))).toList();
        assertThat(r).as(type + " of " + ref).hasSize(1);
        return r.get(0);
    }

    private static Resource single(String type) {
        List<Resource> r = resources(type);
        assertThat(r).as(type).hasSize(1);
        return r.get(0);
    }

    private static boolean isOpen(Object ranges) {
        if (ranges == null) {
            return false;
        }
        String s = ranges.toString();
        return s.contains("0.0.0.0/0") || s.contains("::/0");
    }
}
