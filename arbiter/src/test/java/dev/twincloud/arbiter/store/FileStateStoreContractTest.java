package dev.twincloud.arbiter.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract on the file store in its shared mode: replicas on one state directory (a shared volume). */
class FileStateStoreContractTest extends StateStoreContract {

    @TempDir
    Path dir;

    @Override
    protected StateStore open() {
        return FileStateStore.openShared(dir, CONFIG);
    }

    @Override
    protected void putRaw(String json) {
        try {
            Files.writeString(dir.resolve(FileStateStore.STATE_FILE), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
