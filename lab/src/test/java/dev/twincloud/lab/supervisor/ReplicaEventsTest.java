package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Each arbiter replica keeps only the events it recorded while it acted; the drill judges a run against all of
 * them, so the lab merges the replicas' {@code events.jsonl} files in time order.
 */
class ReplicaEventsTest {

    @Test
    void twoHistoriesAreMergedInTimeOrderAndATornLastLineIsSkipped(@TempDir Path dir) throws Exception {
        Path one = dir.resolve("arbiter-1/events.jsonl");
        Path two = dir.resolve("arbiter-2/events.jsonl");
        Files.createDirectories(one.getParent());
        Files.createDirectories(two.getParent());
        Files.writeString(one, """
                {"at":"2026-11-30T12:00:00.100Z","kind":"ARBITER_STARTED","epoch":1,"site":null,"why":"elected replica arbiter-1"}
                {"at":"2026-11-30T12:00:05.000Z","kind":"FAILOVER","epoch":2,"site":"aws","why":"lease of gcp ended"}
                {"at":"2026-11-30T12:00:06.0""");
        Files.writeString(two, """
                {"at":"2026-11-30T12:00:09.500Z","kind":"ARBITER_STARTED","epoch":2,"site":null,"why":"elected replica arbiter-2"}

                {"at":"2026-11-30T12:00:01.000Z","kind":"LEASE_FIRST_GRANT","epoch":1,"site":"gcp","why":"first lease"}
                """);
        List<JsonNode> merged = Lab.mergeEvents(List.of(one, two, dir.resolve("arbiter-3/events.jsonl")));
        assertThat(merged).extracting(n -> n.path("kind").asString())
                .containsExactly("ARBITER_STARTED", "LEASE_FIRST_GRANT", "FAILOVER", "ARBITER_STARTED");
        assertThat(merged.get(2).path("site").asString()).as("the promotion recorded by the replica that later died").isEqualTo("aws");
    }
}
