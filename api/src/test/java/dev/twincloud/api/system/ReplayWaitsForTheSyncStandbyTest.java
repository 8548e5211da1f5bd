package dev.twincloud.api.system;

import dev.twincloud.core.protocol.Lsn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.twincloud.api.Http;
import dev.twincloud.api.ProductionDatabase;
import dev.twincloud.api.TestTokens;
import dev.twincloud.pgctl.junit.ReplicatedPostgresExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * docs/design.md rules 4 and 8: an idempotent replay is as durable as a first answer. The writer runs
 * with a synchronous standby. A write whose key row is committed on the primary but not yet on the
 * standby — what a cancelled synchronous-replication wait or a crash restart of the primary leaves
 * behind — must not be acknowledged by a replay until the standby has it: otherwise a failover right
 * after that 201 loses an acknowledged write.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "twincloud.embedded-postgres.enabled=false",
        "twincloud.api.data-dir=target/test-data"})
class ReplayWaitsForTheSyncStandbyTest {

    @RegisterExtension
    static ReplicatedPostgresExtension pair = ReplicatedPostgresExtension.create().sync(true);

    static String url;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void primaryDatabase(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> {
            if (url == null) {
                url = pair.primary().createDatabase("api");
                ProductionDatabase.prepare(url, pair.primary().superuser(), "", "gcp", true);
            }
            return url;
        });
        registry.add("spring.datasource.username", () -> ProductionDatabase.APP);
        registry.add("spring.datasource.password", () -> "");
        registry.add("twincloud.api.migrations.user", () -> ProductionDatabase.OWNER);
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", TestTokens::publicKeyLocation);
    }

    @Test
    void aReplayAnswersOnlyOnceTheOriginalWriteIsOnTheSynchronousStandby() throws Exception {
        Http api = new Http(port, TestTokens.readWrite());
        String body = ApiTestBodies.small();
        Http.Response first = api.post("/v1/ecgs", UUID.randomUUID().toString(), body);
        assertThat(first.status()).isEqualTo(201);

        String walReceiver = pair.standby().queryString("select pid from pg_stat_wal_receiver");
        assertThat(walReceiver).as("the standby streams").isNotBlank();
        String key = UUID.randomUUID().toString();
        signal("STOP", walReceiver);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            // The same request under another key, committed on the primary only (as after a cancelled
            // synchronous-replication wait): its stored answer is the one the replay must not give early.
            try (Connection su = DriverManager.getConnection(url, pair.primary().superuser(), "");
                    Statement s = su.createStatement();
                    PreparedStatement copy = su.prepareStatement("""
                            insert into idempotency_key (caller, key, request_hash, response_status, location, response_body)
                            select caller, ?, request_hash, response_status, location, response_body from idempotency_key
                             where location = ?""")) {
                s.execute("set synchronous_commit = local");
                copy.setString(1, key);
                copy.setString(2, first.header("Location"));
                assertThat(copy.executeUpdate()).isEqualTo(1);
            }

            Future<Http.Response> replay = threads.submit(() -> api.post("/v1/ecgs", key, body));
            assertThatThrownBy(() -> {
                Http.Response early = replay.get(2, TimeUnit.SECONDS);
                throw new AssertionError("answered early: " + early.status() + " " + early.body());
            }).as("the replay must wait while the synchronous standby lacks the original write")
                    .isInstanceOf(TimeoutException.class);

            signal("CONT", walReceiver);
            Http.Response answer = replay.get(30, TimeUnit.SECONDS);
            assertThat(answer.status()).isEqualTo(201);
            assertThat(answer.header("Idempotent-Replayed")).isEqualTo("true");
            assertThat(answer.storedJson()).isEqualTo(first.storedJson());
            assertThat(Lsn.parse(answer.header("Twincloud-Lsn"))).as("a replay commits again, later").isGreaterThanOrEqualTo(Lsn.parse(first.header("Twincloud-Lsn")));
        } finally {
            signal("CONT", walReceiver);
        }
    }

    /**
     * docs/design.md rule 4 for the first answer: when the wait for the synchronous standby is cancelled
     * (pg_cancel_backend; not a statement_timeout: PostgreSQL disarms it before the commit itself), PostgreSQL keeps the local commit and only
     * warns. The API must not turn that into a 201; a 503 makes the client retry, and the retry is a
     * replay that answers once the standby has the write.
     */
    @Test
    void aWriteWhoseStandbyConfirmationWasCancelledIsNotAcknowledged() throws Exception {
        Http api = new Http(port, TestTokens.readWrite());
        String body = ApiTestBodies.small();
        String key = UUID.randomUUID().toString();
        String walReceiver = pair.standby().queryString("select pid from pg_stat_wal_receiver");
        signal("STOP", walReceiver);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Http.Response> write = threads.submit(() -> api.post("/v1/ecgs", key, body));
            String waiting = null;
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); waiting == null && System.nanoTime() < deadline; ) {
                Thread.sleep(50);
                waiting = pair.primary().queryString("select pid from pg_stat_activity where usename = '"
                        + ProductionDatabase.APP + "' and wait_event = 'SyncRep'");
            }
            assertThat(waiting).as("the write waits for the synchronous standby").isNotNull();
            assertThat(pair.primary().queryBoolean("select pg_cancel_backend(" + waiting + ")")).isTrue();

            Http.Response answer = write.get(30, TimeUnit.SECONDS);
            assertThat(answer.status()).as("committed locally only: no acknowledgement").isEqualTo(503);
            assertThat(answer.header("Retry-After")).isEqualTo("1");
            assertThat(answer.json().path("type").asString()).endsWith("/write-unconfirmed");

            Future<Http.Response> retry = threads.submit(() -> api.post("/v1/ecgs", key, body));
            assertThatThrownBy(() -> {
                Http.Response early = retry.get(2, TimeUnit.SECONDS);
                throw new AssertionError("answered early: " + early.status() + " " + early.body());
            }).isInstanceOf(TimeoutException.class);
            signal("CONT", walReceiver);
            Http.Response replayed = retry.get(30, TimeUnit.SECONDS);
            assertThat(replayed.status()).isEqualTo(201);
            assertThat(replayed.header("Idempotent-Replayed")).isEqualTo("true");
        } finally {
            signal("CONT", walReceiver);
        }
    }

    private static void signal(String signal, String pid) {
        dev.twincloud.pgctl.Processes.signal(signal, Long.parseLong(pid));
    }
}
