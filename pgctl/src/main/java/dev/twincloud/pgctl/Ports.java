package dev.twincloud.pgctl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback port helpers. */
public final class Ports {
    private Ports() {
    }

    /** Where {@link #freePort()} looks first: below Linux's ephemeral range and the lab's fixed base ports (7400, 17400 on). */
    static final int FIRST = 10_000;
    static final int END = 17_000;

    /**
     * A port that was free on 127.0.0.1 a moment ago: one at random in [{@value #FIRST}, {@value #END}), below Linux's
     * ephemeral range (32768-60999), so that no outgoing connection takes it before its server binds it (a port the
     * kernel picks for a bind is in that range: a test's API failed to start on one, taken meanwhile); the kernel's
     * pick when none of 50 tries is free.
     */
    public static int freePort() {
        var random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 50; i++) {
            int port = random.nextInt(FIRST, END);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new PgException("Cannot find a free loopback port: " + e.getMessage(), e);
        }
    }

    /** True when nothing listens on 127.0.0.1:port. */
    public static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // like PostgreSQL, which sets SO_REUSEADDR: TIME_WAIT does not count as taken
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
