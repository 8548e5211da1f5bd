package dev.twincloud.lab.supervisor;

import dev.twincloud.core.decide.ClusterHealth;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.link.LinkControlServer;
import dev.twincloud.lab.link.LinkSpec;
import dev.twincloud.lab.link.LinkStatus;
import dev.twincloud.lab.link.Links;
import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.lab.backup.BackupTools;
import dev.twincloud.lab.backup.BarmanCloud;
import dev.twincloud.lab.backup.LabBackups;
import dev.twincloud.lab.backup.ObjectStore;
import dev.twincloud.lab.backup.S3rver;
import dev.twincloud.pgctl.Replication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole two-cloud system on this machine: per site a PostgreSQL, an agent and an API; an
 * arbiter; an edge; and fault-injectable links for every cross-site and site-to-arbiter connection.
 * This object is the supervisor: it owns the processes and the links for the lab's lifetime.
 */
public final class Lab implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Lab.class);
    /**
     * How long {@code up} waits for each part to be ready: 120 s, or the system property
     * {@code twincloud.lab.ready-timeout-seconds} on a machine so loaded that a Spring Boot app takes longer to start.
     */
    private static final Duration READY = Duration.ofSeconds(Long.getLong("twincloud.lab.ready-timeout-seconds", 120));

    private final LabSettings settings;
    private final LabLayout layout;
    private final LabSecrets secrets;
    private final PgBinaries binaries;
    /** The lab's CA and certificates; null with TLS off. */
    private final LabTls tls;
    private final Links links = new Links();
    private LinkControlServer linkControl;
    private final Map<String, ManagedProcess> processes = new LinkedHashMap<>();
    private final Map<SiteId, PostgresServer> pg = new HashMap<>();
    /** barman-cloud for the archive settings; null when backups are off. */
    private BarmanCloud barman;
    /** Per site: done once its API has been warmed up (or needs none) since it last started. */
    private final Map<SiteId, java.util.concurrent.CompletableFuture<Void>> warm = new java.util.concurrent.ConcurrentHashMap<>();

    private Lab(LabSettings settings) throws IOException {
        this.settings = settings;
        this.layout = settings.layout();
        Files.createDirectories(layout.logs());
        this.secrets = LabSecrets.loadOrCreate(layout);
        secrets.writePublicKeyPem(layout.publicKeyPem());
        this.binaries = settings.binaries() != null ? settings.binaries() : PgBinaries.locate();
        checkTlsMode();
        Files.createDirectories(layout.root());
        Files.writeString(layout.basePortFile(), layout.basePort() + "\n"); // the later verbs' default (LabOptions)
        this.tls = settings.tls() ? LabTls.loadOrCreate(layout.tlsDir()) : null;
    }

    /**
     * A root keeps the TLS choice of its first start: its data directories hold the roles, and each site's
     * primary_conninfo the connection string, of that choice; the other would not stream. Refused with what to do.
     */
    private void checkTlsMode() throws IOException {
        Path marker = layout.tlsModeFile();
        String wanted = settings.tls() ? "on" : "off";
        String before;
        if (Files.exists(marker)) {
            before = Files.readString(marker).trim();
        } else if (Files.exists(layout.pgData(LabLayout.SITES.get(0)).resolve("PG_VERSION"))) {
            before = "off"; // a root made before the lab had TLS
        } else {
            Files.createDirectories(layout.root());
            Files.writeString(marker, wanted + "\n");
            return;
        }
        if (!before.equals(wanted)) {
            throw new IllegalStateException("the lab in " + layout.root() + " was created with TLS " + before
                    + " on its cross-site links; start it " + (before.equals("on") ? "with --tls" : "without --tls")
                    + ", or start over with --fresh");
        }
    }

    /** The lab's CA and certificates, when TLS is on. */
    public Optional<LabTls> tls() {
        return Optional.ofNullable(tls);
    }

    /** What {@code lab up} is waiting for, as it happens: one line per part starting or ready. */
    private java.util.function.Consumer<String> progress = m -> log.info(m);

    /** Starts everything and returns once the edge routes to a writer. */
    public static Lab up(LabSettings settings) throws IOException {
        return up(settings, m -> log.info(m));
    }

    /** As {@link #up(LabSettings)}, telling {@code progress} each part that starts and each that is ready. */
    public static Lab up(LabSettings settings, java.util.function.Consumer<String> progress) throws IOException {
        Lab lab = new Lab(settings);
        lab.progress = progress;
        try {
            lab.start();
            return lab;
        } catch (IOException | RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    public LabLayout layout() {
        return layout;
    }

    public LabSecrets secrets() {
        return secrets;
    }

    public LabSettings settings() {
        return settings;
    }

    public Links links() {
        return links;
    }

    /** Every port of the layout must be free before anything starts: two labs cannot share ports. */
    private void checkPortsFree() {
        List<Integer> taken = layout.ports(settings.arbiterReplicas(), settings.activeActive()).stream().filter(p -> !dev.twincloud.pgctl.Ports.isFree(p)).toList();
        if (!taken.isEmpty()) {
            throw new IllegalStateException("port(s) " + taken + " of this lab (base port " + layout.basePort()
                    + ") are in use: is another lab running? Stop it ('twincloud lab down') or pick another --base-port");
        }
    }

    private void start() throws IOException {
        checkPortsFree();
        Path etcdBinary = settings.replicated() ? LabEtcd.binary().orElseThrow(() -> new IllegalStateException(LabEtcd.MISSING)) : null;
        checkArbiterStore();
        log.info("lab root {}, PostgreSQL {} ({}) from {}", layout.root(), binaries.version(), binaries.kind(), binaries.binDir());
        startObjectStores();
        startLinks();
        progress.accept("links ready" + (settings.linkLatency().isEmpty() ? "" : " (latency " + LinkLatency.toSpecs(settings.linkLatency()) + ")"));
        startDatabases(etcdBinary);
        List<String> arbiter = new ArrayList<>(arbiterReplicas());
        if (settings.replicated()) {
            for (String member : LabEtcd.names()) {
                process(member).start();
            }
            progress.accept("starting etcd (" + LabLayout.ETCD_MEMBERS + " members)");
            LabEtcd.awaitHealthy(layout, LabEtcd.names().stream().map(this::process).toList(), READY);
            progress.accept("etcd ready: " + LabEtcd.endpoints(layout));
            arbiter.add(FRONT);
        }
        // The agents need no arbiter to start (they retry their heartbeat): start the JVMs together
        for (String a : arbiter) {
            process(a).start();
        }
        for (SiteId site : LabLayout.SITES) {
            process(site.name() + "-agent").start();
        }
        progress.accept(settings.replicated() ? "starting the arbiter replicas, their front and the agents" : "starting the arbiter and the agents");
        awaitWhileAlive(settings.replicated() ? "an acting arbiter replica behind the front" : "the arbiter",
                arbiterUrl() + "/actuator/health", null, r -> r.status() == 200, arbiter.toArray(String[]::new));
        progress.accept(settings.replicated() ? "arbiter ready: " + actingArbiter().orElse("a replica") + " acts" : "arbiter ready");
        List<String> needed = new ArrayList<>(arbiter);
        needed.addAll(List.of("gcp-agent", "aws-agent"));
        awaitWhileAlive("a writer with a lease", arbiterUrl() + "/v1/status", secrets.operatorToken(),
                r -> r.status() == 200 && leaseHolder(r).isPresent(), needed.toArray(String[]::new));
        progress.accept("agents ready: a writer holds a lease");
        if (settings.dbRoles() == LabSettings.DbRoles.PRODUCTION) {
            ensureRoles();
        }
        // Both APIs at once (the second used to wait for the first to be ready), and the edge with them:
        // it routes to whichever reports itself the writer once that one is up.
        for (SiteId site : LabLayout.SITES) {
            process(site.name() + "-api").start();
        }
        process("edge").start();
        for (String entry : homeEntries()) {
            process(entry).start();
        }
        progress.accept(settings.activeActive() ? "starting the APIs, the edge and the home entries" : "starting the APIs and the edge");
        for (SiteId site : LabLayout.SITES) {
            awaitWhileAlive(site + " api", apiUrl(site) + "/actuator/health/readiness", null, r -> r.status() == 200, site + "-api");
            progress.accept(site + " api ready");
        }
        Http.Response status = Http.get(arbiterUrl() + "/v1/status", secrets.operatorToken());
        SiteId standby = LabLayout.peer(status.as(ArbiterStatus.class).writer());
        warmUp(standby);
        warm.put(standby, java.util.concurrent.CompletableFuture.completedFuture(null));
        warm.put(LabLayout.peer(standby), java.util.concurrent.CompletableFuture.completedFuture(null));
        progress.accept(standby + " api warmed up (the standby, ready to take writes after a failover)");
        awaitWhileAlive("the edge routing to a writer", layout.entryUrl() + "/_edge/status", null,
                r -> r.status() == 200 && !r.json().path("active").isNull() && !r.json().path("active").asString("").isEmpty(), "edge");
        progress.accept("edge routing to the writer");
        for (SiteId site : LabLayout.SITES) {
            if (settings.activeActive()) {
                String entry = homeEntry(site);
                awaitWhileAlive(entry + " routing", layout.homeEntryUrl(site) + "/_edge/status", null,
                        r -> r.status() == 200 && !r.json().path("active").isNull() && !r.json().path("active").asString("").isEmpty(), entry);
                progress.accept(entry + " (" + site + "'s users, " + layout.homeEntryUrl(site) + ") routing");
            }
        }
        startMonitoring();
        log.info("lab is up: entry {}", layout.entryUrl());
    }

    /**
     * Prometheus and Alertmanager, last: started earlier they would see the components still starting
     * (and the rules would count that as components down).
     */
    private void startMonitoring() throws IOException {
        if (!settings.monitoring()) {
            return;
        }
        if (!monitoring()) {
            progress.accept(LabMonitoring.notFound());
            return;
        }
        process("alertmanager").start();
        process("prometheus").start();
        awaitWhileAlive("alertmanager", layout.alertmanagerUrl() + "/-/ready", null, r -> r.status() == 200, "alertmanager");
        awaitWhileAlive("prometheus", layout.prometheusUrl() + "/-/ready", null, r -> r.status() == 200, "prometheus");
        progress.accept("prometheus " + layout.prometheusUrl() + " and alertmanager " + layout.alertmanagerUrl() + " ready");
    }

    /**
     * The two object stores, before the databases so that the first segment is archived (docs/backups.md):
     * with s3rver and barman-cloud found and backups not switched off ({@link LabBackups}); otherwise one line says why not.
     */
    private void startObjectStores() throws IOException {
        if (!settings.backupsOn()) {
            progress.accept("backups off ('lab up --backups' or " + LabBackups.OFF_VARIABLE + "=on starts the object stores and WAL archiving)");
            return;
        }
        java.util.Optional<BackupTools> tools = BackupTools.find();
        if (tools.isEmpty()) {
            progress.accept(BackupTools.notFound());
            return;
        }
        barman = new BarmanCloud(tools.get());
        for (ObjectStore store : ObjectStore.all(layout)) {
            add(storeProcess(store), S3rver.command(tools.get(), store), Map.of());
            process(storeProcess(store)).start();
        }
        for (ObjectStore store : ObjectStore.all(layout)) {
            ManagedProcess p = process(storeProcess(store));
            S3rver.awaitReady(store, READY, p::isAlive);
        }
        progress.accept("object stores ready: gcs " + ObjectStore.of("gcs", layout).endpoint() + " (site gcp archives to it), s3 "
                + ObjectStore.of("s3", layout).endpoint() + " (site aws); archive_timeout " + LabBackups.ARCHIVE_TIMEOUT.toSeconds() + " s");
    }

    /** The managed process serving a store: {@code store-gcs}, {@code store-s3}. */
    public static String storeProcess(ObjectStore store) {
        return "store-" + store.name();
    }

    /** Whether this lab archives WAL to its object stores. */
    public boolean backups() {
        return barman != null;
    }

    /** A site's archive settings, or none when backups are off. */
    private Map<String, String> archiveSettings(SiteId site) {
        return barman == null ? Map.of() : barman.archiveSettings(ObjectStore.ofSite(site, layout), LabBackups.ARCHIVE_TIMEOUT);
    }

    /** Whether this lab runs Prometheus and Alertmanager (asked for, and their binaries found). */
    public boolean monitoring() {
        return processes.containsKey("prometheus");
    }

    /** The application database's name (the APIs' and the drill's). */
    public static final String APP_DATABASE = "postgres";
    public static final String APP_ROLE = "twincloud_app";
    public static final String OWNER_ROLE = "twincloud_owner";

    /**
     * The production roles, created (or brought up to date) in the writer's application database as
     * superuser before the APIs start; they reach the standby by physical replication.
     */
    private void ensureRoles() {
        String writer;
        try {
            writer = leaseHolder(Http.get(arbiterUrl() + "/v1/status", secrets.operatorToken())).orElseThrow();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot tell the writer to create the database roles on: " + e, e);
        }
        String url = "jdbc:postgresql://127.0.0.1:" + layout.pgPort(SiteId.of(writer)) + "/" + APP_DATABASE + "?connectTimeout=5";
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, "postgres", "")) {
                dev.twincloud.pgctl.roles.DatabaseRoles.ensure(c, dev.twincloud.pgctl.roles.DatabaseRoles.Spec.defaults("public"));
                try (java.sql.Statement s = c.createStatement()) {
                    // the API's writes in PostgreSQL's log under their request id, without values (docs/logging.md)
                    s.execute("alter role " + APP_ROLE + " set log_statement = 'mod'");
                }
                log.info("database roles {} and {} ensured on {}", OWNER_ROLE, APP_ROLE, writer);
                return;
            } catch (java.sql.SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot create the database roles on " + writer + ": " + e.getMessage(), e);
                }
                log.debug("roles not yet ensured on {}: {}", writer, e.toString());
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ie);
                }
            }
        }
    }

    /**
     * The edge sends nothing to a standby's API, so its JVM would meet its first write only after a
     * failover — and spend hundreds of ms of the RTO loading classes. Exercise its paths while it is
     * a standby: writes (refused with 503, so nothing is stored) and reads. Only while the site's
     * database is a standby (writer health DOWN), so no warm-up write is ever stored.
     */
    private void warmUp(SiteId standby) {
        String token = secrets.devToken(Duration.ofMinutes(5));
        String body = "{\"patientRef\":\"lab-warmup\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{\"I\":[1,2,3,4],\"II\":[4,3,2,1]}}";
        try {
            for (int i = 0; i < 40; i++) {
                if (Http.get(apiUrl(standby) + "/actuator/health/writer", null).status() == 200) {
                    return; // it became the writer meanwhile: warm enough, and nothing must be stored
                }
                Http.post(apiUrl(standby) + "/v1/ecgs", token, body, java.util.Map.of("Idempotency-Key", "warmup-" + i));
                Http.get(apiUrl(standby) + "/v1/ecgs?limit=5", token);
            }
        } catch (IOException e) {
            log.debug("warm-up of {} api stopped: {}", standby, e.toString());
        }
    }

    /** Warms a (re)started API once its site runs as a standby again; bounded, in the background. */
    private void warmUpWhenStandby(SiteId site) {
        var done = new java.util.concurrent.CompletableFuture<Void>();
        warm.put(site, done);
        Thread.ofVirtual().name("warm-up-" + site).start(() -> {
            try {
                warmUpLoop(site);
            } finally {
                done.complete(null);
            }
        });
    }

    /** Waits until a (re)started site's API has been warmed up; false after {@code timeout}. */
    public boolean awaitWarm(SiteId site, Duration timeout) {
        try {
            warm.getOrDefault(site, java.util.concurrent.CompletableFuture.completedFuture(null))
                    .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void warmUpLoop(SiteId site) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Http.Response s = Http.get(arbiterUrl() + "/v1/status", secrets.operatorToken());
                boolean standby = s.status() == 200
                        && s.as(ArbiterStatus.class).stateOf(site).equals(Optional.of(SiteState.STANDBY));
                if (standby && Http.get(apiUrl(site) + "/actuator/health/readiness", null).status() == 200) {
                    warmUp(site);
                    return;
                }
            } catch (IOException | RuntimeException e) {
                // not yet: keep polling until the deadline
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The writer, when it holds a lease by the arbiter's account ({@link ClusterHealth#writerHoldsLease}). */
    private static Optional<String> leaseHolder(Http.Response status) {
        ArbiterStatus s = status.as(ArbiterStatus.class);
        return ClusterHealth.writerHoldsLease(s) ? Optional.of(s.writer().name()) : Optional.empty();
    }

    private void startLinks() throws IOException {
        for (SiteId site : LabLayout.SITES) {
            SiteId peer = LabLayout.peer(site);
            links.add(LinkSpec.of(site + "->arbiter", layout.arbiterLinkPort(site), arbiterHttps() ? layout.arbiterTlsPort() : layout.arbiterPort()));
            links.add(LinkSpec.of(site + "->" + peer + ":pg", layout.peerPgLinkPort(site), layout.pgPort(peer)));
            links.add(LinkSpec.of(site + "->" + peer + ":agent", layout.peerAgentLinkPort(site), layout.agentPort(peer)));
            if (settings.activeActive()) {
                // the API's forwarding to the other site's API (twincloud.api.forward.peer-url): a partition cuts it
                links.add(LinkSpec.of(site + "->" + peer + ":api", layout.peerApiLinkPort(site), layout.apiPort(peer)));
            }
        }
        settings.linkLatency().forEach((direction, d) -> {
            String[] ends = direction.split("->", 2);
            links.latency(ends[0], ends[1], d);
        });
        linkControl = LinkControlServer.start(links, layout.linkControlPort());
    }

    /**
     * A root keeps the arbiter's state where its first start put it: one arbiter in {@code arbiter/state.json},
     * two replicas in etcd. Starting it with the other count would start the other store over at epoch 1 while
     * the sites hold a later one (the arbiter refuses them: no writer), so it is refused with what to do.
     */
    private void checkArbiterStore() throws IOException {
        Path marker = layout.arbiterReplicasFile();
        int before;
        if (Files.exists(marker)) {
            try {
                before = Integer.parseInt(Files.readString(marker).trim());
            } catch (NumberFormatException e) {
                throw new IllegalStateException(marker + " does not hold a number of arbiter replicas: repair it or start over with --fresh");
            }
        } else if (Files.exists(layout.pgData(LabLayout.SITES.get(0)).resolve("PG_VERSION"))) {
            before = 1; // a root made before several replicas existed
        } else {
            Files.createDirectories(layout.root());
            Files.writeString(marker, settings.arbiterReplicas() + "\n");
            return;
        }
        if (before != settings.arbiterReplicas()) {
            throw new IllegalStateException("the lab in " + layout.root() + " was created with " + before + " arbiter replica(s), "
                    + (before > 1 ? "its arbiter state in etcd" : "its arbiter state in " + layout.arbiterState())
                    + "; starting it with " + settings.arbiterReplicas() + " would start the arbiter over at epoch 1. Use "
                    + "--arbiter-replicas " + before + ", or start over with --fresh");
        }
    }

    /** First start: gcp initialised as primary, aws cloned from it. Later starts reuse the data dirs. */
    private void startDatabases(Path etcdBinary) throws IOException {
        SiteId first = LabLayout.SITES.get(0);
        SiteId second = LabLayout.SITES.get(1);
        for (SiteId site : LabLayout.SITES) {
            PostgresServer.Builder b = PostgresServer.builder(layout.pgData(site)).binaries(binaries).port(layout.pgPort(site))
                    // wal_retrieve_retry_interval as the agent sets it when it starts a database (it adopts these
                    // running ones): a standby reconnects to a writer restarted after a crash within 0.5 s, not 5 s
                    .settings(Map.of("twincloud.site", site.name(), "max_connections", "60", "track_commit_timestamp", "on",
                            "wal_retrieve_retry_interval", "500ms"))
                    .settings(dev.twincloud.pgctl.CrashStart.settings(binaries)) // as the agent sets it too
                    .settings(archiveSettings(site))
                    .logFile(layout.logs().resolve(site + "-postgres.log")).jsonLog(pgJsonLog(site)).stopOnJvmExit(false)
                    // the links into this site connect from their own loopback network (docs/links.md): pg_hba tells them apart
                    .crossSiteNetwork(LinkSpec.sourceNetworkInto(site.toString()));
            if (tls != null) {
                // as the agents start it; the first clone copies from it as the other site does (its certificate)
                b.serverTls(pgServerTls(site)).replication(LabTls.REPLICATION_ROLE, replicationClient(LabLayout.peer(site)));
            }
            pg.put(site, b.build());
        }
        for (SiteId site : LabLayout.SITES) {
            Path version = layout.pgData(site).resolve("PG_VERSION");
            try {
                if (Files.exists(version) && !Files.readString(version).trim().equals(Integer.toString(binaries.majorVersion()))) {
                    throw new IllegalStateException("the data in " + layout.pgData(site) + " is for PostgreSQL " + Files.readString(version).trim()
                            + " but the binaries found are " + binaries.majorVersion() + " (" + binaries.binDir()
                            + "): use the same binaries (TWINCLOUD_PG_BINARIES / TWINCLOUD_PG_BINDIR) or start over with 'lab up --fresh'");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        PostgresServer primary = pg.get(first);
        PostgresServer standby = pg.get(second);
        if (!primary.isInitialized()) {
            progress.accept("creating the databases (initdb " + first + ", clone " + second + ")");
            primary.initdb();
            primary.start();
            // the roles the other site uses: with TLS, only with a certificate of the lab's CA (PgTls.Server's pg_hba)
            primary.execute("CREATE ROLE " + LabTls.REPLICATION_ROLE + " LOGIN REPLICATION");
            primary.execute("CREATE ROLE " + LabTls.PEER_ROLE + " LOGIN SUPERUSER");
            Replication.createStandby(primary, standby,
                    new Replication.StandbyOptions(second.name(), Optional.empty(), Replication.CloneMethod.AUTO));
            // stream through the link, so that a partition is a real TCP failure
            Replication.follow(standby, tls == null
                            ? "host=127.0.0.1 port=" + layout.peerPgLinkPort(second) + " user=postgres dbname=postgres"
                            : replicationClient(second).connInfo("127.0.0.1", layout.peerPgLinkPort(second), LabTls.REPLICATION_ROLE, "postgres"),
                    second.name(), Optional.empty());
            standby.start();
            progress.accept("databases created");
        }
        // Otherwise the agents start their databases in whatever role the arbiter assigns.
        registerProcesses(etcdBinary);
    }

    /**
     * Whether the agents reach the arbiter over HTTPS: with TLS, at the arbiter's HTTPS port or, with two replicas, at
     * the front's, which forwards over HTTPS to the replicas' (docs/adr/0011, decision 8).
     */
    private boolean arbiterHttps() {
        return tls != null;
    }

    /** A site's PostgreSQL serving TLS with its certificate, the other site's roles admitted with a certificate only. */
    private dev.twincloud.pgctl.PgTls.Server pgServerTls(SiteId site) {
        return new dev.twincloud.pgctl.PgTls.Server(tls.certificate(site + "-postgres"), tls.key(site + "-postgres"), tls.caCertificate(),
                LabTls.REPLICATION_ROLE, List.of(LabTls.REPLICATION_ROLE, LabTls.PEER_ROLE));
    }

    /** How {@code site} streams from the other site: verify-full, its replication certificate. */
    private dev.twincloud.pgctl.PgTls.Client replicationClient(SiteId site) {
        return new dev.twincloud.pgctl.PgTls.Client(tls.caCertificate(), tls.certificate(site + "-replication"), tls.key(site + "-replication"));
    }

    /** The agent's TLS settings: its database's certificate, and its certificates for the other site's database. */
    private List<String> agentTlsArgs(SiteId site) {
        if (tls == null) {
            return List.of();
        }
        String p = "--twincloud.agent.local.tls.";
        return List.of(p + "ca=" + tls.caCertificate(),
                p + "server-certificate=" + tls.certificate(site + "-postgres"), p + "server-key=" + tls.key(site + "-postgres"),
                p + "replication-certificate=" + tls.certificate(site + "-replication"), p + "replication-key=" + tls.key(site + "-replication"),
                p + "peer-certificate=" + tls.certificate(site + "-pg-agent"), p + "peer-key=" + tls.key(site + "-pg-agent"),
                p + "replication-role=" + LabTls.REPLICATION_ROLE, p + "peer-role=" + LabTls.PEER_ROLE);
    }

    /** The failsafe link: the agent's API over HTTPS with its certificate, the other agent trusted through the lab's CA. */
    private List<String> agentHttpsArgs(SiteId site) {
        List<String> args = new ArrayList<>(List.of(
                // the actuator on a plain listener of its own, as in a deployment (docs/adr/0008, decision 3)
                "--management.server.port=" + layout.agentManagementPort(site), "--management.server.address=127.0.0.1"));
        if (tls != null) {
            args.add("--management.server.ssl.enabled=false");
            args.addAll(tls.serverSslArgs(site + "-agent"));
        }
        return args;
    }

    /** The front's name: with two replicas, what listens on the arbiter's port and sends each request to the acting one. */
    public static final String FRONT = "arbiter-front";

    private void registerProcesses(Path etcdBinary) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Map<String, String> arbiterEnv = arbiterEnv(secrets);
        if (!settings.replicated()) {
            List<String> args = arbiterArgs(java, jar("arbiter"), settings, "arbiter", arbiterHttps() ? layout.arbiterTlsPort() : layout.arbiterPort(),
                    layout.arbiterState());
            if (arbiterHttps()) {
                // HTTPS for the agents (through their links), as a deployment serves them; plain on loopback for the lab's tools
                args.addAll(tls.serverSslArgs("arbiter"));
                args.add("--twincloud.arbiter.plain-port=" + layout.arbiterPort());
            }
            add("arbiter", args, arbiterEnv);
        } else {
            // registered first, so that they stop last: a replica that stops cleanly gives its etcd lease back
            for (ManagedProcess member : LabEtcd.processes(etcdBinary, layout)) {
                processes.put(member.name(), member);
            }
            for (int i = 1; i <= settings.arbiterReplicas(); i++) {
                add(replicaName(i), replicaArgs(java, jar("arbiter"), settings, tls, i), arbiterEnv);
            }
            add(FRONT, frontArgs(java, jar("edge"), settings, tls), Map.of());
        }
        for (SiteId site : LabLayout.SITES) {
            SiteId peer = LabLayout.peer(site);
            Map<String, String> env = new HashMap<>();
            env.put("TWINCLOUD_AGENT_TOKEN", secrets.agentToken());
            env.put("TWINCLOUD_PG_BINDIR", binaries.binDir().toString());
            add(site + "-agent", cmd(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                    tls == null ? List.of() : tls.trustStoreOptions(), // the other agent's HTTPS (the failsafe link)
                    app(java, "agent", site + "-agent"),
                    "--server.port=" + layout.agentPort(site),
                    "--twincloud.agent.site=" + site, "--twincloud.agent.peer=" + peer,
                    "--twincloud.agent.arbiter-url=" + (arbiterHttps() ? "https" : "http") + "://127.0.0.1:" + layout.arbiterLinkPort(site),
                    "--twincloud.agent.peer-agent-url=" + (tls == null ? "http" : "https") + "://127.0.0.1:" + layout.peerAgentLinkPort(site),
                    "--twincloud.agent.heartbeat-interval=" + settings.heartbeat().toMillis() + "ms",
                    "--twincloud.agent.local.data-dir=" + layout.pgData(site),
                    "--twincloud.agent.local.port=" + layout.pgPort(site),
                    "--twincloud.agent.local.peer-port=" + layout.peerPgLinkPort(site),
                    "--twincloud.agent.local.peer-data-dir=" + layout.pgData(peer),
                    "--twincloud.agent.local.cross-site-network=" + LinkSpec.sourceNetworkInto(site.toString()),
                    "--twincloud.agent.local.log-file=" + layout.logs().resolve(site + "-postgres.log"),
                    "--twincloud.agent.local.json-log=" + pgJsonLog(site),
                    // disk_free_bytes / disk_total_bytes of the data directory's file system (TwincloudDiskFilling)
                    "--management.metrics.system.diskspace.paths=" + layout.pgData(site),
                    "--twincloud.agent.local.settings.max_connections=60",
                    "--twincloud.agent.local.settings.track_commit_timestamp=on",
                    archiveSettings(site).entrySet().stream().map(e -> "--twincloud.agent.local.settings." + e.getKey() + "=" + e.getValue())
                            .toList(), agentTlsArgs(site), agentHttpsArgs(site)), env);
            // the database roles come by environment, as in a deployment (DATABASE_USER, DATABASE_MIGRATION_USER)
            Map<String, String> apiEnv = settings.dbRoles() == LabSettings.DbRoles.PRODUCTION
                    ? Map.of("DATABASE_USER", APP_ROLE, "DATABASE_PASSWORD", "",
                    "DATABASE_MIGRATION_USER", OWNER_ROLE, "DATABASE_MIGRATION_PASSWORD", "")
                    : Map.of("DATABASE_USER", "postgres", "DATABASE_PASSWORD", "");
            // the client compiler only, as every other JVM of the lab: half the CPU to start (5.3 s against 10.5 s,
            // docs/benchmarks.md), which two APIs starting beside a lab's other JVMs on two cores feel most; the
            // throughput of api/bench/run.sh is within its run-to-run spread of the tiered compilers'
            add(site + "-api", cmd(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx512m", app(java, "api", site + "-api"),
                    "--server.port=" + layout.apiPort(site), "--server.address=127.0.0.1",
                    "--twincloud.api.site=" + site, // the site field of its log lines
                    "--twincloud.embedded-postgres.enabled=false",
                    "--twincloud.api.require-lease=true",
                    // the writer health on a port and threads of its own: what the edge probes
                    "--twincloud.api.health.port=" + layout.apiHealthPort(site),
                    // refreshed twice per edge probe (100 ms): a new writer's UP reaches the edge sooner
                    "--twincloud.api.health.refresh-interval=50ms",
                    "--spring.datasource.url=jdbc:postgresql://127.0.0.1:" + layout.pgPort(site) + "/" + APP_DATABASE,
                    // fail fast (503) while the database is being stopped or promoted, instead of holding a
                    // request for the default 3 s: the client retries, and the edge moves it to the new writer
                    "--spring.datasource.hikari.connection-timeout=500", "--spring.datasource.hikari.validation-timeout=250",
                    "--spring.security.oauth2.resourceserver.jwt.public-key-location=file:" + layout.publicKeyPem(),
                    // its own site's agent's actuator (plain, loopback): the read lease (docs/design.md rule 10)
                    "--twincloud.api.reads.read-lease-url=http://127.0.0.1:" + layout.agentManagementPort(site) + "/actuator/readlease",
                    activeActiveApiArgs(site)), apiEnv);
        }
        var edgeArgs = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xmx256m", "-jar", jar("edge").toString(),
                "--port", Integer.toString(layout.edgePort()),
                "--profile", settings.edgeProfile().flag()));
        for (SiteId site : LabLayout.SITES) {
            edgeArgs.addAll(List.of("--backend", site + "=" + apiUrl(site), "--health-port", site + "=" + layout.apiHealthPort(site)));
        }
        add("edge", edgeArgs, Map.of());
        for (SiteId home : settings.activeActive() ? LabLayout.SITES : List.<SiteId>of()) {
            add(homeEntry(home), homeEntryArgs(java, jar("edge"), settings, home), Map.of());
        }
        if (settings.monitoring()) {
            LabMonitoring.find().ifPresent(bins -> {
                List<List<String>> cmds = LabMonitoring.configure(layout, settings.home(), bins, backups());
                add("prometheus", cmds.get(0), Map.of());
                add("alertmanager", cmds.get(1), Map.of());
            });
        }
    }

    /** Active-active: each API forwards what it cannot serve to the other site's API, through its cross-site link. */
    List<String> activeActiveApiArgs(SiteId site) {
        return activeActiveApiArgs(layout, settings.activeActive(), site);
    }

    static List<String> activeActiveApiArgs(LabLayout layout, boolean activeActive, SiteId site) {
        return activeActive ? List.of("--twincloud.api.forward.peer-url=http://127.0.0.1:" + layout.peerApiLinkPort(site)) : List.of();
    }

    /** The home entries' process names ({@code edge-gcp}, {@code edge-aws}) when active-active, else none. */
    public List<String> homeEntries() {
        return settings.activeActive() ? LabLayout.SITES.stream().map(Lab::homeEntry).toList() : List.of();
    }

    /** The process name of {@code site}'s users' edge entry: {@code edge-gcp}, {@code edge-aws}. */
    public static String homeEntry(SiteId site) {
        return "edge-" + site;
    }

    /**
     * The edge entry of {@code home}'s users (active-active): the edge with {@code --home}, probing each API's reader
     * health ({@code /actuator/health/reader}) on its health listener, same profile as the main entry.
     */
    static List<String> homeEntryArgs(String java, Path edgeJar, LabSettings settings, SiteId home) {
        LabLayout layout = settings.layout();
        List<String> args = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m",
                "-jar", edgeJar.toString(), "--port", Integer.toString(layout.homeEntryPort(home)),
                "--profile", settings.edgeProfile().flag(), "--home", home.name(),
                "--health-path", "/actuator/health/reader"));
        for (SiteId site : LabLayout.SITES) {
            args.addAll(List.of("--backend", site + "=http://127.0.0.1:" + layout.apiPort(site),
                    "--health-port", site + "=" + layout.apiHealthPort(site)));
        }
        return args;
    }

    /** The arbiter's tokens, as its environment. */
    static Map<String, String> arbiterEnv(LabSecrets secrets) {
        return Map.of("TWINCLOUD_AGENT_TOKEN", secrets.agentToken(), "TWINCLOUD_OPERATOR_TOKEN", secrets.operatorToken(),
                "TWINCLOUD_VIEWER_TOKEN", secrets.viewerToken());
    }

    private static List<String> arbiterArgs(String java, Path arbiterJar, LabSettings settings, String component, int port, Path stateDir) {
        List<String> args = new ArrayList<>(cmd(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                AppLaunch.args(java, arbiterJar, component),
                "--server.port=" + port, "--server.address=127.0.0.1",
                "--twincloud.arbiter.state-dir=" + stateDir,
                "--twincloud.arbiter.mode=" + settings.mode(),
                "--twincloud.arbiter.lease-ttl=" + settings.leaseTtl().toMillis() + "ms",
                "--twincloud.arbiter.margin=" + settings.margin().toMillis() + "ms"));
        if (settings.backupsOn()) {
            args.add("--twincloud.arbiter.switchover-timeout=" + BACKUPS_SWITCHOVER_TIMEOUT.toSeconds() + "s");
        }
        return args;
    }

    /**
     * The arbiter's switchover timeout (from the old writer's fence) in a lab that archives: PostgreSQL archives every
     * ready WAL file before a clean shutdown ends, and the lab's archive command (a Python process) took up to 9 s for
     * one segment on a busy 2-core machine — longer than the default {@link dev.twincloud.core.protocol.Timing#SWITCHOVER_TIMEOUT},
     * which aborted switchovers (FailoverBenchmark with backups on, 2026-12-01; docs/backups.md). CloudNativePG's
     * counterpart, {@code switchoverDelay}, defaults to an hour.
     */
    static final Duration BACKUPS_SWITCHOVER_TIMEOUT = Duration.ofSeconds(40);

    /**
     * Arbiter replica {@code i} of several: the etcd store on the lab's three members, elected in the same etcd
     * (identity {@code arbiter-i}, the lab's election timing), its own port and history directory. With {@code tls}
     * (null: off) it serves HTTPS with the {@code arbiter} certificate on {@link LabLayout#arbiterReplicaTlsPort}, for
     * the front, and plain HTTP on loopback on {@link LabLayout#arbiterReplicaPort} for the lab's tools, as the single
     * arbiter does.
     */
    static List<String> replicaArgs(String java, Path arbiterJar, LabSettings settings, LabTls tls, int i) {
        LabLayout layout = settings.layout();
        String name = replicaName(i);
        List<String> args = arbiterArgs(java, arbiterJar, settings, name,
                tls == null ? layout.arbiterReplicaPort(i) : layout.arbiterReplicaTlsPort(i), layout.arbiterReplicaState(i));
        if (tls != null) {
            args.addAll(tls.serverSslArgs("arbiter"));
            args.add("--twincloud.arbiter.plain-port=" + layout.arbiterReplicaPort(i));
        }
        args.addAll(List.of("--twincloud.arbiter.store=etcd",
                "--twincloud.arbiter.etcd.endpoints=" + LabEtcd.endpoints(layout),
                // a decision waits for its save: shorter than the lease ttl, as the arbiter requires
                "--twincloud.arbiter.etcd.timeout=" + Math.min(1000, settings.leaseTtl().toMillis() / 2) + "ms",
                "--twincloud.arbiter.leader-election.enabled=true",
                "--twincloud.arbiter.leader-election.identity=" + name,
                "--twincloud.arbiter.leader-election.lease-duration=" + LabSettings.ELECTION_LEASE_DURATION.toSeconds() + "s",
                "--twincloud.arbiter.leader-election.renew-deadline=" + LabSettings.ELECTION_RENEW_DEADLINE.toMillis() + "ms",
                "--twincloud.arbiter.leader-election.retry-period=" + LabSettings.ELECTION_RETRY_PERIOD.toMillis() + "ms"));
        return args;
    }

    /**
     * The front of two replicas: the edge's reverse proxy on the arbiter's port, health-checking each replica's
     * {@code /actuator/health/leader} (200 only on the acting one) every 100 ms, 1 success to route to a replica,
     * 3 failures to stop; no lab profile, so no last resort: with no replica acting it answers 503 itself.
     * Production puts a Service or load balancer in its place (docs/adr/0010). With {@code tls} (null: off) it also
     * serves HTTPS with the {@code arbiter} certificate on {@link LabLayout#arbiterTlsPort}, where the agents' links
     * end, and reaches the replicas (requests and health checks) over HTTPS, trusting the lab's CA alone and checking
     * their certificates' SANs; its plain port stays on loopback for the lab's tools (docs/adr/0011, decision 8).
     */
    static List<String> frontArgs(String java, Path edgeJar, LabSettings settings, LabTls tls) {
        LabLayout layout = settings.layout();
        List<String> args = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m",
                "-jar", edgeJar.toString(), "--port", Integer.toString(layout.arbiterPort()),
                "--health-path", "/actuator/health/leader", "--interval-ms", "100", "--timeout-ms", "100",
                "--healthy-threshold", "1", "--unhealthy-threshold", "3"));
        if (tls != null) {
            args.addAll(List.of("--tls-port", Integer.toString(layout.arbiterTlsPort()),
                    "--tls-certificate", tls.certificate("arbiter").toString(), "--tls-key", tls.key("arbiter").toString(),
                    "--backend-ca", tls.caCertificate().toString()));
        }
        for (int i = 1; i <= settings.arbiterReplicas(); i++) {
            args.addAll(List.of("--backend", replicaName(i) + "=" + (tls == null
                    ? "http://127.0.0.1:" + layout.arbiterReplicaPort(i) : "https://127.0.0.1:" + layout.arbiterReplicaTlsPort(i))));
        }
        return args;
    }

    /** {@code arbiter-1}, {@code arbiter-2} (with several replicas). */
    public static String replicaName(int i) {
        return "arbiter-" + i;
    }

    public String replicaUrl(int i) {
        return "http://127.0.0.1:" + layout.arbiterReplicaPort(i);
    }

    /** The arbiter's processes: {@code arbiter}, or {@code arbiter-1}, {@code arbiter-2}. */
    public List<String> arbiterReplicas() {
        if (!settings.replicated()) {
            return List.of("arbiter");
        }
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= settings.arbiterReplicas(); i++) {
            out.add(replicaName(i));
        }
        return out;
    }

    /** How to start one component of a Spring Boot app: see {@link AppLaunch}. */
    private List<String> app(String java, String module, String component) {
        return AppLaunch.args(java, jar(module), component);
    }

    /** A command line of strings and lists of strings, flattened (mutable). */
    private static List<String> cmd(Object... parts) {
        List<String> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof List<?> l) {
                l.forEach(x -> out.add((String) x));
            } else {
                out.add((String) p);
            }
        }
        return out;
    }

    /**
     * Every component logs JSON lines (Logstash shape) to its file, which {@code lab logs} merges (docs/logging.md):
     * the Spring Boot apps and the edge read the same variable.
     */
    private void add(String name, List<String> cmd, Map<String, String> env) {
        Map<String, String> withLogs = new HashMap<>(env);
        withLogs.put("LOGGING_STRUCTURED_FORMAT_CONSOLE", "logstash");
        processes.put(name, new ManagedProcess(name, cmd, withLogs, layout.logs().resolve(name + ".log")));
    }

    /** A site's PostgreSQL logs in jsonlog here (its plain {@code -postgres.log} keeps what comes before the collector). */
    private Path pgJsonLog(SiteId site) {
        return layout.logs().resolve(site + "-postgres.json");
    }

    private ManagedProcess process(String name) {
        ManagedProcess p = processes.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no lab component '" + name + "'; components: " + processes.keySet());
        }
        return p;
    }

    /** The runnable jar of an app module, built by {@code ./mvnw package}. */
    private Path jar(String module) {
        return jar(settings.home(), module);
    }

    /** The runnable jar of an app module in the checkout {@code home}, built by {@code ./mvnw package}. */
    static Path jar(Path home, String module) {
        Path target = home.resolve(module).resolve("target");
        try (Stream<Path> s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches("twincloud-" + module + "-.*-exec\\.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException(missingJar(home, module)));
        } catch (IOException e) {
            throw new IllegalStateException(missingJar(home, module), e);
        }
    }

    private static String missingJar(Path home, String module) {
        return "the " + module + " jar is not built in " + home.resolve(module).resolve("target")
                + ": run ./mvnw -DskipTests package (./twincloud does it for you)";
    }

    /** Waits for {@code url}, failing at once (with the log's tail) when a component it needs has died. */
    private void awaitWhileAlive(String what, String url, String token, java.util.function.Predicate<Http.Response> ok,
                                 String... components) {
        Http.await(what, url, token, READY, r -> {
            for (String c : components) {
                if (!process(c).isAlive()) {
                    throw new IllegalStateException(c + " exited while starting; the end of " + process(c).log() + ":\n"
                            + tail(process(c).log(), 15));
                }
            }
            return ok.test(r);
        });
    }

    private static String tail(Path log, int lines) {
        try (Stream<String> all = Files.lines(log)) {
            List<String> l = all.filter(x -> !x.startsWith("\tat ")).toList();
            return String.join("\n", l.subList(Math.max(0, l.size() - lines), l.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public String arbiterUrl() {
        return "http://127.0.0.1:" + layout.arbiterPort();
    }

    /** A site's agent's own status ({@code /v1/agent/status}): over HTTPS, trusting the lab's CA, when TLS is on. */
    public Http.Response agentStatus(SiteId site) throws IOException {
        String url = (tls == null ? "http" : "https") + "://127.0.0.1:" + layout.agentPort(site) + "/v1/agent/status";
        if (tls == null) {
            return Http.get(url, null);
        }
        var client = java.net.http.HttpClient.newBuilder().sslContext(tls.sslContext()).connectTimeout(Duration.ofSeconds(2)).build();
        try (client) {
            var r = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return new Http.Response(r.statusCode(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    public String apiUrl(SiteId site) {
        return "http://127.0.0.1:" + layout.apiPort(site);
    }

    // ------------------------------------------------------------------ faults

    /** Targets that name the replica acting now and etcd's raft leader now (two replicas only). */
    public static final String ACTING_ARBITER = "acting-arbiter";
    public static final String ETCD_LEADER = "etcd-leader";
    /** Every etcd member at once. */
    public static final String ETCD = "etcd";

    /** What faults may target in this lab, for messages and {@code --help}. */
    public String targets() {
        return settings.replicated()
                ? "gcp, aws, arbiter (both replicas), edge, acting-arbiter, arbiter-1, arbiter-2, arbiter-front, etcd (every member), "
                        + "etcd-leader, etcd-1, etcd-2, etcd-3"
                : "gcp, aws, arbiter or edge" + (settings.activeActive() ? " (or a home entry: edge-gcp, edge-aws)" : "");
    }

    /**
     * The processes a fault target names: a site's agent and API (its PostgreSQL apart), the arbiter (both
     * replicas when there are two; the front stays, as a load balancer would), the edge; with two replicas also
     * one replica, the front, one etcd member or all. {@code acting-arbiter} and {@code etcd-leader} are resolved
     * now when {@code now} (kill, freeze), else they mean every replica or member (start, thaw: whichever was hit).
     */
    private List<String> componentsOf(String target, boolean now) {
        if (settings.replicated()) {
            switch (target) {
                case "arbiter" -> {
                    return arbiterReplicas();
                }
                case ACTING_ARBITER -> {
                    return now ? List.of(actingArbiter().orElseThrow(() -> new IllegalStateException("no arbiter replica acts right now")))
                            : arbiterReplicas();
                }
                case ETCD -> {
                    return LabEtcd.names();
                }
                case ETCD_LEADER -> {
                    return now ? List.of(LabEtcd.name(LabEtcd.leader(layout).orElseThrow(
                            () -> new IllegalStateException("no etcd member says it is the leader right now")))) : LabEtcd.names();
                }
                default -> {
                    if (processes.containsKey(target) && (target.startsWith("arbiter-") || target.startsWith("etcd-"))) {
                        return List.of(target);
                    }
                }
            }
        } else if (List.of(ACTING_ARBITER, ETCD, ETCD_LEADER, FRONT).contains(target) || target.matches("(arbiter|etcd)-[0-9]+")) {
            throw new IllegalArgumentException("'" + target + "' needs a lab with two arbiter replicas (lab up --arbiter-replicas 2); "
                    + "this lab's targets: " + targets());
        }
        return switch (target) {
            case "arbiter", "edge" -> List.of(target);
            case "edge-gcp", "edge-aws" -> {
                if (!processes.containsKey(target)) {
                    throw new IllegalArgumentException("'" + target + "' needs an active-active lab (lab up --active-active); "
                            + "this lab's targets: " + targets());
                }
                yield List.of(target);
            }
            default -> {
                SiteId site = site(target);
                yield List.of(site + "-agent", site + "-api");
            }
        };
    }

    private SiteId site(String name) {
        SiteId s;
        try {
            s = SiteId.of(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown target '" + name + "': use " + targets());
        }
        if (!LabLayout.SITES.contains(s)) {
            throw new IllegalArgumentException("unknown target '" + name + "': use " + targets());
        }
        return s;
    }

    private static boolean isSite(String target) {
        return LabLayout.SITES.stream().anyMatch(s -> s.name().equals(target));
    }

    /**
     * The arbiter replica that acts now: the one whose {@code /actuator/health/leader} answers 200 within a
     * second (the first such, should two answer so for a moment); with one arbiter, {@code arbiter} while it
     * runs. Empty while none acts (a takeover under way, every replica down or frozen).
     */
    public Optional<String> actingArbiter() {
        if (!settings.replicated()) {
            return process("arbiter").isAlive() ? Optional.of("arbiter") : Optional.empty();
        }
        for (int i = 1; i <= settings.arbiterReplicas(); i++) {
            if (replicaRole(i).equals("acting")) {
                return Optional.of(replicaName(i));
            }
        }
        return Optional.empty();
    }

    /**
     * With two replicas: every etcd member healthy, one replica acting and the others standing by (live);
     * always true with one arbiter (its status answering is the caller's steady check).
     */
    public boolean arbiterReplicasReady() {
        if (!settings.replicated()) {
            return true;
        }
        for (int i = 1; i <= LabLayout.ETCD_MEMBERS; i++) {
            if (!process(LabEtcd.name(i)).isAlive() || !LabEtcd.health(layout, i).equals("healthy")) {
                return false;
            }
        }
        List<String> roles = new ArrayList<>();
        for (int i = 1; i <= settings.arbiterReplicas(); i++) {
            roles.add(replicaRole(i));
        }
        return roles.stream().filter("acting"::equals).count() == 1
                && roles.stream().allMatch(r -> r.equals("acting") || r.equals("standing by"));
    }

    /**
     * Every arbiter replica's history, merged and ordered by time: each replica appends the events it records
     * while it acts to its own {@code events.jsonl} (forced to disk), so after a takeover no single replica has
     * them all. Read from the files, which a replica standing by (503 to {@code /v1/events}) or a dead one still
     * has; a torn last line (a crash while appending) is skipped.
     */
    public List<tools.jackson.databind.JsonNode> replicaEvents() {
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= settings.arbiterReplicas(); i++) {
            files.add((settings.replicated() ? layout.arbiterReplicaState(i) : layout.arbiterState()).resolve("events.jsonl"));
        }
        return mergeEvents(files);
    }

    /** The events of several {@code events.jsonl} files (missing ones are empty), ordered by their time. */
    static List<tools.jackson.databind.JsonNode> mergeEvents(List<Path> files) {
        List<tools.jackson.databind.JsonNode> all = new ArrayList<>();
        for (Path file : files) {
            if (!Files.exists(file)) {
                continue;
            }
            try (Stream<String> lines = Files.lines(file)) {
                for (String line : lines.filter(l -> !l.isBlank()).toList()) {
                    try {
                        all.add(Http.JSON.readTree(line));
                    } catch (RuntimeException torn) {
                        // a crash while appending: the line is not an event
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                log.warn("cannot read {}: {}", file, e.toString());
            }
        }
        all.sort(java.util.Comparator.comparing(n -> parseInstant(n.path("at").asString(""))));
        return all;
    }

    private static java.time.Instant parseInstant(String at) {
        try {
            return java.time.Instant.parse(at);
        } catch (java.time.format.DateTimeParseException e) {
            return java.time.Instant.EPOCH;
        }
    }

    /** {@code acting}, {@code standing by}, {@code down} or {@code no answer} (frozen, starting, overloaded). */
    private String replicaRole(int i) {
        if (!process(replicaName(i)).isAlive()) {
            return "down";
        }
        try {
            int status = Http.get(replicaUrl(i) + "/actuator/health/leader", null, Duration.ofSeconds(1)).status();
            return status == 200 ? "acting" : status == 503 ? "standing by" : "no answer (HTTP " + status + ")";
        } catch (IOException e) {
            return "no answer";
        }
    }

    /**
     * Restarts the arbiter replicas one at a time, the acting one last (so the arbiter changes hands once): each
     * gets SIGTERM (the acting one records ARBITER_STOPPED and gives its etcd lease back, so the other takes
     * over at its next attempt), is started again, and the next waits until it is live and a replica acts
     * behind the front. What a rolling update of the replicas does; it must cost no write.
     *
     * @return one line per replica: what was done and how long it took
     */
    public List<String> rollingRestartArbiter() throws IOException {
        if (!settings.replicated()) {
            throw new IllegalArgumentException("a rolling restart needs a lab with two arbiter replicas (lab up --arbiter-replicas 2)");
        }
        List<String> order = new ArrayList<>(arbiterReplicas());
        Optional<String> acting = actingArbiter();
        acting.ifPresent(a -> {
            order.remove(a);
            order.add(a);
        });
        List<String> done = new ArrayList<>();
        for (String name : order) {
            long t0 = System.nanoTime();
            int i = Integer.parseInt(name.substring("arbiter-".length()));
            process(name).pid().ifPresent(pid -> Signals.send("CONT", Signals.tree(pid))); // a frozen one cannot stop
            process(name).stop();
            process(name).start();
            awaitWhileAlive(name + " live again", replicaUrl(i) + "/actuator/health/liveness", null, r -> r.status() == 200, name);
            awaitWhileAlive("an acting arbiter replica behind the front", arbiterUrl() + "/actuator/health/leader", null,
                    r -> r.status() == 200, name);
            String line = "%s restarted%s; %s acts (%.1f s)".formatted(name, acting.filter(name::equals).isPresent() ? " (it acted)" : "",
                    actingArbiter().orElse("a replica"), (System.nanoTime() - t0) / 1e9);
            log.info("rolling restart: {}", line);
            done.add(line);
        }
        return done;
    }

    /** SIGKILL every process of a site (PostgreSQL with its backends, agent, api), or the arbiter/edge. */
    public synchronized List<String> kill(String target) {
        List<String> done = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        List<String> components = componentsOf(target, true);
        for (String c : components) {
            process(c).pid().ifPresent(pid -> {
                pids.add(pid);
                done.add(c + " (pid " + pid + ")");
            });
        }
        if (isSite(target)) {
            Signals.postmaster(layout.pgData(site(target))).ifPresent(pid -> {
                pids.addAll(Signals.tree(pid));
                done.add(target + "-postgres (pid " + pid + ")");
            });
        }
        Signals.send("KILL", pids); // one kill(1) for the whole target: it dies at once, as a host would
        for (String c : components) {
            process(c).kill(); // reaps the JVMs (already dead)
        }
        log.info("killed {}", done);
        return done;
    }

    /**
     * SIGKILL one component only, e.g. {@code gcp-agent} (its database and API stay up), or
     * {@code gcp-postgres}: the postmaster process alone.
     */
    public synchronized void killComponent(String name) {
        if (name.endsWith("-postgres")) {
            String site = name.substring(0, name.length() - "-postgres".length());
            if (killPostmaster(site).isEmpty()) {
                throw new IllegalStateException("no postmaster is running on " + site);
            }
            return;
        }
        process(name).kill();
        log.info("killed {}", name);
    }

    /** SIGSTOP or SIGCONT one component, named {@code <site>-agent}, {@code <site>-api} or {@code <site>-postgres} (the postmaster alone). */
    public List<Long> pauseComponent(String name, boolean pause) {
        int dash = name.lastIndexOf('-');
        if (dash <= 0) {
            throw new IllegalArgumentException("name a component as <site>-agent, <site>-api or <site>-postgres, got '" + name + "'");
        }
        return pauseComponent(name.substring(0, dash), name.substring(dash + 1), pause);
    }

    /** Every process of a target now (a site: its agent, API and PostgreSQL with its backends), as {@link #signal} finds them. */
    public synchronized List<Long> pids(String target) {
        List<Long> pids = new ArrayList<>();
        for (String c : componentsOf(target, true)) {
            process(c).pid().ifPresent(pid -> pids.addAll(Signals.tree(pid)));
        }
        if (isSite(target)) {
            Signals.postmaster(layout.pgData(site(target))).ifPresent(pid -> pids.addAll(Signals.tree(pid)));
        }
        return pids.stream().distinct().toList();
    }

    /** SIGSTOP (freeze) or SIGCONT (thaw) every process of a target. */
    public synchronized List<Long> signal(String target, boolean freeze) {
        List<Long> pids = new ArrayList<>();
        for (String c : componentsOf(target, freeze)) {
            process(c).pid().ifPresent(pid -> pids.addAll(Signals.tree(pid)));
        }
        if (isSite(target)) {
            Signals.postmaster(layout.pgData(site(target))).ifPresent(pid -> pids.addAll(Signals.tree(pid)));
        }
        Signals.send(freeze ? "STOP" : "CONT", pids);
        log.info("{} {} ({} processes)", freeze ? "froze" : "thawed", target, pids.size());
        return pids;
    }

    /**
     * SIGSTOP ({@code pause}) or SIGCONT one component of a site only: {@code agent} or {@code api} (its
     * JVM), or {@code postgres}: the postmaster process alone, from {@code postmaster.pid} — not its
     * backends or auxiliary processes, which keep serving the connections they have (new connections
     * hang in the postmaster's listen queue).
     *
     * @return the pids signalled
     */
    public synchronized List<Long> pauseComponent(String site, String component, boolean pause) {
        SiteId s = site(site);
        List<Long> pids = new ArrayList<>();
        switch (component) {
            case "agent", "api" -> process(s + "-" + component).pid().ifPresent(pids::add);
            case "postgres" -> Signals.postmaster(layout.pgData(s)).ifPresent(pids::add);
            default -> throw new IllegalArgumentException("unknown component '" + component + "': use agent, api or postgres");
        }
        if (pids.isEmpty() && pause) {
            throw new IllegalStateException(site + "-" + component + " is not running");
        }
        Signals.send(pause ? "STOP" : "CONT", pids);
        log.info("{} {}-{} ({})", pause ? "paused" : "resumed", site, component, pids);
        return pids;
    }

    /** SIGKILL a site's postmaster process alone (its backends notice and exit); agent and API live. */
    public synchronized Optional<Long> killPostmaster(String site) {
        Optional<Long> pid = Signals.postmaster(layout.pgData(site(site)));
        pid.ifPresent(p -> Signals.send("KILL", List.of(p)));
        log.info("killed the postmaster of {} ({})", site, pid.map(String::valueOf).orElse("none running"));
        return pid;
    }

    public boolean postmasterRunning(String site) {
        return Signals.postmaster(layout.pgData(site(site))).isPresent();
    }

    /** SIGKILL a site's agent and start it again: on start it brings its database up in the role the arbiter assigns. */
    public synchronized void restartAgent(String site) throws IOException {
        killComponent(site(site) + "-agent");
        revive(site);
    }

    /** (Re)starts whatever of a target is not running; a site's agent starts its own database. */
    public synchronized List<String> revive(String target) throws IOException {
        List<String> started = new ArrayList<>();
        for (String c : componentsOf(target, false)) {
            if (!process(c).isAlive()) {
                process(c).start();
                started.add(c);
            }
        }
        if (started.contains(target + "-api")) {
            warmUpWhenStandby(site(target));
        }
        log.info("started {}", started);
        return started;
    }

    /**
     * {@code lab recover --store NAME} (docs/backups.md, "Both sites lost"): both sites are lost — neither database
     * runs nor has a data directory — and the system comes back from that one store: the store's site is restored
     * from its newest base backup and all the WAL there is ({@link Restore}, the same as {@code lab restore}),
     * recorded at the arbiter as a new epoch with it as the writer ({@code POST /v1/restored}), started, and the
     * other site re-cloned from it by its agent. Refused (nothing touched) when a site still has its database.
     */
    public synchronized Map<String, Object> recover(String storeName, String operator) throws IOException {
        if (barman == null) {
            throw new IllegalStateException("this lab has no object stores (backups are off): start it with "
                    + LabBackups.OFF_VARIABLE + "=on to archive WAL and recover from a store");
        }
        ObjectStore store = ObjectStore.of(storeName, layout);
        SiteId writer = store.site();
        SiteId other = LabLayout.peer(writer);
        for (SiteId s : LabLayout.SITES) {
            Path data = layout.pgData(s);
            boolean runs = Signals.postmaster(data).isPresent();
            if (runs || pg.get(s).isInitialized()) {
                throw new IllegalStateException("site " + s + " is not lost: its database " + (runs
                        ? "runs" : "is in " + data) + ". 'lab recover' rebuilds the system from one store only when both sites have "
                        + "lost their databases; nothing was changed (to rehearse it: 'lab kill gcp', 'lab kill aws', then delete "
                        + layout.pgData(LabLayout.SITES.get(0)) + " and " + layout.pgData(LabLayout.SITES.get(1)) + ")");
            }
        }
        long t0 = System.nanoTime();
        for (SiteId s : LabLayout.SITES) {
            kill(s.name()); // what of a lost site still runs (its agent, its API)
            Files.deleteIfExists(Replication.rejoinMarker(layout.pgData(s))); // its agent's unfinished re-join
        }
        progress.accept("recovering from store " + store.name() + ": restoring site " + writer + ", then re-cloning " + other);
        dev.twincloud.lab.backup.Restore.Restored restored = new dev.twincloud.lab.backup.Restore(barman, binaries,
                java.time.ZoneId.systemDefault(), progress).run(store, new dev.twincloud.lab.backup.Restore.Target.Latest(),
                layout.pgData(writer), layout.pgPort(writer));
        long restoredMs = (System.nanoTime() - t0) / 1_000_000;
        PostgresServer db = PostgresServer.builder(restored.dir()).binaries(binaries).port(restored.port()).stopOnJvmExit(false).build();
        db.stop(dev.twincloud.pgctl.StopMode.FAST);
        // The restore ran without archiving, hot standby or a peer: the site's own settings (its agent's) apply again.
        Map<String, String> restoreOnly = new HashMap<>();
        for (String key : List.of("restore_command", "recovery_target_timeline", "recovery_target_action", "archive_mode",
                "archive_command", "hot_standby", "synchronous_standby_names")) {
            restoreOnly.put(key, null);
        }
        db.editAutoConf(restoreOnly);
        // the new timeline's history file, made while archiving was off: archived once the site runs, or a later
        // restore from this store would stop where the timelines fork
        dev.twincloud.pgctl.WalArchiveStatus.markHistoryForArchiving(db);
        // PostgreSQL's own words on where recovery ended: "redo done at …" (and the last transaction's time)
        String point = restored.recoveryReport().stream().filter(l -> l.contains("redo done at") || l.contains("last completed transaction"))
                .map(l -> l.replaceFirst("^LOG:\\s+", "")).reduce((a, b) -> a + "; " + b).orElse("the end of the archive");
        String what = "store " + store.name() + " (archive " + store.server() + "), base backup " + restored.backup().id()
                + ", WAL to the end of the archive, timeline " + restored.timeline() + ": " + point;
        Http.Response r = Http.post(arbiterUrl() + "/v1/restored", secrets.operatorToken(),
                Http.JSON.writeValueAsString(new dev.twincloud.core.protocol.OperatorRequest.Restored(writer, what, operator)));
        if (r.status() != 202) {
            throw new IllegalStateException("the arbiter refused the restore of " + writer + " (HTTP " + r.status() + "): " + r.body()
                    + "; its database is restored in " + restored.dir() + " and stopped");
        }
        long epoch = r.json().path("epoch").asLong();
        progress.accept("restored " + writer + " from store " + store.name() + " in " + restoredMs + " ms (" + point + "); epoch " + epoch);
        revive(writer.name());
        awaitWhileAlive(writer + " writing in epoch " + epoch, arbiterUrl() + "/v1/status", secrets.operatorToken(), s -> {
            if (s.status() != 200) {
                return false;
            }
            ArbiterStatus st = s.as(ArbiterStatus.class);
            return st.epoch() == epoch && st.writer().equals(writer) && leaseHolder(s).filter(writer.name()::equals).isPresent();
        }, writer + "-agent");
        long writingMs = (System.nanoTime() - t0) / 1_000_000;
        progress.accept(writer + " writes again, " + writingMs + " ms after the recovery began; re-cloning " + other);
        revive(other.name());
        awaitWhileAlive(other + " re-cloned from " + writer + " and eligible", arbiterUrl() + "/v1/status", secrets.operatorToken(),
                s -> s.status() == 200 && s.as(ArbiterStatus.class).epoch() == epoch && s.as(ArbiterStatus.class).standbyEligible(),
                other + "-agent");
        long bothMs = (System.nanoTime() - t0) / 1_000_000;
        progress.accept(other + " follows " + writer + " and is eligible, " + bothMs + " ms after the recovery began");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("store", store.name());
        out.put("archive", store.server());
        out.put("baseBackup", restored.backup().id());
        out.put("recoveredTo", point);
        out.put("timeline", restored.timeline());
        out.put("rows", restored.rowCounts());
        out.put("writer", writer.name());
        out.put("epoch", epoch);
        out.put("restoredMs", restoredMs);
        out.put("writingMs", writingMs);
        out.put("standby", other.name());
        out.put("standbyEligibleMs", bothMs);
        out.put("next", "twincloud lab backup --store " + ObjectStore.ofSite(other, layout).name() + ": the re-cloned " + other
                + " archives under a new generation, which a restore from that store reads only once it holds a base backup");
        return out;
    }

    /** Copies the arbiter's durable state aside as {@code name} (for a drill that restarts it from an older copy). */
    public synchronized void saveArbiterState(String name) throws IOException {
        requireFileStore();
        Path saved = layout.root().resolve("arbiter-saved");
        Files.createDirectories(saved);
        Files.copy(layout.arbiterState().resolve("state.json"), saved.resolve(name + ".json"), StandardCopyOption.REPLACE_EXISTING);
        log.info("arbiter state saved as {}", name);
    }

    /**
     * SIGKILLs the arbiter, saves its current state as {@code keepAs}, puts the state saved as {@code name}
     * in its place and starts the arbiter again.
     */
    public synchronized void restartArbiterWithState(String name, String keepAs) throws IOException {
        requireFileStore();
        Path saved = layout.root().resolve("arbiter-saved").resolve(name + ".json");
        if (!Files.exists(saved)) {
            throw new IOException("no arbiter state saved as '" + name + "'");
        }
        kill("arbiter");
        Path state = layout.arbiterState().resolve("state.json");
        Files.copy(state, saved.resolveSibling(keepAs + ".json"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(saved, state, StandardCopyOption.REPLACE_EXISTING);
        revive("arbiter");
        log.info("arbiter restarted from the state saved as {} (its state before kept as {})", name, keepAs);
    }

    private void requireFileStore() {
        if (settings.replicated()) {
            throw new UnsupportedOperationException("the arbiter's state is in etcd in a lab with two replicas: "
                    + "saving and restoring state.json needs one arbiter (the file store)");
        }
    }

    /** Everything {@code restoreAll} of a drill thaws and starts again, etcd before the arbiter replicas. */
    public List<String> restoreTargets() {
        List<String> targets = new ArrayList<>(settings.replicated() ? List.of(ETCD, "arbiter", FRONT, "gcp", "aws", "edge")
                : List.of("arbiter", "gcp", "aws", "edge"));
        targets.addAll(homeEntries());
        return List.copyOf(targets);
    }

    public synchronized void startComponent(String name) throws IOException {
        process(name).start();
    }

    public List<LinkStatus> partition(String a, String b) {
        return links.partition(a, b);
    }

    /** Holds every byte between {@code a} and {@code b} (gcp, aws, arbiter) for {@code delay}; ZERO clears it. */
    public List<LinkStatus> delay(String a, String b, Duration delay) {
        return links.delay(a, b, delay);
    }

    /** The steady one-way latency from {@code from} to {@code to} (gcp, aws, arbiter); ZERO clears it. Heal keeps it. */
    public List<LinkStatus> latency(String from, String to, Duration oneWay) {
        return links.latency(from, to, oneWay);
    }

    /** Every link UP, with no delay (latencies stay). */
    public List<LinkStatus> heal() {
        return links.healAll();
    }

    public Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("root", layout.root().toString());
        s.put("entry", layout.entryUrl());
        Map<String, Object> procs = new LinkedHashMap<>();
        processes.forEach((n, p) -> procs.put(n, p.pid().map(pid -> (Object) pid).orElse("down")));
        for (SiteId site : LabLayout.SITES) {
            procs.put(site + "-postgres", Signals.postmaster(layout.pgData(site)).map(pid -> (Object) pid).orElse("down"));
        }
        s.put("processes", procs);
        if (monitoring()) {
            s.put("monitoring", Map.of("prometheus", layout.prometheusUrl(), "alertmanager", layout.alertmanagerUrl()));
        }
        s.put("links", links.status().stream().map(l -> l.name() + "=" + l.state()).toList());
        if (settings.activeActive()) {
            List<Map<String, Object>> entries = new ArrayList<>();
            for (SiteId site : LabLayout.SITES) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", homeEntry(site));
                e.put("url", layout.homeEntryUrl(site));
                e.put("home", site.name());
                String routed;
                try {
                    Http.Response r = Http.get(layout.homeEntryUrl(site) + "/_edge/status", null, Duration.ofSeconds(1));
                    routed = r.status() == 200 && !r.json().path("active").isNull() ? r.json().path("active").asString("none") : "none";
                } catch (IOException | RuntimeException ex) {
                    routed = "no answer";
                }
                e.put("routedTo", routed);
                entries.add(e);
            }
            s.put("homeEntries", entries);
        }
        if (settings.replicated()) {
            List<Map<String, Object>> replicas = new ArrayList<>();
            for (int i = 1; i <= settings.arbiterReplicas(); i++) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("name", replicaName(i));
                r.put("url", replicaUrl(i));
                r.put("role", replicaRole(i));
                replicas.add(r);
            }
            s.put("arbiterReplicas", replicas);
            String routed;
            try {
                Http.Response r = Http.get(arbiterUrl() + "/_edge/status", null, Duration.ofSeconds(1));
                routed = r.status() == 200 && !r.json().path("active").isNull() ? r.json().path("active").asString("none") : "none";
            } catch (IOException | RuntimeException e) {
                routed = "no answer";
            }
            s.put("arbiterFront", routed);
            Optional<Integer> leader = LabEtcd.leader(layout);
            List<Map<String, Object>> members = new ArrayList<>();
            for (int i = 1; i <= LabLayout.ETCD_MEMBERS; i++) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", LabEtcd.name(i));
                m.put("url", LabEtcd.clientUrl(layout, i));
                m.put("health", process(LabEtcd.name(i)).isAlive() ? LabEtcd.health(layout, i) : "down");
                m.put("leader", leader.equals(Optional.of(i)));
                members.add(m);
            }
            s.put("etcd", members);
        }
        return s;
    }

    /** Stops everything: the JVMs gracefully, then the databases (fast, then immediate). */
    @Override
    public synchronized void close() {
        List<ManagedProcess> reverse = new ArrayList<>(processes.values());
        java.util.Collections.reverse(reverse);
        for (ManagedProcess p : reverse) {
            if (p.name().startsWith("store-")) {
                continue; // after the databases: their last segments are archived as they stop
            }
            try {
                // a frozen process cannot act on SIGTERM
                p.pid().ifPresent(pid -> Signals.send("CONT", Signals.tree(pid)));
                p.stop();
            } catch (RuntimeException e) {
                log.warn("stopping {} failed: {}", p.name(), e.toString());
            }
        }
        for (SiteId site : LabLayout.SITES) {
            Signals.postmaster(layout.pgData(site)).ifPresent(pid -> Signals.send("CONT", Signals.tree(pid)));
            PostgresServer server = pg.get(site);
            if (server != null) {
                try {
                    server.stopEscalating(Duration.ofSeconds(20), Duration.ofSeconds(10));
                } catch (RuntimeException e) {
                    log.warn("stopping {} PostgreSQL failed: {}", site, e.toString());
                }
            }
        }
        for (ManagedProcess p : reverse) {
            if (p.name().startsWith("store-")) {
                try {
                    p.stop();
                } catch (RuntimeException e) {
                    log.warn("stopping {} failed: {}", p.name(), e.toString());
                }
            }
        }
        if (linkControl != null) {
            linkControl.close();
        }
        links.close();
    }
}
