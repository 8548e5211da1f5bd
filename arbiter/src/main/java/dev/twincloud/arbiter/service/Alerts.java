package dev.twincloud.arbiter.service;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The alerts raised right now, deduplicated across decisions: a decision repeats an alert every tick
 * while its cause lasts, but the history and the log get it once, when it appears (or its text
 * changes), and once more when it clears. Not thread-safe: used under the arbiter's lock.
 */
final class Alerts {

    record Change(List<String> raised, List<String> cleared) {
        boolean isEmpty() {
            return raised.isEmpty() && cleared.isEmpty();
        }
    }

    private Set<String> current = new LinkedHashSet<>();

    /** Replaces the current alerts with {@code now}; returns which are new and which have gone. */
    Change update(List<String> now) {
        Set<String> next = new LinkedHashSet<>(now);
        List<String> raised = new ArrayList<>();
        for (String a : next) {
            if (!current.contains(a)) {
                raised.add(a);
            }
        }
        List<String> cleared = new ArrayList<>();
        for (String a : current) {
            if (!next.contains(a)) {
                cleared.add(a);
            }
        }
        current = next;
        return new Change(raised, cleared);
    }

    List<String> current() {
        return List.copyOf(current);
    }

    int size() {
        return current.size();
    }
}
