package dev.twincloud.lab.link;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A TCP forwarder {@code 127.0.0.1:listenPort -> 127.0.0.1:targetPort} whose path can be cut or
 * frozen, so that a lab partition is a real TCP failure seen by PostgreSQL, agents and the edge. It
 * connects to the target from its own loopback address ({@link LinkSpec#sourceAddress()}).
 *
 * <p>Blocking sockets on virtual threads: one acceptor, and per connection and direction a reader and
 * a writer joined by a bounded FIFO queue. That is cheap for a lab's handful of links and makes
 * {@link LinkState#BLACKHOLE} simple: a reader that has read a chunk waits before queueing it, and
 * TCP back-pressure freezes the sender. A <em>delay</em> ({@link #setDelay}) holds every chunk in the
 * queue until {@code delay} after it was read, in both directions, keeping the order of the bytes
 * within a connection (heartbeats and reports arrive late, not reordered); clearing the delay (or
 * {@link #heal()}) releases what is held at once.
 *
 * <p>A <em>latency</em> ({@link #setLatency}) is the steady price of distance, per direction: bytes
 * from the connecting side to the target ({@code forward}) are held {@code forward} after they were
 * read, bytes coming back {@code backward}; it adds to a delay and, unlike one, stays through
 * {@link #heal()}. A round trip through the link takes {@code forward + backward} more.
 *
 * <p>Thread-safe. Every wait is bounded by {@link #POLL} and re-checks the state and closed flag.
 */
public final class Link implements AutoCloseable {

    private static final Logger log = Logger.getLogger(Link.class.getName());
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** How often a waiting pump re-checks state; bounds how long any wait can outlive a change. */
    static final Duration POLL = Duration.ofMillis(100);
    private static final int BUFFER = 16 * 1024;

    private final LinkSpec spec;
    /** Where connections to the target come from ({@link LinkSpec#sourceAddress()}); null: 127.0.0.1. */
    private final InetAddress source;
    private final Duration connectTimeout;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Object stateChanged = new Object();
    private volatile LinkState state = LinkState.UP;
    /** How long every chunk is held before it is delivered, in nanoseconds (0: none). */
    private volatile long delayNanos;
    /** The steady one-way latency from the connecting side to the target, and back, in nanoseconds. */
    private volatile long latencyForwardNanos;
    private volatile long latencyBackwardNanos;
    private volatile boolean closed;

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong bytesForward = new AtomicLong();
    private final AtomicLong bytesBackward = new AtomicLong();

    private Link(LinkSpec spec, Duration connectTimeout) throws IOException {
        this.spec = spec;
        this.source = spec.sourceAddress() == null ? null : InetAddress.getByName(spec.sourceAddress());
        this.connectTimeout = connectTimeout;
        this.server = new ServerSocket();
        server.setReuseAddress(true); // re-bind a fixed lab port right after a previous run
        server.bind(new InetSocketAddress(LOOPBACK, spec.listenPort()), 128);
        this.acceptor = Thread.ofVirtual().name("link-accept-" + spec.name()).start(this::acceptLoop);
    }

    /** Binds the listen port and starts forwarding (state {@code UP}). */
    public static Link start(LinkSpec spec) throws IOException {
        return new Link(spec, Duration.ofSeconds(2));
    }

    /** As {@link #start(LinkSpec)} with a custom timeout for connecting to the target. */
    public static Link start(LinkSpec spec, Duration connectTimeout) throws IOException {
        return new Link(spec, connectTimeout);
    }

    public String name() {
        return spec.name();
    }

    public LinkSpec spec() {
        return spec;
    }

    /** The bound port (differs from the spec's when it asked for 0). */
    public int listenPort() {
        return server.getLocalPort();
    }

    public LinkState state() {
        return state;
    }

    public void cut() {
        setState(LinkState.CUT);
    }

    /** Back to normal: {@code UP}, and no delay (a latency stays: it is not a fault). */
    public void heal() {
        setDelay(Duration.ZERO);
        setState(LinkState.UP);
    }

    /**
     * Holds every chunk this link forwards for {@code delay} before delivering it, in both directions
     * (0: deliver at once). Applies to the chunks already held too: a shorter delay releases them sooner.
     */
    public void setDelay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("a link delay cannot be negative: " + delay.toMillis() + " ms");
        }
        long prev;
        synchronized (stateChanged) {
            prev = delayNanos;
            delayNanos = delay.toNanos();
            stateChanged.notifyAll();
        }
        if (prev != delay.toNanos()) {
            log.info(() -> "link " + spec.name() + " delay " + Duration.ofNanos(prev).toMillis() + " ms -> " + delay.toMillis() + " ms");
        }
    }

    public Duration delay() {
        return Duration.ofNanos(delayNanos);
    }

    /**
     * The steady latency, per direction: {@code forward} for bytes from the connecting side to the
     * target, {@code backward} for the answers. Applies to chunks already held too. ZERO: none.
     */
    public void setLatency(Duration forward, Duration backward) {
        if (forward.isNegative() || backward.isNegative()) {
            throw new IllegalArgumentException("a link latency cannot be negative: " + forward.toMillis() + " / "
                    + backward.toMillis() + " ms");
        }
        long prevF;
        long prevB;
        synchronized (stateChanged) {
            prevF = latencyForwardNanos;
            prevB = latencyBackwardNanos;
            latencyForwardNanos = forward.toNanos();
            latencyBackwardNanos = backward.toNanos();
            stateChanged.notifyAll();
        }
        if (prevF != forward.toNanos() || prevB != backward.toNanos()) {
            log.info(() -> "link " + spec.name() + " latency " + spec.from() + "->" + spec.to() + " " + forward.toMillis()
                    + " ms, back " + backward.toMillis() + " ms");
        }
    }

    /** The steady latency from the connecting side to the target. */
    public Duration latencyForward() {
        return Duration.ofNanos(latencyForwardNanos);
    }

    /** The steady latency of the answers, from the target back to the connecting side. */
    public Duration latencyBackward() {
        return Duration.ofNanos(latencyBackwardNanos);
    }

    public void blackhole() {
        setState(LinkState.BLACKHOLE);
    }

    public void setState(LinkState next) {
        LinkState prev;
        synchronized (stateChanged) {
            prev = state;
            state = next;
            stateChanged.notifyAll();
        }
        if (next == LinkState.CUT) {
            // After the state write: a connection registering concurrently re-checks the state itself.
            for (Connection c : connections) {
                c.reset();
            }
        }
        if (prev != next) {
            log.info(() -> "link " + spec.name() + " " + prev + " -> " + next);
        }
    }

    public LinkStatus status() {
        return new LinkStatus(spec.name(), spec.from(), spec.to(), listenPort(), spec.targetPort(), state,
                accepted.get(), rejected.get(), connections.size(), bytesForward.get(), bytesBackward.get(),
                Duration.ofNanos(delayNanos).toMillis(), Duration.ofNanos(latencyForwardNanos).toMillis(),
                Duration.ofNanos(latencyBackwardNanos).toMillis());
    }

    @Override
    public void close() {
        closed = true;
        synchronized (stateChanged) {
            stateChanged.notifyAll();
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Connection c : connections) {
            c.reset();
        }
        try {
            acceptor.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.log(Level.WARNING, "link " + spec.name() + ": accept failed", e);
                }
                return;
            }
            accepted.incrementAndGet();
            if (state == LinkState.CUT) {
                rejected.incrementAndGet();
                resetQuietly(client);
                continue;
            }
            Connection c = new Connection(client);
            connections.add(c);
            Thread.ofVirtual().name("link-" + spec.name()).start(c::open);
        }
    }

    /**
     * Waits while the link is blackholed. Returns true when bytes may pass now, false when the link
     * is cut or closed (the caller drops the connection). Each wait is bounded by {@link #POLL}.
     */
    private boolean awaitPassable() {
        while (true) {
            if (closed) {
                return false;
            }
            LinkState s = state;
            if (s == LinkState.UP) {
                return true;
            }
            if (s == LinkState.CUT) {
                return false;
            }
            synchronized (stateChanged) {
                if (state == LinkState.BLACKHOLE && !closed) {
                    try {
                        stateChanged.wait(POLL.toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
        }
    }

    private static void resetQuietly(Socket s) {
        if (s == null) {
            return;
        }
        try {
            s.setSoLinger(true, 0); // close with RST, not FIN: the peer sees a reset at once
        } catch (SocketException ignored) {
            // already closed
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** One client connection and, once connected, its twin towards the target. */
    private final class Connection {
        private final Socket client;
        private volatile Socket target;
        private volatile boolean dead;
        private final AtomicLong halfClosed = new AtomicLong();

        Connection(Socket client) {
            this.client = client;
        }

        void open() {
            // A blackholed link holds new connections here, unconnected, until it heals or is cut.
            if (!awaitPassable()) {
                reset();
                return;
            }
            Socket t = new Socket();
            try {
                t.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                if (source != null) { // the link's own loopback address: the target tells it from local clients
                    t.bind(new InetSocketAddress(source, 0));
                }
                t.connect(new InetSocketAddress(LOOPBACK, spec.targetPort()), (int) connectTimeout.toMillis());
            } catch (IOException e) {
                // Target down: the client sees what it would see without the link, a reset.
                resetQuietly(t);
                reset();
                return;
            }
            target = t;
            if (dead || state == LinkState.CUT) { // cut() may have run while we connected
                reset();
                return;
            }
            Thread.ofVirtual().name("link-" + spec.name() + "-back").start(() -> pump(t, client, bytesBackward, false));
            pump(client, t, bytesForward, true);
        }

        /** A chunk read from one side, and when; {@code data == null} is the end of the stream (FIN). */
        private record Chunk(byte[] data, long readNanos) {
        }

        /** Up to {@code QUEUED} chunks (of at most {@code BUFFER} bytes) wait per direction; then the reader blocks. */
        private static final int QUEUED = 256;

        private void pump(Socket from, Socket to, AtomicLong counter, boolean forward) {
            java.util.concurrent.BlockingQueue<Chunk> queue = new java.util.concurrent.ArrayBlockingQueue<>(QUEUED);
            Thread.ofVirtual().name("link-" + spec.name() + "-deliver").start(() -> deliver(queue, to, counter, forward));
            byte[] buf = new byte[BUFFER];
            try {
                InputStream in = from.getInputStream();
                while (true) {
                    int n = in.read(buf);
                    if (!awaitPassable()) {
                        reset();
                        return;
                    }
                    Chunk c = new Chunk(n < 0 ? null : java.util.Arrays.copyOf(buf, n), System.nanoTime());
                    while (!queue.offer(c, POLL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                        if (dead || closed) {
                            return;
                        }
                    }
                    if (n < 0) {
                        return;
                    }
                }
            } catch (IOException e) {
                // One side reset or failed: reset the other too, as a real broken path would.
                reset();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reset();
            }
        }

        /** Writes the queued chunks in order, each once the link's delay and latency after it was read have passed. */
        private void deliver(java.util.concurrent.BlockingQueue<Chunk> queue, Socket to, AtomicLong counter, boolean forward) {
            try {
                OutputStream out = to.getOutputStream();
                while (!dead && !closed) {
                    Chunk c = queue.poll(POLL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (c == null) {
                        continue;
                    }
                    if (!awaitDue(c.readNanos(), forward) || !awaitPassable()) {
                        reset();
                        return;
                    }
                    if (c.data() == null) {
                        // Pass the FIN on; the connection ends when both directions have.
                        to.shutdownOutput();
                        if (halfClosed.incrementAndGet() == 2) {
                            finish();
                        }
                        return;
                    }
                    out.write(c.data());
                    counter.addAndGet(c.data().length);
                }
            } catch (IOException e) {
                reset();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reset();
            }
        }

        /**
         * Waits until the delay plus this direction's latency after {@code readNanos} (both read afresh at
         * every wake-up); false when cut or closed.
         */
        private boolean awaitDue(long readNanos, boolean forward) throws InterruptedException {
            while (true) {
                if (dead || closed || state == LinkState.CUT) {
                    return false;
                }
                long wait = readNanos + delayNanos + (forward ? latencyForwardNanos : latencyBackwardNanos) - System.nanoTime();
                if (wait <= 0) {
                    return true;
                }
                synchronized (stateChanged) {
                    long ms = Math.max(1, Math.min(POLL.toMillis(), java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(wait)));
                    stateChanged.wait(ms);
                }
            }
        }

        private void finish() {
            connections.remove(this);
            try {
                client.close();
            } catch (IOException ignored) {
                // done
            }
            try {
                Socket t = target;
                if (t != null) {
                    t.close();
                }
            } catch (IOException ignored) {
                // done
            }
        }

        void reset() {
            dead = true;
            connections.remove(this);
            resetQuietly(client);
            resetQuietly(target);
        }
    }
}
