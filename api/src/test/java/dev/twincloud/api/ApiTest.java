package dev.twincloud.api;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the tests that share one Spring context: the real jar's configuration on a random port,
 * against {@link SharedPostgres}, trusting {@link TestTokens}. Subclasses must not add
 * configuration, or they would start a second context.
 *
 * <p>Production roles: the API connects as {@value ProductionDatabase#APP} (owns nothing, DML only),
 * Flyway as {@value ProductionDatabase#OWNER}; the guard is installed and this site holds a lease, so
 * the lease is required as in production. {@link #jdbc} is the API's own role: anything it may not do
 * (DDL, TRUNCATE) goes through {@link SharedPostgres#superuser()}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "twincloud.embedded-postgres.enabled=false",
        "twincloud.api.data-dir=target/test-data"})
public abstract class ApiTest {

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcClient jdbc;

    protected Http api;

    @DynamicPropertySource
    static void sharedDatabase(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", SharedPostgres::jdbcUrl);
        registry.add("spring.datasource.username", () -> ProductionDatabase.APP);
        registry.add("spring.datasource.password", () -> "");
        registry.add("twincloud.api.migrations.user", () -> ProductionDatabase.OWNER);
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", TestTokens::publicKeyLocation);
    }

    @BeforeEach
    void client() {
        api = new Http(port, TestTokens.readWrite());
    }

    /** Row counts of every application table: "the database is unchanged" means these are equal. */
    protected Map<String, Long> rowCounts() {
        return Map.of(
                "ecg_recording", count("ecg_recording"),
                "ecg_lead", count("ecg_lead"),
                "ecg_annotation", count("ecg_annotation"),
                "idempotency_key", count("idempotency_key"));
    }

    private long count(String table) {
        return jdbc.sql("select count(*) from " + table).query(Long.class).single();
    }

    protected static String newKey() {
        return UUID.randomUUID().toString();
    }

    protected static String newPatient() {
        return "patient-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A recording body: {@code leads} leads of {@code samples} int16 samples each. */
    protected static String recording(String patientRef, String recordedAt, int rate, int leads, int samples) {
        StringBuilder json = new StringBuilder()
                .append("{\"patientRef\":\"").append(patientRef).append("\",\"recordedAt\":\"").append(recordedAt)
                .append("\",\"samplingRateHz\":").append(rate).append(",\"device\":\"test-rig\",\"leads\":{");
        String[] names = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "X", "Y", "Z", "W", "Q"};
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int l = 0; l < leads; l++) {
            json.append(l == 0 ? "" : ",").append('"').append(l < names.length ? names[l] : "L" + l).append("\":[");
            for (int s = 0; s < samples; s++) {
                json.append(s == 0 ? "" : ",").append(random.nextInt(-2000, 2001));
            }
            json.append(']');
        }
        return json.append("}}").toString();
    }

    protected static String recording(String patientRef) {
        return recording(patientRef, "2026-01-01T10:00:00Z", 500, 12, 5000);
    }
}
