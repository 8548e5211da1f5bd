package dev.twincloud.lab.supervisor;

import dev.twincloud.agent.app.AgentGauges;
import dev.twincloud.agent.app.AgentMetrics;
import dev.twincloud.agent.core.Agent;
import dev.twincloud.agent.core.Observation;
import dev.twincloud.agent.core.PostgresDriver;
import dev.twincloud.arbiter.service.ArbiterMetrics;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.ClusterState;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.fsm.TransitionTable;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.PromiseAnswer;
import dev.twincloud.core.protocol.PromiseRequest;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.edge.EdgeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the arbiter, an agent and the edge export at {@code /actuator/prometheus} and
 * {@code /_edge/metrics}, produced by their real meter classes in this JVM ({@link ArbiterMetrics},
 * {@link AgentMetrics} and {@link AgentGauges}, {@link EdgeMetrics}), with every lazily registered
 * meter touched once. The stand-in targets of {@link LabPrometheusTest}, and the names the dashboards
 * and rules may use ({@link DashboardQueriesTest}). Spring's own meters (JVM, HTTP server, disk space)
 * are not here: the end-to-end test checks those on a real lab.
 */
final class ComponentMetrics {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");

    private ComponentMetrics() {
    }

    /** The acting arbiter, gcp the writer in SYNC mode, standby eligible. */
    static String arbiter() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ArbiterMetrics metrics = new ArbiterMetrics(registry);
        ArbiterConfig config = ArbiterConfig.defaults(List.of(GCP, AWS));
        ClusterState state = ClusterState.loaded(DurableState.initial(GCP, Durability.SYNC), Instant.now(), config);
        metrics.bind(List.of(GCP, AWS), () -> state, () -> 0, () -> true);
        return registry.scrape();
    }

    /** An agent of {@code site} whose database is a primary with one streaming standby. */
    static String agent(SiteId site) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AgentMetrics metrics = new AgentMetrics(registry);
        Observation primary = new Observation(DbRole.PRIMARY, 42, 1, new Lsn(5_000_000), new Lsn(5_000_000),
                List.of(new ReplicaInfo(site.equals(GCP) ? "aws" : "gcp", "streaming", "sync", new Lsn(4_000_000),
                        new Lsn(3_000_000), Optional.of(12L))));
        PostgresDriver driver = (PostgresDriver) Proxy.newProxyInstance(PostgresDriver.class.getClassLoader(),
                new Class<?>[] {PostgresDriver.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "observe" -> primary;
                    case "toString" -> "stand-in driver";
                    case "hashCode" -> 0;
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        Agent agent = new Agent(site, driver, report -> {
            throw new java.io.IOException("no arbiter in this stand-in");
        }, List.of("public"), System::nanoTime, metrics);
        agent.tick(); // one reading of the database (the heartbeat fails: counted)
        new AgentGauges(agent, registry);
        // every lazily registered meter once
        var row = TransitionTable.ROWS.getFirst();
        metrics.heartbeatAnswered();
        metrics.transitioned(row, 1, "");
        metrics.leaseWritten(1, true);
        metrics.databaseRestarted(SiteState.PRIMARY_SYNC);
        metrics.writesRefused(1, false);
        metrics.promiseConsidered(new PromiseRequest(site, 1, Lsn.ZERO), PromiseAnswer.grant(1, 2500));
        metrics.actionFailed(row, "stand-in");
        return registry.scrape();
    }

    static String edge() {
        return new EdgeMetrics(List.of(GCP.name(), AWS.name())).prometheus();
    }

    /** Every component's exposition, by scrape job. */
    static Map<String, String> byJob() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("twincloud-arbiter", arbiter());
        m.put("twincloud-agent", agent(GCP));
        m.put("twincloud-edge", edge());
        return m;
    }

    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{|\\s)");

    /** The metric names of the samples in an exposition (histogram and summary series by their full names). */
    static Set<String> names(String exposition) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = SAMPLE.matcher(exposition);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
