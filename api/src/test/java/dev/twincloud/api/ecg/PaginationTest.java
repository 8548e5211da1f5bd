package dev.twincloud.api.ecg;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class PaginationTest extends ApiTest {

    private List<String> store(String patient, int count, Instant first, long stepSeconds) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String at = first.plusSeconds(i * stepSeconds).toString();
            ids.add(api.post("/v1/ecgs", newKey(), recording(patient, at, 100, 1, 10)).json().path("id").asString());
        }
        return ids;
    }

    private List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.path("items").forEach(item -> ids.add(item.path("id").asString()));
        return ids;
    }

    @Test
    void pagesFollowRecordedAtOrderAndEndWithoutCursor() {
        String patient = newPatient();
        List<String> stored = store(patient, 7, Instant.parse("2026-02-01T00:00:00Z"), 60);

        JsonNode page1 = api.get("/v1/ecgs?patientRef=" + patient + "&limit=3").json();
        JsonNode page2 = api.get("/v1/ecgs?patientRef=" + patient + "&limit=3&cursor=" + page1.path("nextCursor").asString()).json();
        JsonNode page3 = api.get("/v1/ecgs?patientRef=" + patient + "&limit=3&cursor=" + page2.path("nextCursor").asString()).json();

        assertThat(ids(page1)).isEqualTo(stored.subList(0, 3));
        assertThat(ids(page2)).isEqualTo(stored.subList(3, 6));
        assertThat(ids(page3)).isEqualTo(stored.subList(6, 7));
        assertThat(page3.path("nextCursor").isNull()).isTrue();
    }

    @Test
    void timeRangeIsFromInclusiveToExclusive() {
        String patient = newPatient();
        List<String> stored = store(patient, 5, Instant.parse("2026-02-01T00:00:00Z"), 3600);

        JsonNode page = api.get("/v1/ecgs?patientRef=" + patient
                + "&from=2026-02-01T01:00:00Z&to=2026-02-01T03:00:00Z").json();

        assertThat(ids(page)).isEqualTo(stored.subList(1, 3));
    }

    @Test
    void pagingIsStableWhileRecordingsAreInserted() {
        String patient = newPatient();
        Instant base = Instant.parse("2026-04-01T00:00:00Z");
        List<String> original = store(patient, 20, base, 60);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int page = 0;
        do {
            JsonNode json = api.get("/v1/ecgs?patientRef=" + patient + "&limit=4"
                    + (cursor == null ? "" : "&cursor=" + cursor)).json();
            seen.addAll(ids(json));
            cursor = json.path("nextCursor").isNull() ? null : json.path("nextCursor").asString();
            // Between pages, others insert: one before everything read so far, one ahead, one at an equal time.
            store(patient, 1, base.minusSeconds(3600 + page), 0);
            store(patient, 1, base.plusSeconds(30 + 60L * 4 * page), 0);
            store(patient, 1, base.plusSeconds(60L * 4 * page), 0);
            page++;
        } while (cursor != null && page < 50);

        Set<String> unique = new HashSet<>(seen);
        assertThat(unique).hasSameSizeAs(seen); // no duplicates
        assertThat(seen).containsAll(original); // no skips of what existed when paging began
        assertThat(seen.stream().filter(original::contains).toList()).isEqualTo(original); // in order
    }

    @Test
    void tamperedOrGarbageCursorsAre400Problems() {
        String patient = newPatient();
        store(patient, 3, Instant.parse("2026-02-01T00:00:00Z"), 60);
        String cursor = api.get("/v1/ecgs?patientRef=" + patient + "&limit=1").json().path("nextCursor").asString();
        String decoded = new String(Base64.getUrlDecoder().decode(cursor));
        String tampered = Base64.getUrlEncoder().withoutPadding().encodeToString(decoded.replace("v1:", "v9:").getBytes());

        for (String bad : List.of("garbage!", "abc", tampered, cursor.substring(0, cursor.length() - 3),
                Base64.getUrlEncoder().encodeToString("v1:12:not-a-uuid".getBytes()))) {
            Http.Response r = api.get("/v1/ecgs?cursor=" + bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.contentType()).isEqualTo("application/problem+json");
            assertThat(r.errorFields()).containsExactly("cursor");
        }
    }

    @Test
    void pageSizeMustBeWithinLimits() {
        assertThat(api.get("/v1/ecgs?limit=0").errorFields()).containsExactly("limit");
        assertThat(api.get("/v1/ecgs?limit=101").errorFields()).containsExactly("limit");
        assertThat(api.get("/v1/ecgs?limit=ten").status()).isEqualTo(400);
        assertThat(api.get("/v1/ecgs?from=yesterday").errorFields()).containsExactly("from");
        assertThat(api.get("/v1/ecgs?limit=100").status()).isEqualTo(200);
    }
}
