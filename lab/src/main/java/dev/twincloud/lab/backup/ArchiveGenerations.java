package dev.twincloud.lab.backup;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * Which generation of a site's archive a restore reads (docs/backups.md, "a fresh archive path when a
 * site is re-cloned"): a re-cloned site archives under a new server name ({@code ArchiveGeneration}),
 * so a store can hold several. The newest generation that has a base backup for the target wins: for
 * a point in time, the newest with a backup consistent before it; for the latest state, the newest
 * with any backup.
 */
final class ArchiveGenerations {

    /** The generation and base backup chosen, and the newer generations passed over (no backup for the target). */
    record Pick(ObjectStore store, BaseBackup backup, List<String> passedOver) {
    }

    private ArchiveGenerations() {
    }

    static Pick pick(BarmanCloud barman, ObjectStore store, Restore.Target target, Instant now, ZoneId zone) {
        List<ObjectStore> generations = store.generations();
        List<String> passedOver = new ArrayList<>();
        BackupException last = null;
        for (ObjectStore g : generations) {
            try {
                return new Pick(g, Restore.choose(g, barman.list(g, zone), target, now), List.copyOf(passedOver));
            } catch (BackupException e) {
                if (!isNoBackupForTarget(e)) {
                    throw e; // an unreachable store, a target in the future: the same in every generation
                }
                passedOver.add(g.server());
                last = e;
            }
        }
        // None holds one: the oldest generation's reason (its oldest backup is the earliest there is).
        throw generations.size() == 1 ? last : new BackupException(last.getMessage() + " (generations of site " + store.site()
                + "'s archive in store " + store.name() + ", newest first: " + String.join(", ", passedOver) + ")");
    }

    private static boolean isNoBackupForTarget(BackupException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("has no base backup") || m.contains("is before the oldest base backup")
                || m.contains("is before the newest base backup"); // a restore point made before any backup there
    }
}
