package dev.twincloud.edge;

import java.time.Clock;
import java.util.List;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge as a component: a Jetty server (proxy + admin endpoints) and the health checker. Tests and
 * the lab can embed it; {@link EdgeMain} runs it as a process.
 */
public final class EdgeServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EdgeServer.class);

    private final EdgeConfig config;
    private final EdgeMetrics metrics;
    private final BackendPool pool;
    private final Prober prober;
    private final HealthChecker checker;
    private final Server server;
    private final ServerConnector connector;
    /** The HTTPS listener ({@code --tls-port}), or null. */
    private final ServerConnector tlsConnector;

    public EdgeServer(EdgeConfig config) {
        this(config, new HttpProber(config.healthPath(), config.timeout(), EdgeTls.client(config.backendCa())), Clock.systemUTC());
    }

    /** With an injected prober and clock, for tests. */
    public EdgeServer(EdgeConfig config, Prober prober, Clock clock) {
        this.config = config;
        this.metrics = new EdgeMetrics(config.backends().stream().map(Backend::name).toList());
        this.pool = new BackendPool(config.backends(), config.healthyThreshold(), config.unhealthyThreshold(),
                config.definitiveDownAtOnce(), config.home(), metrics, clock);
        metrics.healthFrom(name -> pool.status().stream().anyMatch(st -> st.healthy() && st.backend().name().equals(name)));
        this.prober = prober;
        this.checker = new HealthChecker(pool, prober, config.interval(), config.noneHealthyInterval());

        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("edge");
        // Requests block nowhere in the edge, but virtual threads keep the footprint small in the lab.
        threads.setVirtualThreadsExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        this.server = new Server(threads);
        this.connector = new ServerConnector(server);
        connector.setHost(config.host());
        connector.setPort(config.port());
        server.addConnector(connector);
        if (config.tls() != null) {
            // HTTPS on a port of its own, same handler: the arbiter front's side towards the agents' links (docs/adr/0011)
            HttpConfiguration https = new HttpConfiguration();
            https.addCustomizer(new SecureRequestCustomizer(false)); // one certificate: no SNI host check to make
            this.tlsConnector = new ServerConnector(server, EdgeTls.server(config.tls()), new HttpConnectionFactory(https));
            tlsConnector.setHost(config.host());
            tlsConnector.setPort(config.tls().port());
            server.addConnector(tlsConnector);
        } else {
            this.tlsConnector = null;
        }
        server.setHandler(new EdgeHandler(pool, metrics, new SiteProxy(EdgeTls.client(config.backendCa()))));
        server.setStopTimeout(2_000);
    }

    public EdgeServer start() throws Exception {
        server.start();
        checker.start();
        log.info("edge listening on http://{}:{}{} for {}{}; profile {}: health {} every {} ms, timeout {} ms, "
                        + "({} ms while none is healthy), thresholds {}/{}, a definitive \"not the writer\" {}; worst-case detection {} ms "
                        + "({} ms when the site answers \"not the writer\"), adoption {} ms",
                config.host(), port(), tlsConnector == null ? "" : " and https://" + config.host() + ":" + tlsPort(),
                describe(config.backends()),
                config.homeMode() ? ", home " + config.home() + " (every request there while its health is UP)" : "",
                config.profile().flag(), config.healthPath(),
                config.interval().toMillis(), config.timeout().toMillis(), config.noneHealthyInterval().toMillis(),
                config.healthyThreshold(),
                config.unhealthyThreshold(), config.definitiveDownAtOnce() ? "drops a site at once" : "counts as one failure",
                config.detectionTime().toMillis(), config.definitiveDetectionTime().toMillis(),
                config.adoptionTime().toMillis());
        return this;
    }

    /** The bound port (useful with {@code --port 0}). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The bound HTTPS port ({@code --tls-port}), or -1 without TLS. */
    public int tlsPort() {
        return tlsConnector == null ? -1 : tlsConnector.getLocalPort();
    }

    public BackendPool pool() {
        return pool;
    }

    public EdgeMetrics metrics() {
        return metrics;
    }

    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() throws Exception {
        checker.close();
        server.stop();
        if (prober instanceof AutoCloseable c) {
            c.close();
        }
    }

    private static String describe(List<Backend> backends) {
        return backends.stream().map(b -> b.name() + "=" + b.url()
                + (b.healthPort() > 0 ? " (health port " + b.healthPort() + ")" : "")).toList().toString();
    }
}
