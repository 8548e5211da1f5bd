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
 * to the jar in {@code target/extracted/<build>}), with a dynamic AppCDS archive per component
 * ({@code -XX:+AutoCreateSharedArchive}: the first JVM of the component that stops cleanly writes it,
 * and every later start of that component maps it, in any lab of this build: a drill's components,
 * killed, never write one, and a test's lab is its first). An archive that is not one (half-written,
 * spoiled) is deleted before a start: the JVM would take it for its base archive and run without any.
 * Where extracting fails, the executable jar as it is.
 */
public final class AppLaunch {
    private static final Logger log = LoggerFactory.getLogger(AppLaunch.class);

    private AppLaunch() {
    }

    /** A dynamic archive's first bytes (HotSpot's magic 0xf00baba8, little-endian, written last). */
    private static final byte[] DYNAMIC_ARCHIVE_MAGIC = {(byte) 0xa8, (byte) 0xab, 0x0b, (byte) 0xf0};

    /**
     * The JVM options and {@code -jar} for {@code execJar}: its extracted jar and the archive of {@code component}
     * (one JVM of a component runs at a time in a lab; two labs of one build at once may both write an archive,
     * which {@code -XX:+VerifySharedSpaces} refuses to map if they spoiled it).
     */
    public static List<String> args(String java, Path execJar, String component) {
        Path extracted = extracted(java, execJar);
        if (extracted == null) {
            return List.of("-jar", execJar.toString());
        }
        Path archive = extracted.getParent().resolve("cds").resolve(component + "-jdk"
                + Runtime.version().feature() + "." + Runtime.version().interim() + "." + Runtime.version().update() + ".jsa");
        deleteIfNotAnArchive(archive);
        List<String> out = new ArrayList<>(List.of("-XX:SharedArchiveFile=" + archive, "-XX:+AutoCreateSharedArchive",
                "-XX:+VerifySharedSpaces", "-Xlog:cds*=off"));
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

    static void deleteIfNotAnArchive(Path archive) {
        try (var in = Files.newInputStream(archive)) {
            if (!java.util.Arrays.equals(in.readNBytes(4), DYNAMIC_ARCHIVE_MAGIC)) {
                in.close();
                Files.deleteIfExists(archive);
                log.info("{} is not an archive (half-written or spoiled): deleted, the component writes it again", archive);
            }
        } catch (java.nio.file.NoSuchFileException absent) {
            // written when the component first stops cleanly
        } catch (IOException e) {
            log.info("{} cannot be checked: {}", archive, e.toString());
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
