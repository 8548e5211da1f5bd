package dev.twincloud.arbiter.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TickerTest {

    @Test
    void keepsDecidingEvenAfterATickFails() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch five = new CountDownLatch(5);
        Ticker ticker = new Ticker(() -> {
            five.countDown();
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("disk full");
            }
        }, Duration.ofMillis(5));

        ticker.start();
        try {
            assertThat(five.await(5, TimeUnit.SECONDS)).as("five ticks, one of them failing").isTrue();
            assertThat(ticker.isRunning()).isTrue();
        } finally {
            ticker.stop();
        }
        assertThat(ticker.isRunning()).isFalse();
        int after = calls.get();
        Thread.sleep(50);
        assertThat(calls.get()).as("no tick after stop").isEqualTo(after);
    }
}
