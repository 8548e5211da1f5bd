package dev.twincloud.lab.cli;

import dev.twincloud.core.decide.Event;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.OperatorRequest;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Http;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.type.TypeReference;

/** The operator verbs against an arbiter's HTTP API; shared by {@code ctl} and {@code lab}. */
final class ArbiterCalls {
    /** The most events the arbiter returns in one answer ({@code GET /v1/events?limit=}). */
    static final int MAX_EVENTS = 1000;
    private static final TypeReference<List<Event>> EVENTS = new TypeReference<>() {
    };

    private final String base;
    private final String token;
    private final PrintWriter out;
    private final PrintWriter err;

    ArbiterCalls(String base, String token, PrintWriter out, PrintWriter err) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
        this.out = out;
        this.err = err;
    }

    /** The status as tables (sites, alerts, last events), or with {@code json} the arbiter's answer as it came. */
    int status(boolean json) {
        if (json) {
            return print(() -> CliHttp.get(base + "/v1/status", token));
        }
        try {
            out.print(statusText());
            out.flush();
            return 0;
        } catch (Failed f) {
            err.println(f.getMessage());
            return 1;
        }
    }

    /** The text of {@code ctl status}: one arbiter status and its last events. */
    String statusText() {
        ArbiterStatus s = fetch("/v1/status").as(ArbiterStatus.class);
        List<Event> events = Http.JSON.readValue(fetch("/v1/events?limit=" + StatusTables.STATUS_EVENTS).body(), EVENTS);
        return StatusTables.cluster(s, events);
    }

    /**
     * The events since {@code since} (all the arbiter keeps, up to {@code limit}) as a table, or as JSON;
     * with {@code follow} then every new one as it comes, polling every {@code interval}, for at most
     * {@code followFor} (until interrupted when absent).
     */
    int events(int limit, Optional<Instant> since, boolean json, boolean follow, Duration interval, Optional<Duration> followFor) {
        List<Event> first;
        try {
            first = since(fetchEvents(since.isPresent() ? MAX_EVENTS : limit), since);
        } catch (Failed f) {
            err.println(f.getMessage());
            return 1;
        }
        if (since.isPresent() && first.size() > limit) {
            first = first.subList(first.size() - limit, first.size());
        }
        if (json && !follow) {
            out.println(Http.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(first));
        } else if (json) {
            first.forEach(e -> out.println(Http.JSON.writeValueAsString(e)));
        } else {
            out.print(first.isEmpty() ? "no events" + since.map(t -> " since " + StatusTables.TIME.format(t)).orElse("") + "\n"
                    : StatusTables.events(first, ""));
        }
        out.flush();
        if (!follow) {
            return 0;
        }
        boolean header = !first.isEmpty();
        Set<Event> seen = new HashSet<>(first);
        Instant newest = first.isEmpty() ? since.orElse(Instant.EPOCH) : first.getLast().at();
        long deadline = followFor.map(d -> System.nanoTime() + d.toNanos()).orElse(Long.MAX_VALUE);
        while (System.nanoTime() < deadline && !out.checkError()) {
            if (!sleep(interval)) {
                return 0;
            }
            List<Event> fresh = new ArrayList<>();
            try {
                for (Event e : fetchEvents(MAX_EVENTS)) {
                    if (!e.at().isBefore(newest) && seen.add(e)) {
                        fresh.add(e);
                    }
                }
            } catch (Failed f) {
                err.println(f.getMessage() + " (still following)");
                err.flush();
                continue;
            }
            if (!fresh.isEmpty()) {
                newest = fresh.getLast().at();
                if (json) {
                    fresh.forEach(e -> out.println(Http.JSON.writeValueAsString(e)));
                } else {
                    // a table per batch (a row cannot wait for rows yet to come), its header once
                    String table = StatusTables.events(fresh, "");
                    out.print(header ? table.substring(table.indexOf('\n') + 1) : table);
                    header = true;
                }
                out.flush();
            }
        }
        return 0;
    }

    /**
     * {@code ctl watch}: the status again every {@code interval}, {@code count} times (0: until
     * interrupted, at most {@code maxFor}); on a terminal ({@code ansi}) each frame replaces the last
     * (clear screen, cursor home), otherwise frames follow each other under a separator line.
     */
    int watch(Duration interval, int count, Duration maxFor, boolean ansi) {
        long deadline = System.nanoTime() + maxFor.toNanos();
        int failures = 0;
        for (int frame = 1; count == 0 || frame <= count; frame++) {
            String text;
            try {
                text = statusText();
                failures = 0;
            } catch (Failed f) {
                text = f.getMessage() + "\n";
                failures++;
            }
            if (ansi) {
                out.print("\033[H\033[2J");
            } else if (frame > 1) {
                out.println();
            }
            out.print("every " + StatusTables.seconds(interval.toMillis()) + " (Ctrl-C to stop)  " + StatusTables.TIME.format(Instant.now())
                    + "\n" + text);
            out.flush();
            if (out.checkError()) {
                return 0; // the reader went away (a closed pipe)
            }
            if ((count != 0 && frame == count) || System.nanoTime() + interval.toNanos() > deadline || !sleep(interval)) {
                break;
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private static boolean sleep(Duration d) {
        try {
            Thread.sleep(d);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static List<Event> since(List<Event> events, Optional<Instant> since) {
        return since.map(t -> events.stream().filter(e -> e.at() != null && !e.at().isBefore(t)).toList()).orElse(events);
    }

    private List<Event> fetchEvents(int limit) {
        return Http.JSON.readValue(fetch("/v1/events?limit=" + limit).body(), EVENTS);
    }

    /** A call that failed, with the message to show. */
    private static final class Failed extends RuntimeException {
        Failed(String message) {
            super(message);
        }
    }

    private Http.Response fetch(String path) {
        Http.Response r;
        try {
            r = CliHttp.get(base + path, token);
        } catch (IOException e) {
            throw new Failed("cannot reach the arbiter at " + base + ": " + e.getMessage());
        }
        if (r.status() / 100 != 2) {
            throw new Failed("arbiter answered " + r.status() + ": " + detail(r));
        }
        return r;
    }

    int switchover(String to) {
        return print(() -> CliHttp.post(base + "/v1/switchover", token, json(new OperatorRequest.Switchover(SiteId.of(to)))));
    }

    int promote(String site, String reason, String operator) {
        return print(() -> CliHttp.post(base + "/v1/promote", token,
                json(OperatorRequest.Promote.forced(SiteId.of(site), reason, operator))));
    }

    int restored(String site, String what, String operator) {
        return print(() -> CliHttp.post(base + "/v1/restored", token, json(new OperatorRequest.Restored(SiteId.of(site), what, operator))));
    }

    int mode(Durability mode) {
        return print(() -> CliHttp.post(base + "/v1/mode", token, json(new OperatorRequest.Mode(mode))));
    }

    private static String json(Object o) {
        return Http.JSON.writeValueAsString(o);
    }

    private interface Call {
        Http.Response run() throws IOException;
    }

    private static String detail(Http.Response r) {
        if (r.body().isBlank()) {
            return "";
        }
        try {
            return r.json().path("detail").asString(r.body());
        } catch (RuntimeException notJson) {
            return r.body();
        }
    }

    private int print(Call call) {
        Http.Response r;
        try {
            r = call.run();
        } catch (IllegalArgumentException e) { // a site name the arbiter could not know: said before asking it
            err.println(e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("cannot reach the arbiter at " + base + ": " + e.getMessage());
            return 1;
        }
        if (r.status() / 100 != 2) {
            err.println("arbiter answered " + r.status() + ": " + detail(r));
            return 1;
        }
        out.println(r.body().isBlank() ? "ok" : Http.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.json()));
        return 0;
    }
}
