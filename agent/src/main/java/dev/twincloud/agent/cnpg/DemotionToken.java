package dev.twincloud.agent.cnpg;

import dev.twincloud.core.protocol.Lsn;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;
import java.util.Optional;

/**
 * CloudNativePG's demotion token ({@code .status.demotionToken} of a demoted Cluster): base64 JSON
 * with the shutdown checkpoint's pg_controldata values. Handed unchanged to the promoted Cluster
 * as {@code .spec.replica.promotionToken}; CloudNativePG then promotes only once that replica has
 * the same system identifier and has replayed up to the checkpoint. twincloud also reads the
 * checkpoint position from it: it is the {@code stopLsn} the arbiter waits for.
 *
 * @param encoded  the token as CloudNativePG wrote it
 * @param systemId database system identifier
 * @param timeline timeline of the shutdown checkpoint
 * @param redo     the checkpoint's REDO location (for a shutdown checkpoint: the checkpoint itself)
 */
public record DemotionToken(String encoded, String systemId, int timeline, Lsn redo) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Parses a token; empty when it is absent or not a CloudNativePG token. */
    public static Optional<DemotionToken> parse(String encoded) {
        if (encoded == null || encoded.isBlank()) {
            return Optional.empty();
        }
        try {
            Map<?, ?> n = JSON.readValue(Base64.getDecoder().decode(encoded.trim()), Map.class);
            String system = field(n, "databaseSystemIdentifier");
            String redo = field(n, "latestCheckpointREDOLocation");
            String timeline = field(n, "latestCheckpointTimelineID");
            if (system.isEmpty() || redo.isEmpty() || timeline.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new DemotionToken(encoded.trim(), system, Integer.parseInt(timeline), Lsn.parse(redo)));
        } catch (IllegalArgumentException | JacksonException e) {
            return Optional.empty();
        }
    }

    /** Case-insensitive: CloudNativePG's JSON keys have changed case between releases. */
    private static String field(Map<?, ?> n, String name) {
        for (Map.Entry<?, ?> e : n.entrySet()) {
            if (String.valueOf(e.getKey()).equalsIgnoreCase(name) && e.getValue() != null) {
                return String.valueOf(e.getValue());
            }
        }
        return "";
    }

    /** A token as CloudNativePG encodes it (tests, tools). */
    public static String encode(String systemId, int timeline, Lsn redo, String walFile) {
        String json = "{\"latestCheckpointTimelineID\":\"" + timeline + "\",\"redoWalFile\":\"" + walFile
                + "\",\"databaseSystemIdentifier\":\"" + systemId + "\",\"latestCheckpointREDOLocation\":\"" + redo
                + "\",\"timeOfLatestCheckpoint\":\"\",\"operatorVersion\":\"twincloud\"}";
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
