package dev.twincloud.lab.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the lab reads of s3rver's folders: a base backup's size ({@code lab backups}) and a store's WAL objects
 * (BackupBenchmark's idle-archive figure) — only s3rver's object files count, at any depth, never its metadata.
 */
class StoredObjectsTest {
    @Test
    void countsS3rversObjectFilesAtAnyDepthAndNothingElse(@TempDir Path dir) throws Exception {
        ObjectStore store = new ObjectStore("gcs", SiteId.of("gcp"), 1, dir.resolve("store"));
        Path wals = store.walsDir();
        Files.createDirectories(wals.resolve("0000000100000000"));
        Files.write(wals.resolve("00000002.history.gz._S3rver_object"), new byte[7]);
        Files.write(wals.resolve("0000000100000000").resolve("000000010000000000000003.gz._S3rver_object"), new byte[100]);
        Files.write(wals.resolve("0000000100000000").resolve("000000010000000000000003.gz._S3rver_metadata.json"), new byte[50]);

        assertThat(ObjectStore.stored(wals)).isEqualTo(new ObjectStore.Stored(2, 107));
        assertThat(ObjectStore.stored(dir.resolve("nowhere"))).isEqualTo(new ObjectStore.Stored(0, 0));
    }

    @Test
    void aBaseBackupsSizeIsItsObjectsBytesAndUnknownWhenItIsNotThere(@TempDir Path dir) throws Exception {
        ObjectStore store = new ObjectStore("s3", SiteId.of("aws"), 1, dir.resolve("store"));
        Path base = store.baseDir("20261201T082158");
        Files.createDirectories(base);
        Files.write(base.resolve("data.tar._S3rver_object"), new byte[1000]);
        Files.write(base.resolve("backup.info._S3rver_object"), new byte[24]);
        Files.write(base.resolve("data.tar._S3rver_metadata.json"), new byte[300]);

        assertThat(BarmanCloud.size(store, "20261201T082158")).isEqualTo(1024);
        assertThat(BarmanCloud.size(store, "20261201T000000")).isEqualTo(-1);
    }
}
