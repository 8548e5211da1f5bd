package dev.twincloud.arbiter.store;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Real etcd members (the {@code etcd} binary, Debian's {@code etcd-server}) on loopback for tests:
 * member {@code i} serves clients on {@code basePort + 2i} and peers on {@code basePort + 2i + 1}.
 * Each member's data and log are under {@code root/member-i}.
 */
public final class EtcdCluster implements AutoCloseable {

    public static final String MISSING = "the etcd binary is not installed (Debian: apt-get install etcd-server; .ci/run installs it): "
            + "the etcd store is not tested here";

    private final Path binary;
    private final Path root;
    private final int basePort;
    private final int size;
    private final Process[] members;

    private EtcdCluster(Path binary, Path root, int basePort, int size) {
        this.binary = binary;
        this.root = root;
        this.basePort = basePort;
        this.size = size;
        this.members = new Process[size];
    }

    /** The etcd binary on the PATH (or /usr/bin/etcd), if installed. */
    public static Optional<Path> binary() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/bin");
        return dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d, "etcd")).filter(Files::isExecutable).findFirst();
    }

    /** Starts {@code size} members and waits until each answers its health check. */
    public static EtcdCluster start(Path root, int basePort, int size) {
        EtcdCluster c = new EtcdCluster(binary().orElseThrow(() -> new IllegalStateException(MISSING)), root, basePort, size);
        try {
            for (int i = 0; i < size; i++) {
                c.startMember(i, "new");
            }
            for (int i = 0; i < size; i++) {
                c.awaitHealthy(i, Duration.ofSeconds(60));
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    int clientPort(int member) {
        return basePort + 2 * member;
    }

    private int peerPort(int member) {
        return basePort + 2 * member + 1;
    }

    public String endpoint(int member) {
        return "http://127.0.0.1:" + clientPort(member);
    }

    public List<String> endpoints() {
        return IntStream.range(0, size).mapToObj(this::endpoint).toList();
    }

    private void startMember(int i, String state) {
        Path dir = root.resolve("member-" + i);
        String cluster = IntStream.range(0, size).mapToObj(m -> "m" + m + "=http://127.0.0.1:" + peerPort(m))
                .collect(Collectors.joining(","));
        try {
            Files.createDirectories(dir);
            members[i] = new ProcessBuilder(binary.toString(), "--name", "m" + i, "--data-dir", dir.resolve("data").toString(),
                    "--listen-client-urls", endpoint(i), "--advertise-client-urls", endpoint(i),
                    "--listen-peer-urls", "http://127.0.0.1:" + peerPort(i),
                    "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort(i),
                    "--initial-cluster", cluster, "--initial-cluster-state", state,
                    "--initial-cluster-token", "twincloud-test-" + basePort, "--log-level", "warn", "--logger", "zap")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start etcd member " + i + " (ports " + clientPort(i) + ", " + peerPort(i) + ")", e);
        }
    }

    /** Waits until member {@code i}'s /health says true. */
    public void awaitHealthy(int i, Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long end = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            if (members[i] != null && !members[i].isAlive()) {
                throw new IllegalStateException("etcd member " + i + " exited with " + members[i].exitValue() + "; see "
                        + root.resolve("member-" + i).resolve("etcd.log") + ": " + log(i));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(endpoint(i) + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"true\"")) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        throw new IllegalStateException("etcd member " + i + " not healthy within " + timeout + ": " + last + "; log: " + log(i));
    }

    private String log(int i) {
        try {
            String s = Files.readString(root.resolve("member-" + i).resolve("etcd.log"));
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Kills member {@code i} (SIGKILL). */
    public void kill(int i) {
        Process p = members[i];
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts a killed member again on its data directory. */
    public void restart(int i) {
        startMember(i, "existing");
        awaitHealthy(i, Duration.ofSeconds(60));
    }

    @Override
    public void close() {
        for (int i = 0; i < size; i++) {
            kill(i);
        }
    }
}
