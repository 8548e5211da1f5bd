package dev.twincloud.pgctl;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Last resort: a JVM shutdown hook stops servers that asked for it and are still running (e.g. a killed test run). */
final class Reaper {
    private static final Set<PostgresServer> RUNNING = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    private Reaper() {
    }

    static void register(PostgresServer server) {
        installHook();
        RUNNING.add(server);
    }

    static void unregister(PostgresServer server) {
        RUNNING.remove(server);
    }

    private static synchronized void installHook() {
        if (hookInstalled) {
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (PostgresServer s : Set.copyOf(RUNNING)) {
                try {
                    s.stop(StopMode.IMMEDIATE); // fast is pointless at JVM exit: nobody will use the data again
                } catch (RuntimeException e) {
                    s.kill();
                }
            }
        }, "pgctl-reaper"));
        hookInstalled = true;
    }
}
