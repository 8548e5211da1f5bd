package dev.twincloud.lab.link;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * The lab's named links, and the fault commands on them: cut, blackhole or heal one link, partition
 * or delay two endpoints (every link between them, both directions), isolate one endpoint, heal
 * everything (states and delays); and the steady latency between two endpoints, per direction, which
 * healing leaves alone.
 * Thread-safe.
 */
public final class Links implements AutoCloseable {

    /** Sorted by name so status output is stable. */
    private final Map<String, Link> links = new ConcurrentSkipListMap<>();

    /** Starts a link and registers it. */
    public synchronized Link add(LinkSpec spec) throws IOException {
        if (links.containsKey(spec.name())) {
            throw new IllegalArgumentException("link already exists: " + spec.name());
        }
        Link link = Link.start(spec);
        links.put(spec.name(), link);
        return link;
    }

    /** Shorthand for {@code add(LinkSpec.of(name, listenPort, targetPort))}. */
    public Link add(String name, int listenPort, int targetPort) throws IOException {
        return add(LinkSpec.of(name, listenPort, targetPort));
    }

    public Optional<Link> find(String name) {
        return Optional.ofNullable(links.get(name));
    }

    public Link get(String name) {
        Link l = links.get(name);
        if (l == null) {
            throw new UnknownLinkException("no link named '" + name + "'; links: " + links.keySet());
        }
        return l;
    }

    public List<Link> all() {
        return List.copyOf(links.values());
    }

    public LinkStatus cut(String name) {
        return set(name, LinkState.CUT);
    }

    /** Back to {@code UP}, with no delay. */
    public LinkStatus heal(String name) {
        Link l = get(name);
        l.heal();
        return l.status();
    }

    /**
     * Holds every byte on every link between {@code a} and {@code b} (both directions) for {@code delay}
     * before delivering it; {@link java.time.Duration#ZERO} clears it.
     *
     * @throws UnknownLinkException when no link joins them
     */
    public List<LinkStatus> delay(String a, String b, java.time.Duration delay) {
        List<LinkStatus> out = new ArrayList<>();
        for (Link l : between(a, b)) {
            l.setDelay(delay);
            out.add(l.status());
        }
        return out;
    }

    /**
     * The steady one-way latency from endpoint {@code from} to endpoint {@code to} (gcp, aws, arbiter)
     * on every link between them, whichever side connects; the other direction keeps its latency.
     * Unlike a delay it stays through {@link #healAll()}. ZERO clears it.
     *
     * @throws UnknownLinkException when no link joins them
     */
    public List<LinkStatus> latency(String from, String to, java.time.Duration oneWay) {
        List<LinkStatus> out = new ArrayList<>();
        for (Link l : between(from, to)) {
            boolean forward = l.spec().from().equals(from);
            l.setLatency(forward ? oneWay : l.latencyForward(), forward ? l.latencyBackward() : oneWay);
            out.add(l.status());
        }
        return out;
    }

    /** Every link joining {@code a} and {@code b}, either way; none is an error (a typo must not pass for a fault). */
    private List<Link> between(String a, String b) {
        List<Link> hit = links.values().stream().filter(l -> l.spec().joins(a, b)).toList();
        if (hit.isEmpty()) {
            throw new UnknownLinkException("no link between '" + a + "' and '" + b + "'");
        }
        return hit;
    }

    public LinkStatus blackhole(String name) {
        return set(name, LinkState.BLACKHOLE);
    }

    public LinkStatus set(String name, LinkState state) {
        Link l = get(name);
        l.setState(state);
        return l.status();
    }

    /** Cuts every link between {@code a} and {@code b}, in both directions. */
    public List<LinkStatus> partition(String a, String b) {
        return partition(a, b, LinkState.CUT);
    }

    /**
     * Puts every link between {@code a} and {@code b} into {@code mode} (CUT or BLACKHOLE).
     *
     * @throws UnknownLinkException when no link joins them (a typo should not pass for a partition)
     */
    public List<LinkStatus> partition(String a, String b, LinkState mode) {
        return apply(s -> s.joins(a, b), mode, "no link between '" + a + "' and '" + b + "'");
    }

    /** Puts every link touching {@code endpoint} into {@code mode}: the endpoint is cut off from all. */
    public List<LinkStatus> isolate(String endpoint, LinkState mode) {
        return apply(s -> s.touches(endpoint), mode, "no link touches '" + endpoint + "'");
    }

    private List<LinkStatus> apply(Predicate<LinkSpec> which, LinkState mode, String noneMessage) {
        List<Link> hit = links.values().stream().filter(l -> which.test(l.spec())).toList();
        if (hit.isEmpty()) {
            throw new UnknownLinkException(noneMessage);
        }
        List<LinkStatus> out = new ArrayList<>();
        for (Link l : hit) {
            l.setState(mode);
            out.add(l.status());
        }
        return out;
    }

    public List<LinkStatus> healAll() {
        for (Link l : links.values()) {
            l.heal();
        }
        return status();
    }

    public List<LinkStatus> status() {
        return links.values().stream().map(Link::status).toList();
    }

    @Override
    public synchronized void close() {
        for (Link l : links.values()) {
            l.close();
        }
        links.clear();
    }
}
