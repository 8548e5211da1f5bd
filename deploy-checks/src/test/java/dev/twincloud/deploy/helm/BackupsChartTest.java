package dev.twincloud.deploy.helm;

import static dev.twincloud.deploy.helm.Charts.one;
import static dev.twincloud.deploy.helm.Charts.ofKind;
import static dev.twincloud.deploy.helm.Charts.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.networknt.schema.JsonSchema;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backups in production (docs/backups.md): the Barman Cloud plugin's ObjectStore, the Cluster's
 * plugins entry, the ScheduledBackup, the restore drill's scratch Cluster and its RBAC, Velero's
 * BackupStorageLocation and Schedule — rendered by real Helm with each provider's values file and
 * validated against the vendored CRD schemas (src/test/resources/crds).
 */
class BackupsChartTest {
    private static final JsonSchema OBJECT_STORE = CrdSchemas.schemaFor("barman-cloud-plugin", "barmancloud.cnpg.io_objectstores.yaml", "v1");
    private static final JsonSchema SCHEDULED_BACKUP = CrdSchemas.schemaFor("postgresql.cnpg.io_scheduledbackups.yaml", "v1");
    private static final JsonSchema CLUSTER = CrdSchemas.schemaFor("postgresql.cnpg.io_clusters.yaml", "v1");
    private static final JsonSchema BSL = CrdSchemas.schemaFor("velero", "velero.io_backupstoragelocations.yaml", "v1");
    private static final JsonSchema VELERO_SCHEDULE = CrdSchemas.schemaFor("velero", "velero.io_schedules.yaml", "v1");
    private static final String PLUGIN = "barman-cloud.cloudnative-pg.io";

    record Site(String valuesFile, String site, String scheme) {
        @Override
        public String toString() {
            return valuesFile;
        }
    }

    static Stream<Site> sites() {
        return Stream.of(new Site("values-gcp.yaml", "gcp", "gs://"), new Site("values-aws.yaml", "aws", "s3://"));
    }

    private static List<Map<String, Object>> render(Site s) {
        return Charts.render(Charts.SITE, Charts.values(s.valuesFile()));
    }

    private static List<Map<String, Object>> render(Site s, Map<String, Object> sets) {
        return Charts.render(Charts.SITE, Charts.values(s.valuesFile()), sets);
    }

    /** The restore drill's scratch Cluster, as restore.sh fills it in. */
    static Map<String, Object> scratchCluster(List<Map<String, Object>> docs) {
        // data keys contain a dot: not a dotted path
        Map<String, Object> data = path(one(docs, "ConfigMap", "twincloud-restore"), "data");
        String template = (String) data.get("cluster.yaml");
        String filled = template.replace("  name: NAME\n", "  name: twincloud-db-x-drill\n")
                .replace("targetTime: TARGET_TIME", "targetTime: \"2026-11-30T15:04:05Z\"");
        return Charts.parseAll(filled).getFirst();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void everyBackupResourceValidatesAgainstItsCrdSchema(Site s) {
        List<Map<String, Object>> docs = render(s);
        assertThat(CrdSchemas.validate(OBJECT_STORE, one(docs, "ObjectStore", "twincloud-db-" + s.site() + "-store"))).isEmpty();
        assertThat(CrdSchemas.validate(SCHEDULED_BACKUP, one(docs, "ScheduledBackup", "twincloud-db-" + s.site() + "-daily"))).isEmpty();
        assertThat(CrdSchemas.validate(CLUSTER, one(docs, "Cluster", "twincloud-db-" + s.site()))).isEmpty();
        assertThat(CrdSchemas.validate(CLUSTER, scratchCluster(docs))).isEmpty();
        assertThat(CrdSchemas.validate(BSL, one(docs, "BackupStorageLocation", "twincloud-" + s.site()))).isEmpty();
        assertThat(CrdSchemas.validate(VELERO_SCHEDULE, one(docs, "Schedule", "twincloud-" + s.site() + "-objects"))).isEmpty();
        assertThat(ofKind(docs, "CronJob")).singleElement().satisfies(c -> StrictModel.parse(c, CronJob.class));
    }

    @Test
    void schemaValidationCatchesMisspeltBackupFields() {
        List<Map<String, Object>> docs = render(sites().findFirst().orElseThrow());
        Map<String, Object> store = withSpec(one(docs, "ObjectStore", "twincloud-db-gcp-store"), "retentionPolicy", "14 days");
        assertThat(CrdSchemas.validate(OBJECT_STORE, store)).isNotEmpty();
        Map<String, Object> sb = withSpec(one(docs, "ScheduledBackup", "twincloud-db-gcp-daily"), "target", "standby");
        assertThat(CrdSchemas.validate(SCHEDULED_BACKUP, sb)).isNotEmpty();
        Map<String, Object> schedule = withSpec(one(docs, "Schedule", "twincloud-gcp-objects"), "templat", Map.of());
        assertThat(CrdSchemas.validate(VELERO_SCHEDULE, schedule)).anySatisfy(m -> assertThat(m).contains("templat"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void eachSiteArchivesToItsOwnCloudThroughThePluginAndNotTheInTreeStore(Site s) {
        List<Map<String, Object>> docs = render(s);
        Map<String, Object> cluster = one(docs, "Cluster", "twincloud-db-" + s.site());
        assertThat((Object) path(cluster, "spec.backup")).as("no in-tree barmanObjectStore").isNull();
        assertThat(docs.toString()).doesNotContain("barmanObjectStore");
        Map<String, Object> store = one(docs, "ObjectStore", "twincloud-db-" + s.site() + "-store");
        assertThat((String) path(store, "spec.configuration.destinationPath")).startsWith(s.scheme());
        assertThat((String) path(store, "spec.retentionPolicy")).isEqualTo("14d");
        if (s.site().equals("gcp")) {
            assertThat((Boolean) path(store, "spec.configuration.googleCredentials.gkeEnvironment")).isTrue();
        } else {
            assertThat((Boolean) path(store, "spec.configuration.s3Credentials.inheritFromIAMRole")).isTrue();
        }
        // the peer is reached by streaming only: no plugin, no bucket of the other cloud
        List<Map<String, Object>> external = path(cluster, "spec.externalClusters");
        assertThat(external).allSatisfy(e -> assertThat(e).doesNotContainKey("plugin").doesNotContainKey("barmanObjectStore"));
        assertThat(storeReferences(docs)).isEmpty();
        Map<String, Object> sb = one(docs, "ScheduledBackup", "twincloud-db-" + s.site() + "-daily");
        assertThat((String) path(sb, "spec.target")).isEqualTo("prefer-standby");
        assertThat((String) path(sb, "spec.method")).isEqualTo("plugin");
    }

    /**
     * The names that must agree: the ObjectStore, the Cluster's WAL-archiving plugin entry (and only
     * one WAL archiver), the ScheduledBackup's Cluster and plugin, and the restore's source.
     */
    @SuppressWarnings("unchecked")
    static List<String> storeReferences(List<Map<String, Object>> docs) {
        List<String> problems = new ArrayList<>();
        List<String> stores = ofKind(docs, "ObjectStore").stream().map(d -> (String) path(d, "metadata.name")).toList();
        for (Map<String, Object> cluster : ofKind(docs, "Cluster")) {
            String name = path(cluster, "metadata.name");
            List<Map<String, Object>> plugins = Objects.requireNonNullElse(path(cluster, "spec.plugins"), List.of());
            List<Map<String, Object>> archivers = plugins.stream().filter(p -> Boolean.TRUE.equals(p.get("isWALArchiver"))).toList();
            if (archivers.size() != 1) {
                problems.add(name + ": " + archivers.size() + " WAL archivers (want exactly one)");
                continue;
            }
            Map<String, Object> archiver = archivers.getFirst();
            String store = path(archiver, "parameters.barmanObjectName");
            if (!PLUGIN.equals(archiver.get("name"))) {
                problems.add(name + ": the WAL archiver is " + archiver.get("name") + ", not " + PLUGIN);
            }
            if (!stores.contains(store)) {
                problems.add(name + ": archives to ObjectStore " + store + ", which is not rendered (" + stores + ")");
            }
            List<Map<String, Object>> schedules = ofKind(docs, "ScheduledBackup").stream()
                    .filter(b -> name.equals(path(b, "spec.cluster.name"))).toList();
            if (schedules.isEmpty()) {
                problems.add(name + ": no ScheduledBackup names this Cluster");
            }
            for (Map<String, Object> b : schedules) {
                if (!"plugin".equals(path(b, "spec.method")) || !PLUGIN.equals(path(b, "spec.pluginConfiguration.name"))) {
                    problems.add(path(b, "metadata.name") + ": not method plugin with " + PLUGIN);
                }
            }
            Map<String, Object> scratch = scratchCluster(docs);
            String source = path(scratch, "spec.bootstrap.recovery.source");
            List<Map<String, Object>> ext = path(scratch, "spec.externalClusters");
            Map<String, Object> from = ext.stream().filter(e -> source.equals(e.get("name"))).findFirst().orElse(Map.of());
            if (!store.equals(path(from, "plugin.parameters.barmanObjectName"))
                    || !Objects.equals(path(archiver, "parameters.serverName"), path(from, "plugin.parameters.serverName"))) {
                problems.add("the restore reads " + path(from, "plugin.parameters") + ", not what " + name + " archives to "
                        + archiver.get("parameters"));
            }
            if (path(scratch, "spec.plugins") != null) {
                problems.add("the restored Cluster archives WAL: it would write into the site's archive");
            }
        }
        return problems;
    }

    @Test
    void brokenStoreReferencesAreCaught() {
        List<Map<String, Object>> docs = render(sites().findFirst().orElseThrow());
        List<Map<String, Object>> renamed = docs.stream().map(d -> "ObjectStore".equals(d.get("kind"))
                ? withMetadataName(d, "twincloud-db-gcp-bucket") : d).toList();
        assertThat(storeReferences(renamed)).anySatisfy(p -> assertThat(p).contains("which is not rendered"));
        List<Map<String, Object>> noSchedule = docs.stream().filter(d -> !"ScheduledBackup".equals(d.get("kind"))).toList();
        assertThat(storeReferences(noSchedule)).anySatisfy(p -> assertThat(p).contains("no ScheduledBackup"));
        List<Map<String, Object>> otherGeneration = render(sites().findFirst().orElseThrow(), Map.of("backups.archiveGeneration", "2"));
        assertThat(storeReferences(otherGeneration)).as("the generation reaches the Cluster and the restore alike").isEmpty();
        assertThat(String.valueOf((Object) path(one(otherGeneration, "Cluster", "twincloud-db-gcp"), "spec.plugins"))).contains("serverName=twincloud-db-gcp-g2");
        List<Map<String, Object>> staleRestore = otherGeneration.stream().map(d -> "ConfigMap".equals(d.get("kind"))
                && "twincloud-restore".equals(path(d, "metadata.name")) ? one(docs, "ConfigMap", "twincloud-restore") : d).toList();
        assertThat(storeReferences(staleRestore)).anySatisfy(p -> assertThat(p).contains("the restore reads"));
    }

    @Test
    void theInTreeStoreAndBadBackupValuesAreRefused() {
        Site gcp = sites().findFirst().orElseThrow();
        assertThatThrownBy(() -> render(gcp, Map.of("postgres.backup.retentionPolicy", "14d")))
                .hasMessageContaining("in-tree barmanObjectStore) is gone");
        assertThatThrownBy(() -> render(gcp, Map.of("backups.objectStore.destinationPath", "https://bucket/")))
                .hasMessageContaining("must be gs://<bucket>/");
        assertThatThrownBy(() -> render(gcp, Map.of("backups.objectStore.destinationPath", "s3://bucket/")))
                .hasMessageContaining("needs s3Credentials");
        assertThatThrownBy(() -> render(gcp, Map.of("backups.pointInTimeRestore.enabled", true,
                "backups.pointInTimeRestore.name", "oops", "backups.pointInTimeRestore.targetTime", "yesterday")))
                .hasMessageContaining("RFC 3339");
        assertThatThrownBy(() -> render(gcp, Map.of("backups.pointInTimeRestore.enabled", true,
                "backups.pointInTimeRestore.targetTime", "2026-11-30T15:04:05Z")))
                .hasMessageContaining("pointInTimeRestore.name is required");
    }

    /**
     * Both sites lost, production's form of {@code lab recover}: the site's Cluster created by restoring its own
     * ObjectStore (bootstrap.recovery from an externalClusters entry through the plugin) and archiving to a new
     * generation — validated against the Cluster CRD; the values that cannot work are refused at render.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void recoverFromArchiveBootstrapsTheSiteFromItsOwnStoreAndArchivesToANewGeneration(Site s) {
        String cluster = "twincloud-db-" + s.site();
        List<Map<String, Object>> docs = render(s, Map.of("initialPrimarySite", s.site(), "backups.archiveGeneration", "2",
                "backups.recoverFromArchive.enabled", true, "backups.recoverFromArchive.serverName", cluster + "-g1"));
        Map<String, Object> c = one(docs, "Cluster", cluster);
        assertThat(CrdSchemas.validate(CLUSTER, c)).isEmpty();
        assertThat((Object) path(c, "spec.bootstrap.recovery")).isEqualTo(Map.of("source", cluster + "-archive"));
        assertThat((Object) path(c, "spec.bootstrap.initdb")).isNull();
        assertThat((Object) path(c, "spec.bootstrap.pg_basebackup")).isNull();
        assertThat((String) path(c, "spec.replica.primary")).as("the restored site is the writer").isEqualTo(cluster);
        List<Map<String, Object>> external = path(c, "spec.externalClusters");
        assertThat(external).filteredOn(e -> (cluster + "-archive").equals(e.get("name"))).singleElement().satisfies(e -> {
            assertThat((String) path(e, "plugin.name")).isEqualTo(PLUGIN);
            assertThat((String) path(e, "plugin.parameters.barmanObjectName")).isEqualTo(cluster + "-store");
            assertThat((String) path(e, "plugin.parameters.serverName")).isEqualTo(cluster + "-g1");
        });
        List<Map<String, Object>> plugins = path(c, "spec.plugins");
        assertThat((String) path(plugins.getFirst(), "parameters.serverName")).as("archives to the new generation").isEqualTo(cluster + "-g2");
        assertThat(storeReferences(docs)).isEmpty();

        Map<String, Object> toTime = one(render(s, Map.of("initialPrimarySite", s.site(), "backups.archiveGeneration", "1",
                "backups.recoverFromArchive.enabled", true, "backups.recoverFromArchive.serverName", cluster,
                "backups.recoverFromArchive.targetTime", "2026-11-30T15:04:05Z")), "Cluster", cluster);
        assertThat(CrdSchemas.validate(CLUSTER, toTime)).isEmpty();
        assertThat((String) path(toTime, "spec.bootstrap.recovery.recoveryTarget.targetTime")).isEqualTo("2026-11-30T15:04:05Z");
    }

    @Test
    void recoverFromArchiveRefusesWhatCannotWork() {
        Site gcp = sites().findFirst().orElseThrow();
        Site aws = sites().skip(1).findFirst().orElseThrow();
        assertThatThrownBy(() -> render(aws, Map.of("backups.archiveGeneration", "1", "backups.recoverFromArchive.enabled", true,
                "backups.recoverFromArchive.serverName", "twincloud-db-aws")))
                .as("values-aws.yaml names gcp the initial primary").hasMessageContaining("set initialPrimarySite to \"aws\"");
        assertThatThrownBy(() -> render(gcp, Map.of("backups.recoverFromArchive.enabled", true,
                "backups.recoverFromArchive.serverName", "twincloud-db-gcp")))
                .hasMessageContaining("bump backups.archiveGeneration");
        assertThatThrownBy(() -> render(gcp, Map.of("backups.archiveGeneration", "1", "backups.recoverFromArchive.enabled", true)))
                .hasMessageContaining("recoverFromArchive.serverName is required");
        assertThatThrownBy(() -> render(gcp, Map.of("backups.archiveGeneration", "1", "backups.recoverFromArchive.enabled", true,
                "backups.recoverFromArchive.serverName", "twincloud-db-gcp", "backups.recoverFromArchive.targetTime", "yesterday")))
                .hasMessageContaining("RFC 3339");
        assertThatThrownBy(() -> render(gcp, Map.of("backups.enabled", false, "backups.recoverFromArchive.enabled", true,
                "backups.recoverFromArchive.serverName", "x")))
                .hasMessageContaining("needs backups.enabled");
    }

    @Test
    void aPointInTimeRestoreIsAJobCreatingItsOwnCluster() {
        List<Map<String, Object>> docs = render(sites().findFirst().orElseThrow(), Map.of("backups.pointInTimeRestore.enabled", true,
                "backups.pointInTimeRestore.name", "before-delete", "backups.pointInTimeRestore.targetTime", "2026-11-30T15:04:05Z"));
        var job = StrictModel.parse(one(docs, "Job", "twincloud-restore-before-delete"), io.fabric8.kubernetes.api.model.batch.v1.Job.class);
        var c = job.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(c.getEnv()).extracting(e -> e.getName() + "=" + e.getValue())
                .contains("NAME=twincloud-db-gcp-pitr-before-delete", "TARGET_TIME=2026-11-30T15:04:05Z", "OWNED=no");
        assertThat(job.getSpec().getBackoffLimit()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void theRestoreDrillMayDeleteOnlyItsScratchCluster(Site s) {
        List<Map<String, Object>> docs = render(s);
        Role role = StrictModel.parse(one(docs, "Role", "twincloud-restore"), Role.class);
        String scratch = "twincloud-db-" + s.site() + "-drill";
        for (PolicyRule r : role.getRules()) {
            assertThat(r.getVerbs()).doesNotContain("*", "update", "patch", "deletecollection", "escalate", "bind");
            if (r.getVerbs().contains("delete")) {
                assertThat(r.getResourceNames()).as("delete is limited to the scratch Cluster").containsExactly(scratch);
            }
            if (r.getResources().contains("secrets")) {
                assertThat(r.getVerbs()).containsExactly("get");
                assertThat(r.getResourceNames()).allSatisfy(n -> assertThat(n).startsWith(scratch + "-"));
            }
        }
        CronJob drill = StrictModel.parse(one(docs, "CronJob", "twincloud-restore-drill"), CronJob.class);
        var job = drill.getSpec().getJobTemplate().getSpec();
        assertThat(drill.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
        assertThat(job.getBackoffLimit()).isZero();
        assertThat(job.getTtlSecondsAfterFinished()).as("the scratch Cluster goes with its Job").isPositive();
        var pod = job.getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("twincloud-restore");
        assertThat(pod.getInitContainers()).extracting(c -> c.getName()).containsExactly("restore", "check");
        assertThat(pod.getContainers()).singleElement().satisfies(c -> assertThat(c.getCommand()).contains("delete", scratch));
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        Map<String, Object> restored = scratchCluster(docs);
        assertThat((Object) path(restored, "spec.replica")).as("the scratch Cluster joins no topology").isNull();
        assertThat((String) path(restored, "spec.bootstrap.recovery.recoveryTarget.targetTime")).isEqualTo("2026-11-30T15:04:05Z");
        Map<String, Object> data = path(one(docs, "ConfigMap", "twincloud-restore"), "data");
        assertThat((String) data.get("check.sql")).contains("ecg_recording", "ecg_lead", "ecg_annotation", "md5(");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void veleroBacksUpTheNamespacesObjectsNotTheDatabaseVolumes(Site s) {
        List<Map<String, Object>> docs = render(s);
        Map<String, Object> bsl = one(docs, "BackupStorageLocation", "twincloud-" + s.site());
        assertThat((String) path(bsl, "spec.provider")).isEqualTo("velero.io/" + s.site());
        assertThat((String) path(bsl, "metadata.namespace")).isEqualTo("velero");
        Map<String, Object> schedule = one(docs, "Schedule", "twincloud-" + s.site() + "-objects");
        assertThat((String) path(schedule, "spec.template.storageLocation")).isEqualTo(path(bsl, "metadata.name"));
        assertThat((List<String>) path(schedule, "spec.template.includedNamespaces")).containsExactly(Charts.NAMESPACE);
        assertThat((Boolean) path(schedule, "spec.template.snapshotVolumes")).isFalse();
        assertThat((Boolean) path(schedule, "spec.template.defaultVolumesToFsBackup")).isFalse();
        assertThat((List<String>) path(schedule, "spec.template.excludedNamespaceScopedResources")).contains("persistentvolumeclaims");
    }

    @Test
    void backupsAreOffUnlessConfigured() {
        List<Map<String, Object>> docs = render(sites().findFirst().orElseThrow(), Map.of("backups.enabled", false));
        assertThat(ofKind(docs, "ObjectStore")).isEmpty();
        assertThat(ofKind(docs, "CronJob")).isEmpty();
        assertThat((Object) path(one(docs, "Cluster", "twincloud-db-gcp"), "spec.plugins")).isNull();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withSpec(Map<String, Object> doc, String key, Object value) {
        Map<String, Object> spec = new HashMap<>((Map<String, Object>) doc.get("spec"));
        spec.put(key, value);
        Map<String, Object> copy = new HashMap<>(doc);
        copy.put("spec", spec);
        return copy;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withMetadataName(Map<String, Object> doc, String name) {
        Map<String, Object> meta = new HashMap<>((Map<String, Object>) doc.get("metadata"));
        meta.put("name", name);
        Map<String, Object> copy = new HashMap<>(doc);
        copy.put("metadata", meta);
        return copy;
    }
}
