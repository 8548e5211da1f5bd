package dev.twincloud.lab.cli;

import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.OperatorRequest;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Http;
import java.io.IOException;
import java.io.PrintWriter;

/** The operator verbs against an arbiter's HTTP API; shared by {@code ctl} and {@code lab}. */
final class ArbiterCalls {
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

    int status() {
        return print(() -> Http.get(base + "/v1/status", token));
    }

    int events(int limit) {
        return print(() -> Http.get(base + "/v1/events?limit=" + limit, token));
    }

    int switchover(String to) {
        return print(() -> Http.post(base + "/v1/switchover", token, json(new OperatorRequest.Switchover(SiteId.of(to)))));
    }

    int promote(String site, String reason, String operator) {
        return print(() -> Http.post(base + "/v1/promote", token,
                json(OperatorRequest.Promote.forced(SiteId.of(site), reason, operator))));
    }

    int mode(Durability mode) {
        return print(() -> Http.post(base + "/v1/mode", token, json(new OperatorRequest.Mode(mode))));
    }

    private static String json(Object o) {
        return Http.JSON.writeValueAsString(o);
    }

    private interface Call {
        Http.Response run() throws IOException;
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
            String detail = r.body().isBlank() ? "" : r.json().path("detail").asString(r.body());
            err.println("arbiter answered " + r.status() + ": " + detail);
            return 1;
        }
        out.println(r.body().isBlank() ? "ok" : Http.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.json()));
        return 0;
    }
}
