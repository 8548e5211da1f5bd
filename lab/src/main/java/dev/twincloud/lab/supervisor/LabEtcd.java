package dev.twincloud.lab.supervisor;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import tools.jackson.databind.JsonNode;

/**
 * The three-member etcd of a lab with two arbiter replicas: real {@code etcd} processes (Debian's
 * {@code etcd-server}) on loopback, each its own {@link ManagedProcess} named {@code etcd-1..3} so that one
 * can be killed, frozen or started on its own. Member {@code i} serves clients on
 * {@link LabLayout#etcdClientPort(int)}, peers on {@link LabLayout#etcdPeerPort(int)}, and keeps its data
 * in {@link LabLayout#etcdData(int)}. A member whose data directory exists joins with what it holds (etcd
 * ignores the initial-cluster flags then), so {@code lab up} on an existing root and {@code lab start etcd-2}
 * both restart members in place.
 */
public final class LabEtcd {
    /** Where the binary is looked for first (a path to {@code etcd}). */
    public static final String BINARY_ENV = "TWINCLOUD_ETCD";

    public static final String MISSING = "two arbiter replicas need etcd, and no etcd binary was found (set " + BINARY_ENV
            + ", put etcd on the PATH, or on Debian: apt-get install etcd-server)";

    private LabEtcd() {
    }

    /** {@code etcd-1} .. {@code etcd-3}. */
    public static String name(int member) {
        return "etcd-" + member;
    }

    public static List<String> names() {
        return IntStream.rangeClosed(1, LabLayout.ETCD_MEMBERS).mapToObj(LabEtcd::name).toList();
    }

    /** The etcd binary: {@value #BINARY_ENV}, else the PATH, else {@code /usr/bin/etcd}. */
    public static Optional<Path> binary() {
        String explicit = System.getenv(BINARY_ENV);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/bin");
        return dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d, "etcd")).filter(Files::isExecutable).findFirst();
    }

    public static String clientUrl(LabLayout layout, int member) {
        return "http://127.0.0.1:" + layout.etcdClientPort(member);
    }

    /** Every member's client URL, comma-separated: the arbiters' {@code etcd.endpoints}. */
    public static String endpoints(LabLayout layout) {
        return IntStream.rangeClosed(1, LabLayout.ETCD_MEMBERS).mapToObj(i -> clientUrl(layout, i)).collect(Collectors.joining(","));
    }

    /** The command line of member {@code i}. */
    public static List<String> command(Path binary, LabLayout layout, int i) {
        String cluster = IntStream.rangeClosed(1, LabLayout.ETCD_MEMBERS)
                .mapToObj(m -> name(m) + "=http://127.0.0.1:" + layout.etcdPeerPort(m)).collect(Collectors.joining(","));
        String peer = "http://127.0.0.1:" + layout.etcdPeerPort(i);
        return List.of(binary.toString(), "--name", name(i), "--data-dir", layout.etcdData(i).toString(),
                "--listen-client-urls", clientUrl(layout, i), "--advertise-client-urls", clientUrl(layout, i),
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", cluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "twincloud-lab-" + layout.basePort(),
                "--logger", "zap", "--log-level", "warn");
    }

    /** The three members as lab processes, logging to {@code logs/etcd-i.log}; none is started. */
    public static List<ManagedProcess> processes(Path binary, LabLayout layout) throws IOException {
        List<ManagedProcess> out = new ArrayList<>();
        for (int i = 1; i <= LabLayout.ETCD_MEMBERS; i++) {
            Files.createDirectories(layout.etcdData(i).getParent());
            out.add(new ManagedProcess(name(i), command(binary, layout, i), Map.of(), layout.logs().resolve(name(i) + ".log")));
        }
        return out;
    }

    /** What member {@code i}'s {@code /health} says: {@code healthy}, {@code unhealthy (...)} or {@code no answer}. */
    public static String health(LabLayout layout, int i) {
        try {
            Http.Response r = Http.get(clientUrl(layout, i) + "/health", null, Duration.ofSeconds(1));
            if (r.status() == 200 && r.json().path("health").asString("").equals("true")) {
                return "healthy";
            }
            return "unhealthy (" + r.status() + " " + r.body().strip() + ")";
        } catch (IOException | RuntimeException e) {
            return "no answer";
        }
    }

    /**
     * The member that is etcd's raft leader, as the members that answer say ({@code POST /v3/maintenance/status}
     * through etcd's JSON gateway: {@code header.member_id} equal to {@code leader}); empty when none says so.
     */
    public static Optional<Integer> leader(LabLayout layout) {
        for (int i = 1; i <= LabLayout.ETCD_MEMBERS; i++) {
            try {
                Http.Response r = Http.post(clientUrl(layout, i) + "/v3/maintenance/status", null, "{}", Map.of(), Duration.ofSeconds(1));
                if (r.status() != 200) {
                    continue;
                }
                JsonNode j = r.json();
                String me = j.path("header").path("member_id").asString("");
                if (!me.isEmpty() && me.equals(j.path("leader").asString(""))) {
                    return Optional.of(i);
                }
            } catch (IOException | RuntimeException e) {
                // not answering: another member may
            }
        }
        return Optional.empty();
    }

    /** Waits until every member of {@code members} (1-based) answers healthy; fails at once when one exits. */
    public static void awaitHealthy(LabLayout layout, List<ManagedProcess> processes, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        for (int i = 1; i <= processes.size(); i++) {
            String last = "no answer";
            while (true) {
                ManagedProcess p = processes.get(i - 1);
                if (!p.isAlive()) {
                    throw new IllegalStateException(p.name() + " exited while starting; see " + p.log());
                }
                last = health(layout, i);
                if (last.equals("healthy")) {
                    break;
                }
                if (System.nanoTime() > end) {
                    throw new IllegalStateException(p.name() + " not healthy within " + timeout.toSeconds() + " s: " + last
                            + "; see " + p.log());
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        }
    }
}
