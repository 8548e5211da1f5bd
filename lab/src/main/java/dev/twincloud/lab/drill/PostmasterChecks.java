package dev.twincloud.lab.drill;

import dev.twincloud.lab.drill.FaultStep.Action;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a {@link Action#CHECK_POSTGRES} still asks something fair of a site: that its agent started the killed
 * postmaster again. Not when a later step of the same run stopped that agent meanwhile (a kill or freeze of the whole
 * site, a kill or pause of the agent): a random schedule may draw one after the postmaster's kill, and then nobody is
 * there to start it (found in {@code random}, seed 82: the new writer's postmaster killed, then the whole site).
 */
final class PostmasterChecks {
    /** Per site whose postmaster was killed: "" while its agent ran since, else the step that stopped it. */
    private final Map<String, String> sinceKill = new HashMap<>();

    /** Records a step as played on {@code site} ({@code component}: what a PAUSE stopped). */
    void played(Action action, String site, String component, String label) {
        switch (action) {
            case KILL_POSTGRES -> sinceKill.put(site, "");
            case KILL, FREEZE, KILL_AGENT -> stopped(site, label);
            case PAUSE -> {
                if ("agent".equals(component)) {
                    stopped(site, label);
                }
            }
            default -> {
            }
        }
    }

    private void stopped(String site, String label) {
        sinceKill.computeIfPresent(site, (s, was) -> was.isEmpty() ? label : was);
    }

    /** At the check of {@code site}: the step that stopped its agent after the kill, when one did. */
    Optional<String> moot(String site) {
        String why = sinceKill.remove(site);
        return why == null || why.isEmpty() ? Optional.empty() : Optional.of(why);
    }
}
