package dev.twincloud.lab.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the lab starts a Spring Boot app quickly (docs/adr/0006-a-quick-cli.md, "The lab's apps"): from
 * its executable jar extracted once per build ({@code java -Djarmode=tools -jar app.jar extract}, next
 * to the jar in {@code target/extracted/<build>}), with a dynamic AppCDS archive per component and
 * lab ({@code -XX:+AutoCreateSharedArchive}: the JVM writes it when the component first stops
 * cleanly, and maps it from the next start on; one JVM at a time uses each archive). Where
 * extracting fails, the executable jar as it is.
 */
public final class AppLaunch {
    private static final Logger log = LoggerFactory.getLogger(AppLaunch.class);

    private AppLaunch() {
    }

    /**
     * The JVM options and {@code -jar} for {@code execJar}, with the archive of {@code component} of the
     * lab on {@code basePort} (two labs never share a base port).
     */
    public static List<String> args(String java, Path execJar, String component, int basePort) {
        Path extracted = extracted(java, execJar);
        if (extracted == null) {
            return List.of("-jar", execJar.toString());
        }
        Path archive = extracted.getParent().resolve("cds").resolve(component + "-" + basePort + "-jdk"
                + Runtime.version().feature() + "." + Runtime.version().interim() + "." + Runtime.version().update() + ".jsa");
        List<String> out = new ArrayList<>(List.of("-XX:SharedArchiveFile=" + archive, "-XX:+AutoCreateSharedArchive",
                "-Xlog:cds*=off"));
        if (Runtime.version().feature() >= 25) {
            out.add("-Xlog:aot*=off"); // JDK 25 logs the archive's checks under "aot"; a stale one is simply not used
        }
        out.addAll(List.of("-jar", extracted.toString()));
        return out;
    }

    /**
     * The extracted runnable jar, in {@code target/extracted/<size>-<mtime>/} of this very build of
     * {@code execJar}: made when missing (in a directory of its own, renamed into place complete, so that
     * two labs starting at once cannot see half of one), never changed after; other builds' directories
     * are removed. Null when it cannot be made.
     */
    static synchronized Path extracted(String java, Path execJar) {
        Path root = execJar.getParent().resolve("extracted");
        try {
            String key = Files.size(execJar) + "-" + Files.getLastModifiedTime(execJar).toMillis();
            Path dir = root.resolve(key);
            Path jar = dir.resolve(execJar.getFileName());
            if (Files.exists(jar)) {
                removeOtherBuilds(root, key);
                return jar;
            }
            Files.createDirectories(root);
            Path tmp = root.resolve("tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
            Process p = new ProcessBuilder(java, "-Djarmode=tools", "-jar", execJar.toString(), "extract", "--destination", tmp.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(tmp.resolve(execJar.getFileName()))) {
                p.destroyForcibly();
                deleteTree(tmp);
                log.info("{} cannot be extracted: started as it is", execJar.getFileName());
                return null;
            }
            Files.createDirectories(tmp.resolve("cds"));
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException anotherLabWasFirst) {
                deleteTree(tmp);
                if (!Files.exists(jar)) {
                    throw anotherLabWasFirst;
                }
            }
            removeOtherBuilds(root, key);
            return jar;
        } catch (IOException | RuntimeException e) {
            log.info("{} cannot be extracted ({}): started as it is", execJar.getFileName(), e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Other builds' extractions (their archives are stale anyway); half-made ones of other labs are left alone. */
    private static void removeOtherBuilds(Path root, String key) throws IOException {
        try (Stream<Path> others = Files.list(root)) {
            for (Path other : others.filter(o -> !o.getFileName().toString().equals(key) && !o.getFileName().toString().startsWith("tmp-"))
                    .toList()) {
                deleteTree(other);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
