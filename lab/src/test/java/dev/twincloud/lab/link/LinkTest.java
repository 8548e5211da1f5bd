package dev.twincloud.lab.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;

/** A link between a real client socket and a real echo server. */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LinkTest {

    private EchoServer echo;
    private Link link;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        link = Link.start(LinkSpec.of("gcp->aws:pg", 0, echo.port()));
    }

    @AfterEach
    void stop() throws IOException {
        link.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), link.listenPort());
        s.setSoTimeout(5_000); // no read in these tests may hang longer
        return s;
    }

    private static String roundTrip(Socket s, String msg) throws IOException {
        byte[] out = msg.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(out);
        s.getOutputStream().flush();
        return new String(s.getInputStream().readNBytes(out.length), StandardCharsets.UTF_8);
    }

    /** Reads until the connection ends; true if it ended (EOF or reset), false on timeout. */
    private static boolean endsWithin(Socket s, Duration d) throws IOException {
        s.setSoTimeout((int) d.toMillis());
        try {
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // drain anything in flight
            }
            return true; // EOF
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // "Connection reset"
        }
    }

    private static void await(String what, BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void forwardsBothWaysAndCountsBytes() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");
            assertThat(roundTrip(s, "world!")).isEqualTo("world!");
        }
        await("counters", () -> link.status().bytesBackward() == 11);
        LinkStatus st = link.status();
        assertThat(st.bytesForward()).isEqualTo(11);
        assertThat(st.connectionsAccepted()).isEqualTo(1);
        assertThat(st.state()).isEqualTo(LinkState.UP);
        await("connection closed", () -> link.status().connectionsOpen() == 0);
    }

    @Test
    void carriesMegabytesIntact() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(data);
        try (Socket s = connect()) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                } catch (IOException ignored) {
                    // the read side fails the test
                }
            });
            byte[] back = s.getInputStream().readAllBytes(); // EOF travels back through the link
            writer.join(Duration.ofSeconds(5));
            assertThat(Arrays.equals(back, data)).isTrue();
        }
        await("counters", () -> link.status().bytesBackward() == data.length);
        assertThat(link.status().bytesForward()).isEqualTo(data.length);
    }

    @Test
    void cutResetsEstablishedConnectionsPromptly() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "ping")).isEqualTo("ping");
            long t0 = System.nanoTime();
            link.cut();
            assertThat(endsWithin(s, Duration.ofSeconds(2))).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        }
        // The far side loses its connection too: it sees a reset, not a clean close.
        await("target side reset", () -> echo.broken.get() == 1);
        assertThat(link.status().connectionsOpen()).isZero();
        assertThat(link.state()).isEqualTo(LinkState.CUT);
    }

    @Test
    void cutRejectsNewConnectionsAndHealRestores() throws Exception {
        link.cut();
        try (Socket s = connect()) {
            // Accepted by the kernel, then reset by the link: no byte ever comes back.
            assertThat(endsWithin(s, Duration.ofSeconds(2))).isTrue();
        } catch (IOException refused) {
            // also acceptable: the connection was refused/reset during connect
        }
        await("rejected counted", () -> link.status().connectionsRejected() == 1);
        assertThat(echo.connections.get()).isZero();

        link.heal();
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "back")).isEqualTo("back");
        }
    }

    @Test
    void blackholeStallsReadsKeepsSocketsOpenAndLosesNothing() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "a")).isEqualTo("a");
            link.blackhole();
            s.getOutputStream().write("frozen".getBytes(StandardCharsets.UTF_8));
            s.setSoTimeout(400);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(s.isClosed()).isFalse();
            assertThat(link.status().connectionsOpen()).isEqualTo(1);

            link.heal(); // like TCP retransmission after a partition heals: the bytes arrive
            s.setSoTimeout(5_000);
            assertThat(new String(s.getInputStream().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("frozen");
        }
    }

    @Test
    void blackholeHoldsNewConnectionsUntilHeal() throws Exception {
        link.blackhole();
        try (Socket s = connect()) {
            s.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
            s.setSoTimeout(300);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(echo.connections.get()).isZero(); // never reached the target
            link.heal();
            s.setSoTimeout(5_000);
            assertThat(s.getInputStream().read()).isEqualTo('x');
        }
    }

    @Test
    void cutAfterBlackholeResets() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "a")).isEqualTo("a");
            link.blackhole();
            link.cut();
            assertThat(endsWithin(s, Duration.ofSeconds(2))).isTrue();
        }
    }

    @Test
    void targetDownLooksLikeAReset() throws Exception {
        echo.close();
        try (Socket s = connect()) {
            assertThat(endsWithin(s, Duration.ofSeconds(3))).isTrue();
        } catch (IOException refused) {
            // fine too
        }
    }

    @Test
    void delayHoldsBytesInBothDirectionsKeepsTheirOrderAndHealClearsIt() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "warm")).isEqualTo("warm");
            link.setDelay(Duration.ofMillis(300));
            assertThat(link.status().delayMs()).isEqualTo(300);
            // a round trip crosses the link twice: at least 2 x 300 ms
            long t0 = System.nanoTime();
            assertThat(roundTrip(s, "slow")).isEqualTo("slow");
            long rtt = Duration.ofNanos(System.nanoTime() - t0).toMillis();
            assertThat(rtt).isBetween(550L, 3_000L);

            // many small writes in a row arrive whole and in order, each held
            StringBuilder sent = new StringBuilder();
            for (int i = 0; i < 50; i++) {
                String m = "<" + i + ">";
                sent.append(m);
                s.getOutputStream().write(m.getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
            }
            s.setSoTimeout(200);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class); // still held
            s.setSoTimeout(5_000);
            byte[] back = s.getInputStream().readNBytes(sent.length());
            assertThat(new String(back, StandardCharsets.UTF_8)).isEqualTo(sent.toString());

            link.heal(); // heal clears the delay
            assertThat(link.status().delayMs()).isZero();
            t0 = System.nanoTime();
            assertThat(roundTrip(s, "fast")).isEqualTo("fast");
            // under the 600 ms a delayed round trip takes, with room for a busy machine
            assertThat(Duration.ofNanos(System.nanoTime() - t0).toMillis()).isLessThan(500);
        }
    }

    @Test
    void clearingTheDelayReleasesHeldBytesAtOnce() throws Exception {
        try (Socket s = connect()) {
            link.setDelay(Duration.ofSeconds(20));
            s.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
            s.setSoTimeout(300);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            long t0 = System.nanoTime();
            link.setDelay(Duration.ZERO);
            s.setSoTimeout(5_000);
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("held");
            assertThat(Duration.ofNanos(System.nanoTime() - t0).toMillis()).isLessThan(1_000);
        }
    }

    @Test
    void aDelayedLinkStillCarriesMegabytesIntactAndCutStillResets() throws Exception {
        link.setDelay(Duration.ofMillis(50));
        byte[] data = new byte[2 * 1024 * 1024];
        new Random(11).nextBytes(data);
        try (Socket s = connect()) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(data);
                } catch (IOException ignored) {
                    // the read side fails the test
                }
            });
            byte[] back = s.getInputStream().readNBytes(data.length);
            writer.join(Duration.ofSeconds(5));
            assertThat(Arrays.equals(back, data)).isTrue();
            link.cut();
            assertThat(endsWithin(s, Duration.ofSeconds(2))).isTrue();
        }
    }

    /**
     * Latency is per direction: a target that notes when the client's byte arrives splits the round
     * trip into the way there (forward latency) and the way back (backward latency). Healing keeps it.
     */
    @Test
    void latencyHoldsEachDirectionByItsOwnAmountAndStaysThroughHeal() throws Exception {
        try (java.net.ServerSocket target = new java.net.ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             Link timed = Link.start(LinkSpec.of("gcp->arbiter", 0, target.getLocalPort()))) {
            java.util.concurrent.LinkedBlockingQueue<Long> arrivals = new java.util.concurrent.LinkedBlockingQueue<>();
            Thread.ofVirtual().start(() -> {
                try (Socket c = target.accept()) {
                    int b;
                    while ((b = c.getInputStream().read()) >= 0) {
                        arrivals.add(System.nanoTime());
                        c.getOutputStream().write(b);
                        c.getOutputStream().flush();
                    }
                } catch (IOException ignored) {
                    // the test ends the connection
                }
            });
            timed.setLatency(Duration.ofMillis(400), Duration.ofMillis(100));
            assertThat(timed.status().latencyForwardMs()).isEqualTo(400);
            assertThat(timed.status().latencyBackwardMs()).isEqualTo(100);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), timed.listenPort())) {
                s.setSoTimeout(10_000);
                for (int round = 0; round < 2; round++) {
                    long sent = System.nanoTime();
                    s.getOutputStream().write('x');
                    s.getOutputStream().flush();
                    assertThat(s.getInputStream().read()).isEqualTo('x');
                    long back = System.nanoTime();
                    long arrived = arrivals.poll(5, TimeUnit.SECONDS);
                    long there = Duration.ofNanos(arrived - sent).toMillis();
                    long home = Duration.ofNanos(back - arrived).toMillis();
                    assertThat(there).as("forward, round " + round).isBetween(395L, 3_000L);
                    assertThat(home).as("backward, round " + round).isBetween(95L, 2_000L);
                    assertThat(home).as("backward < forward").isLessThan(there);
                    timed.heal(); // not a fault: the latency stays
                }
                assertThat(timed.status().latencyForwardMs()).isEqualTo(400);
                timed.setLatency(Duration.ZERO, Duration.ZERO);
                long t0 = System.nanoTime();
                s.getOutputStream().write('y');
                assertThat(s.getInputStream().read()).isEqualTo('y');
                // under the 500 ms the latency made a round trip, with room for a busy machine
                assertThat(Duration.ofNanos(System.nanoTime() - t0).toMillis()).isLessThan(450);
            }
        }
    }

    @Test
    void aNegativeLatencyIsRefused() {
        assertThatThrownBy(() -> link.setLatency(Duration.ofMillis(-1), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNegativeDelayIsRefused() {
        assertThatThrownBy(() -> link.setDelay(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closeFreesThePort() throws Exception {
        int port = link.listenPort();
        link.close();
        try (Link again = Link.start(new LinkSpec("again", "a", "b", port, echo.port()))) {
            assertThat(again.listenPort()).isEqualTo(port);
        }
    }
}
