package dev.twincloud.lab.drill;

import dev.twincloud.core.log.RequestId;
import dev.twincloud.lab.drill.History.Op;
import dev.twincloud.lab.drill.History.OpType;
import dev.twincloud.lab.drill.History.Outcome;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** One drill client's calls to the ECG API through the edge, each recorded as an {@link Op}. */
final class DrillClient {
    static final int SAMPLES_PER_LEAD = 50;
    static final int BYTES = 2 * 2 * SAMPLES_PER_LEAD; // two leads of int16 samples
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private static final String LEADS;

    static {
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < SAMPLES_PER_LEAD; i++) {
            a.append(i == 0 ? "" : ",").append(i);
            b.append(i == 0 ? "" : ",").append(-i);
        }
        LEADS = "{\"I\":[" + a + "],\"II\":[" + b + "]}";
    }

    private final String base;
    private final String token;
    private final History history;
    private final Duration timeout;

    /** The site this client talks to straight (its API), or empty when it goes through the edge. */
    private final String directSite;
    /** The entry this client goes through, recorded on each op ({@code edge}, {@code edge-gcp}, ...); empty: not recorded. */
    private final String entry;
    /**
     * Read-local: send {@code Twincloud-Min-Lsn} with the most this client has seen in any answer's {@code Twincloud-Lsn}
     * (its own writes' and its reads'), so that every read reflects at least that (read-your-writes, monotonic reads).
     */
    private final boolean readLocal;
    /** The highest {@code Twincloud-Lsn} seen in a 2xx answer, -1 before the first. One client thread: no sharing. */
    private long maxLsn = -1;

    DrillClient(String base, String token, History history, Duration timeout) {
        this(base, token, history, timeout, "");
    }

    DrillClient(String base, String token, History history, Duration timeout, String directSite) {
        this(base, token, history, timeout, directSite, "", false);
    }

    DrillClient(String base, String token, History history, Duration timeout, String directSite, String entry, boolean readLocal) {
        this.base = base;
        this.token = token;
        this.history = history;
        this.timeout = timeout;
        this.directSite = directSite;
        this.entry = entry;
        this.readLocal = readLocal;
    }

    /** The request header read-local clients send: the least WAL position a read must reflect. */
    static final String MIN_LSN_HEADER = "Twincloud-Min-Lsn";
    /** The answer's WAL position (a write's commit, a read's snapshot). */
    static final String LSN_HEADER = "Twincloud-Lsn";

    /** The Min-Lsn this client sends now: the most it has seen, empty when not read-local or nothing seen yet. */
    private String minLsn() {
        return readLocal && maxLsn >= 0 ? dev.twincloud.lab.backup.Lsn.format(maxLsn) : "";
    }

    /** The answer's {@code Twincloud-Lsn} (empty when absent); a 2xx one raises what this client has seen. */
    private String learn(HttpResponse<?> r) {
        String lsn = r.headers().firstValue(LSN_HEADER).map(String::trim).orElse("");
        if (!lsn.isEmpty() && r.statusCode() / 100 == 2) {
            try {
                maxLsn = Math.max(maxLsn, dev.twincloud.lab.backup.Lsn.parse(lsn));
            } catch (IllegalArgumentException e) {
                // unreadable: recorded as is on the op (the checker cannot order it), not learnt
            }
        }
        return lsn;
    }

    private HttpRequest.Builder withMinLsn(HttpRequest.Builder b, String minLsn) {
        return minLsn.isEmpty() ? b : b.header(MIN_LSN_HEADER, minLsn);
    }

    /** The body for a key: the key is stored in {@code notes}, so the checker finds every effect of it. */
    static String body(String key) {
        return "{\"patientRef\":\"drill\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,\"notes\":\"" + key
                + "\",\"leads\":" + LEADS + "}";
    }

    Op write(int client, String key, int attempt) {
        String requestId = RequestId.create();
        String minLsn = minLsn();
        HttpRequest req = withMinLsn(HttpRequest.newBuilder(URI.create(base + "/v1/ecgs")).timeout(timeout), minLsn)
                .header(RequestId.HEADER, requestId)
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body(key))).build();
        double t0 = history.now();
        int status = 0;
        String site = "";
        String id = null;
        boolean replayed = false;
        String detail = "";
        String lsn = "";
        try {
            HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
            status = r.statusCode();
            lsn = learn(r);
            site = site(r);
            detail = detail(r);
            replayed = r.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase).orElse(false);
            if (status == 200 || status == 201) {
                id = r.headers().firstValue("Location").map(l -> l.substring(l.lastIndexOf('/') + 1)).orElse(null);
            }
        } catch (IOException e) {
            status = 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // 503 is a refusal (the API stores nothing, the edge had no backend); no answer, or a proxy
        // error mid-request, may or may not have committed
        Outcome o = status == 200 || status == 201 ? Outcome.OK
                : status == 0 || (status >= 500 && status != 503) ? Outcome.INFO : Outcome.FAIL;
        Op op = new Op(client, OpType.WRITE, key, t0, history.now(), o, status, site, id, history.lastEpoch(), BYTES, attempt, replayed,
                "", -1, detail, Double.NaN, requestId, lsn, minLsn, entry);
        history.add(op);
        return op;
    }

    /** The prefix of an {@link Op#detail()} that marks an answer the edge made itself ({@code Twincloud-Edge}). */
    static final String EDGE_MADE = "edge:";

    /** {@code edge:<reason>} when the edge made the answer itself (its {@code Twincloud-Edge} header), else empty. */
    static String edgeMade(HttpResponse<?> r) {
        return r.headers().firstValue("Twincloud-Edge").map(v -> EDGE_MADE + v.trim()).orElse("");
    }

    /** Read-local: the site whose API forwarded the request to the other site's ({@code Twincloud-Forwarded-By}). */
    static final String FORWARDED_BY_HEADER = "Twincloud-Forwarded-By";
    /** The prefix of an {@link Op#detail()} that marks an answer forwarded by a site's API to the other's. */
    static final String FORWARDED = "forwarded-by:";

    /**
     * {@code Twincloud-Site}, or the edge's {@code X-Twincloud-Site}, or the site asked straight. An answer another site's
     * API forwarded without saying which site served it has no known site (empty): the edge and the site asked name the
     * forwarder, not the one that served it.
     */
    private String site(HttpResponse<?> r) {
        java.util.Optional<String> own = r.headers().firstValue("Twincloud-Site");
        if (own.isPresent() || r.headers().firstValue(FORWARDED_BY_HEADER).isEmpty()) {
            return own.or(() -> r.headers().firstValue("X-Twincloud-Site")).orElse(directSite);
        }
        return "";
    }

    /** {@code edge:<reason>} for an answer the edge made, {@code forwarded-by:<site>} for a forwarded one, else empty. */
    private static String detail(HttpResponse<?> r) {
        String edge = edgeMade(r);
        return !edge.isEmpty() ? edge : r.headers().firstValue(FORWARDED_BY_HEADER).map(v -> FORWARDED + v.trim()).orElse("");
    }

    private static long parseLong(String v) {
        try {
            return Math.max(0, Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE; // a bound nobody can check is no bound
        }
    }

    Op read(int client, String key, String id) {
        String requestId = RequestId.create();
        String minLsn = minLsn();
        HttpRequest req = withMinLsn(HttpRequest.newBuilder(URI.create(base + "/v1/ecgs/" + id)).timeout(timeout), minLsn)
                .header(RequestId.HEADER, requestId)
                .header("Authorization", "Bearer " + token).GET().build();
        double t0 = history.now();
        int status = 0;
        String site = "";
        String role = "";
        long staleness = -1;
        String detail = "";
        String lsn = "";
        try {
            HttpResponse<Void> r = HTTP.send(req, HttpResponse.BodyHandlers.discarding());
            status = r.statusCode();
            lsn = learn(r);
            site = site(r);
            detail = detail(r);
            role = r.headers().firstValue("Twincloud-Role").orElse("").trim().toLowerCase(java.util.Locale.ROOT);
            staleness = r.headers().firstValue("Twincloud-Staleness-Ms").map(DrillClient::parseLong).orElse(-1L);
        } catch (IOException e) {
            status = 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Outcome o = status == 200 ? Outcome.OK : status == 0 ? Outcome.INFO : Outcome.FAIL;
        Op op = new Op(client, OpType.READ, key, t0, history.now(), o, status, site, id, history.lastEpoch(), 0, 1, false,
                role, staleness, detail, Double.NaN, requestId, lsn, minLsn, entry);
        history.add(op);
        return op;
    }
}
