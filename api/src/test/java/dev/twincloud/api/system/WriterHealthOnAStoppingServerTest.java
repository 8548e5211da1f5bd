package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import dev.twincloud.pgctl.junit.PostgresExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The writer health against a real PostgreSQL that is shutting down: a smart shutdown (SIGTERM) held
 * open by one client, so the server answers every new connection "the database system is shutting
 * down" (SQLSTATE 57P03) from a process it forks — as a switchover's old writer does while its fast
 * shutdown waits for its backends. The refresher, with the lab's 50 ms interval, asks such a server
 * only about every {@link WriterHealth#SERVER_REFUSAL_PAUSE} (each ask is one more process the server
 * waits for before it can finish stopping), and requests are turned away at once the whole time.
 */
class WriterHealthOnAStoppingServerTest {

    @RegisterExtension
    PostgresExtension pg = PostgresExtension.create();

    @Test
    void aStoppingServerIsAskedOnlyEveryPauseAndRequestsAreTurnedAwayAllTheWhile() throws Exception {
        var health = new WriterHealth(pg.jdbcUrl(), pg.username(), "", false, Duration.ofMillis(50), Duration.ofSeconds(1),
                Duration.ofMillis(1500), System::nanoTime);
        try (Connection holder = pg.server().connect()) {
            long postmaster = Long.parseLong(Files.readAllLines(pg.server().dataDir().resolve("postmaster.pid")).get(0).trim());
            health.start();
            assertThat(health.answer().role()).as("a primary answers before the stop").isEqualTo("primary");

            assertThat(ProcessHandle.of(postmaster).orElseThrow().destroy()).as("SIGTERM: smart shutdown").isTrue();
            // sessions go on in a smart shutdown: the refresher's own one is ended, as a fast shutdown ends it
            try (var st = holder.createStatement()) {
                st.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'twincloud-api-writer-health'");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!String.valueOf(health.snapshot().error()).contains("shutting down") && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(health.snapshot().error()).contains("the database system is shutting down");
            assertThat(health.snapshot().refused()).isTrue();

            Set<Long> refreshes = new HashSet<>();
            int turnedAway = 0;
            int looks = 0;
            long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < end) {
                refreshes.add(health.snapshot().sentNanos());
                health.probedNotWriter(); // the edge probing every 10 ms while no site is healthy
                looks++;
                if (health.databaseRefusing().isPresent()) {
                    turnedAway++;
                }
                Thread.sleep(5);
            }
            // at 50 ms (and nudged by probes) that was about 40 asks in 2 s; every 250 ms it is about 8
            assertThat(refreshes.size()).as("asks in 2 s while the server is shutting down").isBetween(2, 14);
            assertThat(turnedAway).as("requests turned away at once all along").isEqualTo(looks);
        } finally {
            health.stop();
        }
    }
}
