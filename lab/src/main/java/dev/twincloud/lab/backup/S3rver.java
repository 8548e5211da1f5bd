package dev.twincloud.lab.backup;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One {@code s3rver} (npm) serving an {@link ObjectStore} on loopback: its bucket created at start, its
 * objects kept in the store's directory across restarts. The lab runs it as a managed process
 * ({@link #command}); tests run it through {@link #start}.
 */
public final class S3rver implements AutoCloseable {
    private final Process process;
    private final ObjectStore store;

    private S3rver(Process process, ObjectStore store) {
        this.process = process;
        this.store = store;
    }

    /** The command line serving {@code store}. */
    public static List<String> command(BackupTools tools, ObjectStore store) {
        return List.of(tools.s3rver().toString(), "--directory", store.dir().toString(), "--address", "127.0.0.1",
                "--port", Integer.toString(store.port()), "--configure-bucket", store.bucket());
    }

    /** Starts one and waits until it lists its bucket (a test's store); {@code log} receives its output. */
    public static S3rver start(BackupTools tools, ObjectStore store, Path log, Duration timeout) throws IOException {
        Files.createDirectories(store.dir());
        Process p = new ProcessBuilder(command(tools, store)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        S3rver s = new S3rver(p, store);
        try {
            awaitReady(store, timeout, p::isAlive);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Waits until {@code store} answers with its bucket; fails early once {@code alive} says the process is gone. */
    public static void awaitReady(ObjectStore store, Duration timeout, java.util.function.BooleanSupplier alive) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!alive.getAsBoolean()) {
                throw new BackupException("s3rver for store " + store.name() + " exited at start (port " + store.port() + " taken?)");
            }
            if (ready(http, store)) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackupException("interrupted waiting for store " + store.name());
            }
        }
        throw new BackupException("store " + store.name() + " did not answer on " + store.endpoint() + " within " + timeout.toSeconds() + " s");
    }

    static boolean ready(HttpClient http, ObjectStore store) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(store.endpoint() + "/"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("<Name>" + store.bucket() + "</Name>");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public ObjectStore store() {
        return store;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
