package dev.twincloud.edge;

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
        int unhealthyThreshold) {

    public static final String USAGE = """
            Usage: java -jar twincloud-edge.jar [options]
              --port N                 port to listen on (0 = any free port; default 9000)
              --host ADDR              address to bind (default 127.0.0.1)
              --backend NAME=URL       a site, e.g. gcp=http://127.0.0.1:8081 (repeat; at least one)
              --health-path PATH       health endpoint probed on each backend (default /actuator/health/writer)
              --interval-ms N          time between probes of one backend (default 500)
              --timeout-ms N           probe timeout, <= interval; a timeout is a failure (default 400)
              --healthy-threshold N    consecutive successes to become healthy (default 2)
              --unhealthy-threshold N  consecutive failures to become unhealthy (default 2)
              --help                   print this and exit
            Admin endpoints on the same port: GET /_edge/status (JSON), GET /_edge/metrics (Prometheus).
            """;

    private static final Set<String> FLAGS = Set.of("--host", "--port", "--backend", "--health-path",
            "--interval-ms", "--timeout-ms", "--healthy-threshold", "--unhealthy-threshold");

    public EdgeConfig {
        Objects.requireNonNull(host, "host");
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
    }

    /** Worst-case time from a backend's failure until the edge stops sending it traffic. */
    public Duration detectionTime() {
        return interval.multipliedBy(unhealthyThreshold).plus(timeout);
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
        String healthPath = "/actuator/health/writer";
        long intervalMs = 500;
        long timeoutMs = 400;
        int healthy = 2;
        int unhealthy = 2;
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
                case "--health-path" -> healthPath = value;
                case "--interval-ms" -> intervalMs = intFlag(flag, value);
                case "--timeout-ms" -> timeoutMs = intFlag(flag, value);
                case "--healthy-threshold" -> healthy = intFlag(flag, value);
                case "--unhealthy-threshold" -> unhealthy = intFlag(flag, value);
                default -> throw new IllegalArgumentException("unknown flag: " + flag);
            }
        }
        return new EdgeConfig(host, port, backends, healthPath,
                Duration.ofMillis(intervalMs), Duration.ofMillis(timeoutMs), healthy, unhealthy);
    }

    private static int intFlag(String flag, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs an integer, got: " + value);
        }
    }
}
