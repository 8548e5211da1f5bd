package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MachineCpuTest {

    @Test
    void busyIsEverythingButIdleAndIoWaitAndGuestsAreNotCountedTwice() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        MachineCpu a = MachineCpu.parse("cpu  100 5 50 800 20 3 2 0 40 0");
        assertThat(a.total()).isEqualTo(980);
        assertThat(a.busy()).isEqualTo(160);
        MachineCpu b = MachineCpu.parse("cpu  190 5 80 870 30 3 2 0 90 0");
        assertThat(b.busySince(a)).hasValueSatisfying(v -> assertThat(v).isEqualTo(120.0 / 200));
        assertThat(a.busySince(a)).isEmpty();
    }

    @Test
    void anotherLineIsRefused() {
        assertThatThrownBy(() -> MachineCpu.parse("cpu0 1 2 3 4 5")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void thisMachineCountsTicks() throws InterruptedException {
        MachineCpu before = MachineCpu.now().orElseThrow();
        long end = System.nanoTime() + 200_000_000L;
        long spin = 0;
        while (System.nanoTime() < end) {
            spin++;
        }
        assertThat(spin).isPositive();
        assertThat(MachineCpu.now().orElseThrow().busySince(before)).hasValueSatisfying(v -> assertThat(v).as("one CPU of this JVM's spun").isBetween(0.25, 1.0));
    }
}
