package dev.twincloud.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class RequestIdTest {

    @Test
    void keepsShortSafeIdsAndReplacesEverythingElse() {
        assertThat(RequestId.accept("abc-DEF_1.2:3")).contains("abc-DEF_1.2:3");
        assertThat(RequestId.accept("x".repeat(RequestId.MAX_LENGTH))).isPresent();
        for (String bad : new String[] {null, "", "x".repeat(RequestId.MAX_LENGTH + 1), "a b", "a\nb", "a'b", "a\"b", "é", "a/b"}) {
            assertThat(RequestId.accept(bad)).as(String.valueOf(bad)).isEmpty();
            String created = RequestId.acceptOrCreate(bad);
            assertThat(UUID.fromString(created).toString()).isEqualTo(created);
        }
    }

    @Test
    void theApplicationNameCarriesTheIdAndFitsPostgresLimit() {
        String longest = "y".repeat(RequestId.MAX_LENGTH);
        String applicationName = RequestId.APPLICATION_NAME_PREFIX + longest;
        assertThat(applicationName.length()).as("PostgreSQL keeps 63 bytes of application_name").isLessThanOrEqualTo(63);
        assertThat(RequestId.fromApplicationName(applicationName)).contains(longest);
        assertThat(RequestId.fromApplicationName("twincloud-api")).isEmpty();
        assertThat(RequestId.fromApplicationName("psql")).isEmpty();
        assertThat(RequestId.fromApplicationName(null)).isEmpty();
    }

    @Test
    void logSafePathsShowNoQueryAndOnlyAHashOfPatientReferences() {
        assertThat(LogSafe.path("/v1/patients/p-123/summary?x=1")).isEqualTo("/v1/patients/" + LogSafe.hash("p-123") + "/summary");
        assertThat(LogSafe.path("/v1/ecgs/0199?patientRef=p-123")).isEqualTo("/v1/ecgs/0199");
        assertThat(LogSafe.path("")).isEqualTo("/");
        assertThat(LogSafe.hash("p-123")).matches("sha256:[0-9a-f]{12}").isEqualTo(LogSafe.hash("p-123")).isNotEqualTo(LogSafe.hash("p-124"));
    }
}
