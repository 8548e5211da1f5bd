package dev.twincloud.lab.backup;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.pgctl.ArchiveGeneration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One S3-compatible object store the lab runs (docs/backups.md, docs/adr/0015): {@code gcs} stands for
 * Google Cloud Storage (site {@code gcp} archives to it), {@code s3} for Amazon S3 (site {@code aws}).
 * Each is an {@code s3rver} process on a port of its own, keeping its objects under {@code dir}.
 *
 * @param name   {@code gcs} or {@code s3}
 * @param site   the site whose archive and base backups it keeps
 * @param port   its HTTP port on 127.0.0.1
 * @param dir    where s3rver keeps the objects
 * @param server barman-cloud's server name: the folder of one generation of the site's archive
 *               ({@link ArchiveGeneration}: the site's name, plus {@code -g<clone time>} after a re-clone)
 */
public record ObjectStore(String name, SiteId site, int port, Path dir, String server) {
    /** The stores' names, in the order of {@link LabLayout#SITES}. */
    public static final List<String> NAMES = List.of("gcs", "s3");
    /** barman-cloud's path inside the bucket; the server name (the site) comes after it. */
    static final String PREFIX = "twincloud";

    /** The store with the first generation of its site's archive (the plain site name). */
    public ObjectStore(String name, SiteId site, int port, Path dir) {
        this(name, site, port, dir, site.name());
    }

    /** This store's archive of the generation {@code dataDir} belongs to: where that data directory archives now. */
    public ObjectStore generationOf(Path dataDir) {
        return withServer(ArchiveGeneration.serverName(site.name(), ArchiveGeneration.read(dataDir)));
    }

    /** This store with barman-cloud's server name {@code server}. */
    public ObjectStore withServer(String server) {
        return new ObjectStore(name, site, port, dir, server);
    }

    /**
     * Every generation of the site's archive this store holds, newest first (the first generation, the
     * plain site name, last); just the first when the store holds none yet. Read from the folders under
     * {@link #PREFIX} where s3rver keeps the objects: barman-cloud has no command that lists server names.
     */
    public List<ObjectStore> generations() {
        Path root = dir.resolve(bucket()).resolve(PREFIX);
        List<String> names;
        if (!Files.isDirectory(root)) {
            names = List.of();
        } else {
            try (Stream<Path> entries = Files.list(root)) {
                names = entries.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                        .filter(n -> n.equals(site.name()) || (n.startsWith(site.name() + "-")
                                && ArchiveGeneration.NAME.matcher(n.substring(site.name().length() + 1)).matches()))
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + root, e);
            }
        }
        if (names.isEmpty()) {
            return List.of(withServer(site.name()));
        }
        // the plain site name sorts first, and every generation after it by its clone time
        return names.stream().sorted(Comparator.reverseOrder()).map(this::withServer).toList();
    }

    /** The lab's store {@code name}; an unknown name is an error that lists the known ones. */
    public static ObjectStore of(String name, LabLayout layout) {
        int i = NAMES.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("unknown store '" + name + "': the lab's stores are " + String.join(", ", NAMES)
                    + " (gcs keeps site gcp's archive, s3 site aws's)");
        }
        return new ObjectStore(name, LabLayout.SITES.get(i), layout.objectStorePort(name), layout.objectStores().resolve(name));
    }

    /** Both stores of a lab. */
    public static List<ObjectStore> all(LabLayout layout) {
        return NAMES.stream().map(n -> of(n, layout)).toList();
    }

    /** The store a site archives to. */
    public static ObjectStore ofSite(SiteId site, LabLayout layout) {
        return of(NAMES.get(LabLayout.SITES.indexOf(site)), layout);
    }

    public String bucket() {
        return "twincloud-" + name;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** barman-cloud's destination URL (the server name, {@link #server}, is a separate argument). */
    public String destination() {
        return "s3://" + bucket() + "/" + PREFIX;
    }

    /** Where s3rver keeps {@code <server>/base/<backup id>}'s objects (their sizes, for {@code lab backups}). */
    Path baseDir(String backupId) {
        return dir.resolve(bucket()).resolve(PREFIX).resolve(server).resolve("base").resolve(backupId);
    }

    /** Where s3rver keeps {@code <server>/wals/}'s objects. */
    public Path walsDir() {
        return dir.resolve(bucket()).resolve(PREFIX).resolve(server).resolve("wals");
    }

    /** How many objects s3rver keeps under a folder of the store, and their bytes. */
    public record Stored(long objects, long bytes) {
    }

    /**
     * The objects under {@code folder} (s3rver's {@code ._S3rver_object} files, at any depth); none when the folder is
     * not there. A file that vanishes while it is read counts as empty.
     */
    public static Stored stored(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return new Stored(0, 0);
        }
        long n = 0;
        long bytes = 0;
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith("._S3rver_object")).toList()) {
                n++;
                try {
                    bytes += Files.size(f);
                } catch (IOException gone) {
                    // removed meanwhile
                }
            }
        }
        return new Stored(n, bytes);
    }
}
