package dev.twincloud.lab.backup;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.LabLayout;
import java.nio.file.Path;
import java.util.List;

/**
 * One S3-compatible object store the lab runs (docs/backups.md, docs/adr/0015): {@code gcs} stands for
 * Google Cloud Storage (site {@code gcp} archives to it), {@code s3} for Amazon S3 (site {@code aws}).
 * Each is an {@code s3rver} process on a port of its own, keeping its objects under {@code dir}.
 *
 * @param name   {@code gcs} or {@code s3}
 * @param site   the site whose archive and base backups it keeps
 * @param port   its HTTP port on 127.0.0.1
 * @param dir    where s3rver keeps the objects
 */
public record ObjectStore(String name, SiteId site, int port, Path dir) {
    /** The stores' names, in the order of {@link LabLayout#SITES}. */
    public static final List<String> NAMES = List.of("gcs", "s3");
    /** barman-cloud's path inside the bucket; the server name (the site) comes after it. */
    static final String PREFIX = "twincloud";

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

    /** barman-cloud's destination URL (the server name, the site, is a separate argument). */
    public String destination() {
        return "s3://" + bucket() + "/" + PREFIX;
    }

    /** Where s3rver keeps {@code <server>/base/<backup id>}'s objects (their sizes, for {@code lab backups}). */
    Path baseDir(String backupId) {
        return dir.resolve(bucket()).resolve(PREFIX).resolve(site.name()).resolve("base").resolve(backupId);
    }
}
