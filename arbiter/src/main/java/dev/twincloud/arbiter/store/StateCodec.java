package dev.twincloud.arbiter.store;

import dev.twincloud.arbiter.StartupRefused;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.DurableState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The stored form of a {@link DurableState}, the same JSON in every {@link StateStore}: a format
 * number for later migrations, when it was saved, the state. Reading checks that the state fits this
 * arbiter (its sites, a sane epoch); one that does not stops the start-up rather than starting over.
 */
final class StateCodec {

    static final int FORMAT = 1;

    /** The stored shape. */
    record StoredState(int format, Instant savedAt, DurableState state) {
    }

    private final JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private final ArbiterConfig config;

    StateCodec(ArbiterConfig config) {
        this.config = config;
    }

    byte[] encode(DurableState state) {
        return json.writeValueAsBytes(new StoredState(FORMAT, Instant.now(), state));
    }

    /**
     * @param where  what held the bytes, for the message ("the state file /x/state.json")
     * @param action what a human should do about a corrupt state there
     */
    DurableState decode(byte[] bytes, String where, String action) {
        StoredState stored;
        try {
            stored = json.readValue(bytes, StoredState.class);
        } catch (JacksonException e) {
            throw corrupt(where, action, "it is not valid state JSON (" + e.getOriginalMessage() + ")", e);
        } catch (RuntimeException e) {
            throw corrupt(where, action, "it holds invalid values (" + e.getMessage() + ")", e);
        }
        if (stored == null || stored.state() == null) {
            throw corrupt(where, action, "it holds no state", null);
        }
        if (stored.format() != FORMAT) {
            throw corrupt(where, action, "its format is " + stored.format() + ", this arbiter reads format " + FORMAT, null);
        }
        List<String> problems = new ArrayList<>();
        DurableState s = stored.state();
        if (s.epoch() < 1) {
            problems.add("epoch " + s.epoch() + " < 1");
        }
        if (s.writer() == null || !config.knows(s.writer())) {
            problems.add("writer '" + s.writer() + "' is not one of the configured sites " + config.sites());
        }
        if (s.mode() == null) {
            problems.add("mode is missing");
        }
        if (s.switchover() == null) {
            problems.add("switchover is missing");
        } else {
            s.switchover().ifPresent(sw -> {
                if (sw.from() == null || sw.to() == null || sw.startedAt() == null
                        || !config.knows(sw.from()) || !config.knows(sw.to())) {
                    problems.add("the switchover in progress names unknown sites or no start: " + sw);
                }
            });
        }
        if (s.leaseEpoch() < 0 || s.leaseEpoch() > s.epoch()) {
            problems.add("lease epoch " + s.leaseEpoch() + " is outside 0.." + s.epoch());
        }
        List<String> unknownSites = s.heard().keySet().stream().filter(site -> !config.knows(site))
                .map(String::valueOf).sorted().toList();
        if (!unknownSites.isEmpty()) {
            problems.add("heard places name sites that are not configured: " + unknownSites);
        }
        if (!problems.isEmpty()) {
            throw corrupt(where, action, "it does not fit this arbiter: " + String.join("; ", problems), null);
        }
        return s;
    }

    private static StartupRefused corrupt(String where, String action, String why, Throwable cause) {
        return new StartupRefused(where + " is corrupt or unusable: " + why, action, cause);
    }

    /** What to tell a human whose stored state is corrupt; {@code how} names the tool that edits it. */
    static String repairAction(String how) {
        return "Restore the state from a backup or repair it by hand (" + how + "), keeping the epoch at least as high "
                + "as any site has seen. Deleting it starts over at epoch 1, which is only safe when both sites are "
                + "re-initialised too.";
    }
}
