package dev.twincloud.arbiter;

import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The arbiter's settings, {@code twincloud.arbiter.*}; defaults and environment variables are in
 * application.yml. Validated when bound: the arbiter does not start with an invalid or missing
 * setting, and says which.
 *
 * @param sites              the two sites (failure domains)
 * @param initialWriter      the writer of epoch 1, used only when no state file exists yet
 * @param mode               durability mode of a new state file (afterwards the stored mode wins)
 * @param leaseTtl           how long a write lease lasts, timed from the heartbeat's receipt
 * @param margin             extra wait past a lease's end before another site may write (clock drift)
 * @param reportTimeout      a site whose last heartbeat is older than this is not fresh
 * @param standbyLossTimeout sync mode: how long the writer may miss its standby before dropping to async
 * @param maxLagBytes        async mode: the largest lag with which a standby stays eligible
 * @param switchoverTimeout  a planned switchover not completed by then is aborted
 * @param tickInterval       how often the arbiter decides without a heartbeat (alerts, failover)
 * @param stateDir           where state.json and events.jsonl live
 * @param agentToken         bearer token of the agents (heartbeat, status)
 * @param operatorToken      bearer token of operators (status, switchover, promote, mode, events)
 */
@ConfigurationProperties("twincloud.arbiter")
public record ArbiterProperties(
        List<String> sites,
        String initialWriter,
        Durability mode,
        Duration leaseTtl,
        Duration margin,
        Duration reportTimeout,
        Duration standbyLossTimeout,
        DataSize maxLagBytes,
        Duration switchoverTimeout,
        Duration tickInterval,
        Path stateDir,
        String agentToken,
        String operatorToken) {

    public static final int MIN_TOKEN_LENGTH = 16;

    public ArbiterProperties {
        List<String> problems = new ArrayList<>();
        sites = sites == null ? List.of() : List.copyOf(sites);
        if (sites.size() != 2 || sites.get(0).equals(sites.get(1))) {
            problems.add("sites must name exactly two distinct sites (TWINCLOUD_SITES, e.g. gcp,aws), got " + sites);
        }
        for (String s : sites) {
            try {
                SiteId.of(s);
            } catch (IllegalArgumentException e) {
                problems.add("sites: " + e.getMessage());
            }
        }
        if (initialWriter == null || !sites.contains(initialWriter)) {
            problems.add("initial-writer must be one of " + sites + " (TWINCLOUD_INITIAL_WRITER), got '" + initialWriter + "'");
        }
        if (mode == null) {
            problems.add("mode must be SYNC or ASYNC (TWINCLOUD_MODE)");
        }
        positive(problems, "lease-ttl", leaseTtl);
        positive(problems, "report-timeout", reportTimeout);
        positive(problems, "standby-loss-timeout", standbyLossTimeout);
        positive(problems, "switchover-timeout", switchoverTimeout);
        positive(problems, "tick-interval", tickInterval);
        if (margin == null || margin.isNegative()) {
            problems.add("margin must be zero or positive, got " + margin);
        }
        if (maxLagBytes == null || maxLagBytes.isNegative()) {
            problems.add("max-lag-bytes must be zero or positive, got " + maxLagBytes);
        }
        if (stateDir == null || stateDir.toString().isBlank()) {
            problems.add("state-dir must be set (TWINCLOUD_STATE_DIR)");
        }
        token(problems, "agent-token", "TWINCLOUD_AGENT_TOKEN", agentToken);
        token(problems, "operator-token", "TWINCLOUD_OPERATOR_TOKEN", operatorToken);
        if (agentToken != null && !agentToken.isBlank() && agentToken.equals(operatorToken)) {
            problems.add("agent-token and operator-token must differ: an agent must not be able to act as an operator");
        }
        if (!problems.isEmpty()) {
            throw new StartupRefused("invalid settings under twincloud.arbiter:\n  - " + String.join("\n  - ", problems),
                    "Set the missing or invalid values (environment variables named above, or --twincloud.arbiter.<name>=...) and start again.");
        }
    }

    private static void positive(List<String> problems, String name, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            problems.add(name + " must be a positive duration (e.g. 500ms, 2s), got " + d);
        }
    }

    private static void token(List<String> problems, String name, String env, String value) {
        if (value == null || value.isBlank()) {
            problems.add(name + " is missing: set " + env + " (at least " + MIN_TOKEN_LENGTH + " characters)");
        } else if (value.length() < MIN_TOKEN_LENGTH) {
            problems.add(name + " is too short (" + value.length() + " characters): " + env + " needs at least "
                    + MIN_TOKEN_LENGTH);
        }
    }

    public List<SiteId> siteIds() {
        return sites.stream().map(SiteId::of).toList();
    }

    public SiteId initialWriterId() {
        return SiteId.of(initialWriter);
    }

    /** The core's view of these settings. */
    public ArbiterConfig toConfig() {
        return new ArbiterConfig(siteIds(), leaseTtl, margin, reportTimeout, standbyLossTimeout,
                maxLagBytes.toBytes(), switchoverTimeout);
    }

    /** Never print the tokens. */
    @Override
    public String toString() {
        return "ArbiterProperties[sites=" + sites + ", initialWriter=" + initialWriter + ", mode=" + mode
                + ", leaseTtl=" + leaseTtl + ", margin=" + margin + ", reportTimeout=" + reportTimeout
                + ", standbyLossTimeout=" + standbyLossTimeout + ", maxLagBytes=" + maxLagBytes
                + ", switchoverTimeout=" + switchoverTimeout + ", tickInterval=" + tickInterval
                + ", stateDir=" + stateDir + ", agentToken=***, operatorToken=***]";
    }
}
