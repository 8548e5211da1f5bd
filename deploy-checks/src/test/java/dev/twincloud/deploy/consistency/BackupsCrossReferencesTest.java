package dev.twincloud.deploy.consistency;

import static dev.twincloud.deploy.helm.Charts.one;
import static dev.twincloud.deploy.helm.Charts.path;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.deploy.helm.Charts;
import dev.twincloud.deploy.terraform.TerraformTree;
import dev.twincloud.deploy.terraform.TerraformTree.Dir;
import dev.twincloud.deploy.terraform.TerraformTree.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Backups: the Terraform that makes the buckets and identities and the chart that uses them agree —
 * each site's ObjectStore writes to the bucket of its own cloud that the example environment hands
 * the values, with the service account Terraform binds the bucket's identity to; Velero's location is
 * its own bucket, in the namespace and with the service account Terraform binds. Each check has a
 * broken variant that must be reported.
 */
class BackupsCrossReferencesTest {

    /** What Terraform says about one site's backups. */
    record TfSite(String site, String scheme, String bucketOutput, String bucketResource, String dbNamespace,
                  String dbServiceAccount, String veleroNamespace, String veleroServiceAccount, String veleroBucketOutput,
                  String veleroBucketResource) {
    }

    private static Dir env() {
        return TerraformTree.envs().stream().filter(d -> d.name().equals("example")).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> helmValuesOf(String site) {
        Map<String, Object> out = env().outputs().get("helm_values");
        Object value = TerraformTree.block(out.get("value"));
        Map<String, Object> sites = TerraformTree.block(((Map<String, Object>) value).get("sites"));
        return TerraformTree.block(sites.get(site));
    }

    /** The site module's facts, read from its HCL (variables' defaults, the identity bindings). */
    static TfSite terraform(String site) {
        Dir module = TerraformTree.module(site + "-site");
        String mod = "module." + site + "_site.";
        Map<String, Object> hv = helmValuesOf(site);
        String dest = String.valueOf((Object) path(hv, "backup.destinationPath"));
        String scheme = dest.substring(0, dest.indexOf("://") + 3);
        // hcl4j keeps "gs://${module.gcp_site.backup_bucket}/" as gs://module.gcp_site.backup_bucket/
        java.util.regex.Matcher ref = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(mod) + "([a-z_]+)").matcher(dest);
        String bucketOutput = ref.find() ? ref.group(1) : "no module output in " + dest;
        String veleroOutput = String.valueOf((Object) path(hv, "velero.bucket")).replace(mod, "").replaceAll("[${}]", "");
        String dbNs;
        String dbSa;
        String vNs;
        String vSa;
        if (site.equals("gcp")) {
            dbNs = bindingPart(module, "backup_workload_identity", 0);
            dbSa = bindingPart(module, "backup_workload_identity", 1);
            vNs = bindingPart(module, "velero_workload_identity", 0);
            vSa = bindingPart(module, "velero_workload_identity", 1);
        } else {
            Resource db = named(module.resources("aws_eks_pod_identity_association"), "backup");
            Resource v = named(module.resources("aws_eks_pod_identity_association"), "velero");
            dbNs = String.valueOf(db.resolved("namespace"));
            dbSa = String.valueOf(db.resolved("service_account"));
            vNs = String.valueOf(v.resolved("namespace"));
            vSa = String.valueOf(v.resolved("service_account"));
        }
        return new TfSite(site, scheme, bucketOutput, outputValue(module, bucketOutput), dbNs, dbSa, vNs, vSa, veleroOutput,
                outputValue(module, veleroOutput));
    }

    private static String outputValue(Dir module, String output) {
        Map<String, Object> o = module.outputs().get(output);
        return o == null ? "no output " + output : String.valueOf(o.get("value"));
    }

    private static Resource named(List<Resource> rs, String name) {
        return rs.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no " + name));
    }

    /** serviceAccount:<pool>[ns/sa] of a Workload Identity binding: ns (0) or sa (1), variables resolved. */
    private static String bindingPart(Dir module, String resource, int part) {
        String member = String.valueOf(named(module.resources("google_service_account_iam_member"), resource).get("member"));
        String inside = member.substring(member.indexOf('[') + 1, member.indexOf(']'));
        String ref = inside.split("/")[part].replaceAll("[${}]", "");
        return String.valueOf(module.resolve(ref));
    }

    /** The problems of one site's rendered chart against Terraform's facts. */
    static List<String> backupsMatchTerraform(String site, List<Map<String, Object>> docs, TfSite tf) {
        List<String> problems = new ArrayList<>();
        String cluster = "twincloud-db-" + site;
        Map<String, Object> store = one(docs, "ObjectStore", cluster + "-store");
        String dest = path(store, "spec.configuration.destinationPath");
        if (!dest.startsWith(tf.scheme())) {
            problems.add(site + ": the ObjectStore writes to " + dest + ", but Terraform's bucket for this site is " + tf.scheme() + "…");
        }
        String wantBucket = site.equals("gcp") ? "google_storage_bucket.backups.name" : "aws_s3_bucket.backups.bucket";
        if (!tf.bucketResource().equals(wantBucket)) {
            problems.add(site + ": helm_values' destinationPath comes from " + tf.bucketOutput() + " = " + tf.bucketResource()
                    + ", not the WAL archive's bucket " + wantBucket);
        }
        String ns = String.valueOf((Object) path(one(docs, "Cluster", cluster), "metadata.namespace"));
        String sa = path(one(docs, "Cluster", cluster), "spec.serviceAccountName");
        if (!tf.dbServiceAccount().equals(sa)) {
            problems.add(site + ": the instances run as " + sa + " but Terraform binds the bucket's identity to " + tf.dbServiceAccount());
        }
        if (!"null".equals(ns) && !tf.dbNamespace().equals(ns) || !tf.dbNamespace().equals(Charts.NAMESPACE)) {
            problems.add(site + ": Terraform binds the bucket's identity in namespace " + tf.dbNamespace() + ", the chart runs in " + Charts.NAMESPACE);
        }
        if (site.equals("gcp")) {
            Map<String, Object> account = one(docs, "ServiceAccount", sa);
            if (path(account, "metadata.annotations") == null
                    || !((Map<?, ?>) path(account, "metadata.annotations")).containsKey("iam.gke.io/gcp-service-account")) {
                problems.add("gcp: the instances' service account has no Workload Identity annotation");
            }
        }
        Map<String, Object> bsl = one(docs, "BackupStorageLocation", "twincloud-" + site);
        if (!tf.veleroNamespace().equals(path(bsl, "metadata.namespace"))) {
            problems.add(site + ": Velero's location is in namespace " + path(bsl, "metadata.namespace")
                    + " but Terraform binds Velero's identity in " + tf.veleroNamespace());
        }
        String wantVelero = site.equals("gcp") ? "google_storage_bucket.velero.name" : "aws_s3_bucket.velero.bucket";
        if (!tf.veleroBucketResource().equals(wantVelero)) {
            problems.add(site + ": helm_values' velero.bucket comes from " + tf.veleroBucketResource() + ", not " + wantVelero);
        }
        if (!("velero.io/" + site).equals(path(bsl, "spec.provider"))) {
            problems.add(site + ": Velero's provider is " + path(bsl, "spec.provider") + " in the " + site + " cloud");
        }
        return problems;
    }

    @Test
    void terraformReadsAsExpected() {
        TfSite gcp = terraform("gcp");
        assertThat(gcp.scheme()).isEqualTo("gs://");
        assertThat(gcp.dbServiceAccount()).isEqualTo("twincloud-db");
        assertThat(gcp.veleroNamespace()).isEqualTo("velero");
        TfSite aws = terraform("aws");
        assertThat(aws.scheme()).isEqualTo("s3://");
        assertThat(aws.veleroServiceAccount()).isEqualTo("velero");
    }

    @Test
    void eachSitesBackupsUseTheBucketsAndIdentitiesTerraformMakes() {
        for (String site : List.of("gcp", "aws")) {
            List<Map<String, Object>> docs = Charts.render(Charts.SITE, Charts.values("values-" + site + ".yaml"));
            assertThat(backupsMatchTerraform(site, docs, terraform(site))).as(site).isEmpty();
        }
    }

    @Test
    void brokenBackupReferencesAreCaught() {
        TfSite gcp = terraform("gcp");
        TfSite aws = terraform("aws");
        assertThat(backupsMatchTerraform("gcp", Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"),
                Map.of("postgres.serviceAccountName", "twincloud-postgres")), gcp))
                .anySatisfy(p -> assertThat(p).contains("Terraform binds the bucket's identity to twincloud-db"));
        assertThat(backupsMatchTerraform("gcp", Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"),
                Map.of("backups.velero.namespace", "backups")), gcp))
                .anySatisfy(p -> assertThat(p).contains("Velero's location is in namespace backups"));
        assertThat(backupsMatchTerraform("aws", Charts.render(Charts.SITE, Charts.values("values-aws.yaml"),
                Map.of("backups.objectStore.destinationPath", "gs://twincloud-aws-backups/",
                        "backups.objectStore.googleCredentials.gkeEnvironment", true)), aws))
                .anySatisfy(p -> assertThat(p).contains("Terraform's bucket for this site is s3://"));
        assertThat(backupsMatchTerraform("gcp", Charts.render(Charts.SITE, Charts.values("values-gcp.yaml")),
                new TfSite("gcp", "gs://", "velero_bucket", "google_storage_bucket.velero.name", "twincloud", "twincloud-db",
                        "velero", "velero", "velero_bucket", "google_storage_bucket.velero.name")))
                .as("helm_values handing the WAL archive Velero's bucket")
                .anySatisfy(p -> assertThat(p).contains("not the WAL archive's bucket"));
    }
}
