package dev.twincloud.edge;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the edge needs, with the same knobs a cloud load balancer's health check has
 * (interval, timeout, healthy/unhealthy thresholds). Built from CLI flags by {@link #parse}.
 */
public record EdgeConfig(
        String host,
        int port,
        List<Backend> backends,
        String healthPath,
        Duration interval,
        Duration timeout,
        int healthyThreshold,
        int unhealthyThreshold,
        Profile profile,
        boolean definitiveDownAtOnce,
        String home,
        ServerTls tls,
        Path backendCa) {

    /**
     * HTTPS on a second port ({@code --tls-port}), with a PEM certificate chain and its PKCS#8 PEM key; {@code --port}
     * keeps serving plain HTTP (the lab's arbiter front: HTTPS for the agents' links, plain on loopback for its tools).
     */
    public record ServerTls(int port, Path certificate, Path key) {
        public ServerTls {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--tls-port must be 0..65535, got " + port);
            }
            readable("--tls-certificate", certificate);
            readable("--tls-key", key);
        }
    }

    private static void readable(String flag, Path file) {
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(flag + ": no readable file " + file);
        }
    }

    /** The health path a home entry ({@code --home}) probes unless told otherwise: can the site serve reads itself. */
    public static final String READER_HEALTH_PATH = "/actuator/health/reader";

    /**
     * Named health-check settings ({@code --profile}); explicit flags override each value.
     *
     * <ul>
     *   <li>{@code lab}: the lab's fast checks — every 100 ms, 80 ms timeout, 1 success to adopt, 2
     *       failures to drop — and a definitive "not the writer" drops a backend at once; while no
     *       backend is healthy it probes every 10 ms, so a new writer is found as soon as it is one (the
     *       lab's stand-in for being told of it — no cloud load balancer can).</li>
     *   <li>{@code cloud}: exactly the GCP global load balancer's health check that deploy/terraform
     *       configures — every 1 s, 1 s timeout, healthy threshold 1, unhealthy threshold 2 — and, like
     *       GCP, every failed probe counts the same (an LB cannot tell "not the writer" from "slow").</li>
     *   <li>{@code default} (no {@code --profile}): the edge's historical defaults, 500 ms / 400 ms /
     *       2 / 2, every failure counts the same.</li>
     * </ul>
     */
    public enum Profile {
        DEFAULT(500, 400, 2, 2, false, 500),
        LAB(100, 80, 1, 2, true, 10),
        CLOUD(1000, 1000, 1, 2, false, 1000);

        public final long intervalMs;
        /** Time between probes of one backend while no backend is healthy (at most the interval). */
        public final long noneHealthyIntervalMs;
        public final long timeoutMs;
        public final int healthyThreshold;
        public final int unhealthyThreshold;
        public final boolean definitiveDownAtOnce;

        Profile(long intervalMs, long timeoutMs, int healthy, int unhealthy, boolean definitiveDownAtOnce,
                long noneHealthyIntervalMs) {
            this.intervalMs = intervalMs;
            this.noneHealthyIntervalMs = noneHealthyIntervalMs;
            this.timeoutMs = timeoutMs;
            this.healthyThreshold = healthy;
            this.unhealthyThreshold = unhealthy;
            this.definitiveDownAtOnce = definitiveDownAtOnce;
        }

        /** The flag's spelling: {@code lab}, {@code cloud}, {@code default}. */
        public String flag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Parses {@code lab} / {@code cloud} (case-insensitive), with an error that lists the choices. */
        public static Profile parse(String value) {
            String v = value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT);
            return switch (v) {
                case "lab" -> LAB;
                case "cloud" -> CLOUD;
                default -> throw new IllegalArgumentException("--profile must be lab or cloud, got: " + value);
            };
        }
    }

    public static final String USAGE = """
            Usage: java -jar twincloud-edge.jar [options]
              --port N                 port to listen on (0 = any free port; default 9000)
              --host ADDR              address to bind (default 127.0.0.1)
              --backend NAME=URL       a site, e.g. gcp=http://127.0.0.1:8081 (repeat; at least one); an
                                       https:// URL is reached over TLS, its certificate checked (chain and host)
              --backend-ca FILE        PEM CA certificate(s) the https:// backends' certificates must chain to
                                       (default: the JVM's trust store, javax.net.ssl.trustStore)
              --health-port NAME=PORT  probe site NAME's health on this port of its host instead of its URL, in
                                       plain HTTP (the API's own health listener, twincloud.api.health.port; repeat)
              --health-path PATH       health endpoint probed on each backend (default /actuator/health/writer;
                                       /actuator/health/reader with --home)
              --home NAME              home mode (read-local, docs/edge.md): every request (reads and writes) goes to
                                       backend NAME while its health is UP, to another healthy backend only while
                                       NAME's is DOWN, back to NAME as soon as it is UP again; probes the reader
                                       health unless --health-path says otherwise. Without it: follow the writer
              --profile lab|cloud      health-check settings: lab = 100 ms / 80 ms / 1 / 2, a definitive
                                       "not the writer" (503 + Twincloud-Writer: not-writer) drops a site at
                                       once, and while no site is healthy it probes every 10 ms; cloud =
                                       1000 ms / 1000 ms / 1 / 2 like the GCP load balancer, every failure
                                       counts the same. The flags below override it.
              --interval-ms N          time between probes of one backend (default 500)
              --timeout-ms N           probe timeout, <= interval; a timeout is a failure (default 400)
              --healthy-threshold N    consecutive successes to become healthy (default 2)
              --unhealthy-threshold N  consecutive failures to become unhealthy (default 2)
              --tls-port N             also serve HTTPS on this port (0 = any free port), with the two below;
                                       --port stays plain HTTP
              --tls-certificate FILE   PEM certificate chain served on --tls-port
              --tls-key FILE           its PKCS#8 PEM private key (BEGIN PRIVATE KEY; EC, RSA or Ed25519)
              --help                   print this and exit
            Admin endpoints on the same port(s): GET /_edge/status (JSON), GET /_edge/metrics (Prometheus).
            Answers the edge makes itself (503 no healthy backend, 502/504 proxy errors) carry Twincloud-Edge.
            Every proxied request gets an X-Request-Id (the client's if 1-48 of A-Z a-z 0-9 . _ : -, else a new UUID),
            sent to the site and returned; one access line per request. Logs go to stdout as text, or as JSON lines
            with LOGGING_STRUCTURED_FORMAT_CONSOLE=logstash; TWINCLOUD_EDGE_LOG_LEVEL sets the level (INFO).
            """;

    private static final Set<String> FLAGS = Set.of("--host", "--port", "--backend", "--health-path",
            "--interval-ms", "--timeout-ms", "--healthy-threshold", "--unhealthy-threshold", "--profile",
            "--health-port", "--home", "--tls-port", "--tls-certificate", "--tls-key", "--backend-ca");

    /** Without a profile: the historical defaults, every failure counts the same. */
    public EdgeConfig(String host, int port, List<Backend> backends, String healthPath, Duration interval,
                      Duration timeout, int healthyThreshold, int unhealthyThreshold) {
        this(host, port, backends, healthPath, interval, timeout, healthyThreshold, unhealthyThreshold,
                Profile.DEFAULT, false);
    }

    /** Following the writer (no home). */
    public EdgeConfig(String host, int port, List<Backend> backends, String healthPath, Duration interval,
                      Duration timeout, int healthyThreshold, int unhealthyThreshold, Profile profile,
                      boolean definitiveDownAtOnce) {
        this(host, port, backends, healthPath, interval, timeout, healthyThreshold, unhealthyThreshold, profile,
                definitiveDownAtOnce, null, null, null);
    }

    /** This configuration in home mode: every request to {@code home} while it is healthy (see {@link BackendPool}). */
    public EdgeConfig withHome(String home) {
        return new EdgeConfig(host, port, backends, healthPath, interval, timeout, healthyThreshold, unhealthyThreshold,
                profile, definitiveDownAtOnce, home, tls, backendCa);
    }

    /** Whether this edge is a home entry ({@code --home}) rather than following the writer. */
    public boolean homeMode() {
        return home != null;
    }

    public EdgeConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(profile, "profile");
        backends = List.copyOf(backends);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        }
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("at least one --backend NAME=URL is required");
        }
        Set<String> names = new HashSet<>();
        for (Backend b : backends) {
            if (!names.add(b.name())) {
                throw new IllegalArgumentException("duplicate backend name: " + b.name());
            }
        }
        if (healthPath == null || !healthPath.startsWith("/")) {
            throw new IllegalArgumentException("--health-path must start with '/', got " + healthPath);
        }
        if (interval.toMillis() < 10) {
            throw new IllegalArgumentException("--interval-ms must be >= 10");
        }
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException("--timeout-ms must be >= 1");
        }
        // Same rule as GCP health checks: a probe must end before the next one is due.
        if (timeout.compareTo(interval) > 0) {
            throw new IllegalArgumentException("--timeout-ms must be <= --interval-ms");
        }
        if (healthyThreshold < 1 || unhealthyThreshold < 1) {
            throw new IllegalArgumentException("thresholds must be >= 1");
        }
        if (tls != null && tls.port() != 0 && tls.port() == port) {
            throw new IllegalArgumentException("--tls-port must differ from --port (" + port + ")");
        }
        if (backendCa != null) {
            readable("--backend-ca", backendCa);
        }
        if (home != null && backends.stream().noneMatch(b -> b.name().equals(home))) {
            throw new IllegalArgumentException("--home names no --backend: " + home + " (backends: "
                    + backends.stream().map(Backend::name).toList() + ")");
        }
    }

    /** Time between probes of one backend while no backend is healthy: the profile's, never more than {@link #interval}. */
    public Duration noneHealthyInterval() {
        Duration fast = Duration.ofMillis(profile.noneHealthyIntervalMs);
        return fast.compareTo(interval) < 0 ? fast : interval;
    }

    /** Worst-case time from a backend's failure until the edge stops sending it traffic. */
    public Duration detectionTime() {
        return interval.multipliedBy(unhealthyThreshold).plus(timeout);
    }

    /**
     * Worst-case time from a backend answering "not the writer" (a definitive 503) until the edge stops
     * sending it traffic: one interval plus one probe's round trip (bounded by the timeout) with
     * {@link #definitiveDownAtOnce}; otherwise the threshold applies, but every probe fails fast:
     * {@code U·I} plus one probe's round trip.
     */
    public Duration definitiveDetectionTime() {
        return (definitiveDownAtOnce ? interval : interval.multipliedBy(unhealthyThreshold)).plus(timeout);
    }

    /** Worst-case time from a backend's health turning UP until the edge sends it traffic: {@code H·I} plus one probe. */
    public Duration adoptionTime() {
        return interval.multipliedBy(healthyThreshold).plus(timeout);
    }

    /** Thrown for {@code --help}: not an error, the caller prints {@link #USAGE} and exits 0. */
    public static final class HelpRequested extends RuntimeException {
        public HelpRequested() {
            super("help", null, false, false);
        }
    }

    /**
     * Parses CLI flags ({@code --flag value} or {@code --flag=value}).
     *
     * @throws IllegalArgumentException with a message fit for the user on any bad flag
     * @throws HelpRequested            on {@code --help} / {@code -h}
     */
    public static EdgeConfig parse(String... args) {
        String host = "127.0.0.1";
        int port = 9000;
        List<Backend> backends = new ArrayList<>();
        String healthPath = null;
        String home = null;
        Integer tlsPort = null;
        Path tlsCertificate = null;
        Path tlsKey = null;
        Path backendCa = null;
        Profile profile = Profile.DEFAULT;
        Long intervalMs = null;
        Long timeoutMs = null;
        Integer healthy = null;
        Integer unhealthy = null;
        java.util.Map<String, Integer> healthPorts = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                throw new HelpRequested();
            }
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + arg);
            }
            String flag = arg;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                flag = arg.substring(0, eq);
            }
            if (!FLAGS.contains(flag)) {
                throw new IllegalArgumentException("unknown flag: " + flag);
            }
            if (eq > 0) {
                value = arg.substring(eq + 1);
            } else {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                value = args[++i];
            }
            switch (flag) {
                case "--host" -> host = value;
                case "--port" -> port = intFlag(flag, value);
                case "--backend" -> backends.add(Backend.parse(value));
                case "--backend-ca" -> backendCa = Path.of(value);
                case "--tls-port" -> tlsPort = intFlag(flag, value);
                case "--tls-certificate" -> tlsCertificate = Path.of(value);
                case "--tls-key" -> tlsKey = Path.of(value);
                case "--health-path" -> healthPath = value;
                case "--home" -> {
                    if (home != null) {
                        throw new IllegalArgumentException("--home given twice");
                    }
                    home = value.trim();
                }
                case "--interval-ms" -> intervalMs = (long) intFlag(flag, value);
                case "--timeout-ms" -> timeoutMs = (long) intFlag(flag, value);
                case "--profile" -> profile = Profile.parse(value);
                case "--health-port" -> {
                    int eqAt = value.indexOf('=');
                    if (eqAt <= 0 || eqAt == value.length() - 1) {
                        throw new IllegalArgumentException("--health-port must be NAME=PORT, got: " + value);
                    }
                    String name = value.substring(0, eqAt);
                    int hp = intFlag(flag, value.substring(eqAt + 1));
                    if (hp < 1 || hp > 65535) {
                        throw new IllegalArgumentException("--health-port must be NAME=PORT with PORT 1..65535, got: " + value);
                    }
                    if (healthPorts.put(name, hp) != null) {
                        throw new IllegalArgumentException("--health-port given twice for backend " + name);
                    }
                }
                case "--healthy-threshold" -> healthy = intFlag(flag, value);
                case "--unhealthy-threshold" -> unhealthy = intFlag(flag, value);
                default -> throw new IllegalArgumentException("unknown flag: " + flag);
            }
        }
        for (String name : healthPorts.keySet()) {
            if (backends.stream().noneMatch(b -> b.name().equals(name))) {
                throw new IllegalArgumentException("--health-port names no --backend: " + name);
            }
        }
        List<Backend> withPorts = backends.stream()
                .map(b -> healthPorts.containsKey(b.name()) ? b.withHealthPort(healthPorts.get(b.name())) : b)
                .toList();
        if ((tlsPort == null) != (tlsCertificate == null) || (tlsPort == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-port, --tls-certificate and --tls-key go together (all three or none)");
        }
        if (healthPath == null) {
            healthPath = home != null ? READER_HEALTH_PATH : "/actuator/health/writer";
        }
        return new EdgeConfig(host, port, withPorts, healthPath,
                Duration.ofMillis(intervalMs != null ? intervalMs : profile.intervalMs),
                Duration.ofMillis(timeoutMs != null ? timeoutMs : profile.timeoutMs),
                healthy != null ? healthy : profile.healthyThreshold,
                unhealthy != null ? unhealthy : profile.unhealthyThreshold,
                profile, profile.definitiveDownAtOnce, home,
                tlsPort == null ? null : new ServerTls(tlsPort, tlsCertificate, tlsKey), backendCa);
    }

    private static int intFlag(String flag, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs an integer, got: " + value);
        }
    }
}
