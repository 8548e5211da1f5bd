package dev.twincloud.pgctl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback port helpers. */
public final class Ports {
    private Ports() {
    }

    /** A port that was free on 127.0.0.1 a moment ago (the kernel picks it). */
    public static int freePort() {
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
