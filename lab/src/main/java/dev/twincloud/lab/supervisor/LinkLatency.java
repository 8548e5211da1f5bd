package dev.twincloud.lab.supervisor;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lab's steady link latencies ("the price of distance"), one way per direction between the
 * endpoints {@code gcp}, {@code aws} and {@code arbiter}, keyed {@code from->to}. Parsed from
 * {@code lab up --link-latency-ms N} (every direction of every pair) and {@code --link-latency SPEC}:
 * {@code A-B=MS} (both ways between A and B) or {@code A->B=MS} (A to B only); later specs win.
 */
public final class LinkLatency {
    public static final List<String> ENDPOINTS = List.of("gcp", "aws", "arbiter");
    public static final long MAX_MS = 600_000;

    private LinkLatency() {
    }

    /** Every direction of every pair at {@code ms} (none when {@code ms} is 0), then {@code specs} on top. */
    public static Map<String, Duration> parse(long allMs, List<String> specs) {
        checkMs(allMs, "--link-latency-ms");
        Map<String, Duration> out = new LinkedHashMap<>();
        if (allMs > 0) {
            for (String a : ENDPOINTS) {
                for (String b : ENDPOINTS) {
                    if (!a.equals(b)) {
                        out.put(a + "->" + b, Duration.ofMillis(allMs));
                    }
                }
            }
        }
        for (String spec : specs == null ? List.<String>of() : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("a link latency looks like gcp-aws=10 or gcp->aws=10, got '" + spec + "'");
            }
            String pair = spec.substring(0, eq).trim();
            long ms;
            try {
                ms = Long.parseLong(spec.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the latency of '" + spec + "' must be whole milliseconds");
            }
            checkMs(ms, spec);
            boolean oneWay = pair.contains("->");
            String[] ends = oneWay ? pair.split("->", -1) : pair.split("-", -1);
            if (ends.length != 2 || !ENDPOINTS.contains(ends[0]) || !ENDPOINTS.contains(ends[1]) || ends[0].equals(ends[1])) {
                throw new IllegalArgumentException("'" + pair + "' must name two of " + ENDPOINTS + " as A-B or A->B");
            }
            out.put(ends[0] + "->" + ends[1], Duration.ofMillis(ms));
            if (!oneWay) {
                out.put(ends[1] + "->" + ends[0], Duration.ofMillis(ms));
            }
        }
        out.values().removeIf(Duration::isZero);
        return out;
    }

    /** The command-line specs that give {@code latency} again (for a detached lab). */
    public static List<String> toSpecs(Map<String, Duration> latency) {
        return new java.util.TreeMap<>(latency).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().toMillis()).toList();
    }

    static void checkMs(long ms, String what) {
        if (ms < 0 || ms > MAX_MS) {
            throw new IllegalArgumentException(what + ": a latency must be between 0 and " + MAX_MS + " ms, got " + ms);
        }
    }
}
