package dev.twincloud.lab.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The whole machine's CPU time so far, from the first line of {@code /proc/stat} (in clock ticks, every CPU summed):
 * how busy the machine was between two reads. For the benchmarks that run every part of both sites on one machine,
 * so a figure can be read against how much CPU was left (docs/benchmarks.md, run 12).
 *
 * @param busy  ticks spent in anything but idle and I/O wait
 * @param total all ticks
 */
record MachineCpu(long busy, long total) {

    /** Now, or empty where there is no {@code /proc/stat} (not Linux). */
    static Optional<MachineCpu> now() {
        try {
            return Optional.of(parse(Files.readAllLines(Path.of("/proc/stat")).getFirst()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The {@code cpu} line: user nice system idle iowait irq softirq steal [guest guest_nice], guests already in user. */
    static MachineCpu parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (!f[0].equals("cpu") || f.length < 5) {
            throw new IllegalArgumentException("not the cpu line of /proc/stat: '" + line + "'");
        }
        long total = 0;
        for (int i = 1; i < Math.min(f.length, 9); i++) { // guest and guest_nice are counted in user and nice
            total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
        return new MachineCpu(total - idle, total);
    }

    /** The busy share of the time since {@code before}, 0..1; empty when no tick passed. */
    Optional<Double> busySince(MachineCpu before) {
        long ticks = total - before.total;
        return ticks <= 0 ? Optional.empty() : Optional.of((busy - before.busy) / (double) ticks);
    }
}
