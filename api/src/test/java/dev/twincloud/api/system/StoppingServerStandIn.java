package dev.twincloud.api.system;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a PostgreSQL server that is shutting down, on a loopback port: it speaks the startup protocol
 * far enough to answer every connection, after {@code refuseAfter}, with FATAL "the database system is shutting
 * down" (SQLSTATE 57P03) — or, once {@link #dropConnections} is set, takes each connection and closes it, as a
 * postmaster's listening socket does in its last moments before it exits. Counts the connections it took.
 */
final class StoppingServerStandIn implements AutoCloseable {
    private final ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicBoolean dropping = new AtomicBoolean();

    StoppingServerStandIn(Duration refuseAfter) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    if (dropping.get()) {
                        s.close();
                    } else {
                        Thread.ofVirtual().start(() -> refuseAsShuttingDown(s, refuseAfter));
                    }
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    /** A JDBC URL of this server (no TLS: it answers 'N' to an SSL request anyway). */
    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + server.getLocalPort() + "/none?sslmode=disable";
    }

    int connections() {
        return connections.get();
    }

    void dropConnections() {
        dropping.set(true);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    /** Reads the startup packet (answering 'N' to an SSL or GSS request), waits, and sends a FATAL 57P03. */
    private static void refuseAsShuttingDown(Socket s, Duration after) {
        try (s; var in = new DataInputStream(s.getInputStream()); var out = new DataOutputStream(s.getOutputStream())) {
            while (true) {
                int length = in.readInt();
                int code = in.readInt();
                in.readNBytes(length - 8);
                if (code == 80877103 || code == 80877104) { // SSLRequest, GSSENCRequest: not supported
                    out.writeByte('N');
                    out.flush();
                    continue;
                }
                break;
            }
            Thread.sleep(after);
            var fields = new ByteArrayOutputStream();
            for (String f : new String[] {"SFATAL", "VFATAL", "C57P03", "Mthe database system is shutting down"}) {
                fields.writeBytes(f.getBytes(StandardCharsets.US_ASCII));
                fields.write(0);
            }
            fields.write(0);
            out.writeByte('E');
            out.writeInt(4 + fields.size());
            out.write(fields.toByteArray());
            out.flush();
        } catch (IOException | InterruptedException e) {
            // the client went away: nothing to refuse
        }
    }
}
