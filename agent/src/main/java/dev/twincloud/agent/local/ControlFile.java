package dev.twincloud.agent.local;

import dev.twincloud.core.protocol.Lsn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The few fields of {@code global/pg_control} the agent needs from a stopped server, read directly
 * (the embedded binaries have no pg_controldata). Layout of {@code ControlFileData}, stable since
 * PostgreSQL 9.x: system_identifier u64 @0, pg_control_version u32 @8, catalog_version_no u32 @12,
 * state (enum) @16, time i64 @24, checkPoint (XLogRecPtr) @32. Native byte order.
 */
public record ControlFile(long systemId, int state, Lsn checkpoint) {
    /** {@code DB_SHUTDOWNED}: the server was shut down cleanly as a primary. */
    public static final int SHUT_DOWN = 1;
    /** {@code DB_SHUTDOWNED_IN_RECOVERY}: shut down cleanly as a standby. */
    public static final int SHUT_DOWN_IN_RECOVERY = 2;

    public static ControlFile read(Path dataDir) throws IOException {
        byte[] bytes = Files.readAllBytes(dataDir.resolve("global").resolve("pg_control"));
        if (bytes.length < 40) {
            throw new IOException("pg_control in " + dataDir + " is too short (" + bytes.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        return new ControlFile(b.getLong(0), b.getInt(16), new Lsn(b.getLong(32)));
    }

    public boolean cleanlyShutDown() {
        return state == SHUT_DOWN || state == SHUT_DOWN_IN_RECOVERY;
    }
}
