package dev.twincloud.arbiter.election;

import dev.twincloud.arbiter.ArbiterProperties.LeaderElection;
import dev.twincloud.arbiter.service.ArbiterService;
import dev.twincloud.arbiter.service.Leadership;
import dev.twincloud.arbiter.service.OpenArbiter;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Several arbiter replicas, one acting: the replicas compete for a {@code coordination.k8s.io} Lease
 * with fabric8's {@code LeaderElector}. The winner opens the shared state directory, loads the
 * stored epoch and starts like a restarted arbiter (the restart rule: no new writer for one lease
 * ttl, the writer keeps renewing), then decides and answers. It stops acting as soon as its last
 * successful renewal is older than the renew deadline ({@link RenewTrackingLock}), or the Lease
 * names someone else, and drops its in-memory state; it then competes again as a candidate.
 *
 * <p>A replica that wins the Lease but cannot load the state (a corrupt file) gives the Lease back
 * and waits one lease duration before competing again: the arbiter never starts over without its
 * stored epoch.
 */
public final class ElectedArbiter implements Leadership, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ElectedArbiter.class);

    private final KubernetesClient client;
    private final LeaderElection settings;
    private final BiFunction<BooleanSupplier, String, OpenArbiter> opener;
    private final RenewTrackingLock lock;
    /** Present when the replica labels its pod for the Service (the Helm chart). */
    private final java.util.Optional<PodLabel> podLabel;

    private volatile OpenArbiter active;
    private volatile String leader = "";
    private volatile boolean running;
    private volatile boolean openFailed;
    private volatile CompletableFuture<?> election;
    private Thread campaign;

    /**
     * @param opener opens the store, the history and the service for a replica that just won; its
     *               arguments are "may this replica still act" and a note for the start event
     */
    public ElectedArbiter(KubernetesClient client, LeaderElection settings,
                          BiFunction<BooleanSupplier, String, OpenArbiter> opener) {
        this.client = client;
        this.settings = settings;
        this.opener = opener;
        this.lock = new RenewTrackingLock(new LeaseLock(settings.namespace(), settings.leaseName(), settings.identity()),
                settings.renewDeadline(), System::nanoTime, () -> ZonedDateTime.now(ZoneOffset.UTC));
        this.podLabel = settings.labelPod()
                ? java.util.Optional.of(new PodLabel(client, settings.namespace(), settings.identity()))
                : java.util.Optional.empty();
    }

    @Override
    public Optional<ArbiterService> leading() {
        OpenArbiter a = active;
        return a != null && lock.valid() && !a.service().deposed() ? Optional.of(a.service()) : Optional.empty();
    }

    @Override
    public String leader() {
        return leader;
    }

    @Override
    public String describe() {
        return Replica.describe(settings.identity(), leading().isPresent(), leader,
                "Lease " + settings.namespace() + "/" + settings.leaseName());
    }

    @Override
    public void start() {
        running = true;
        podLabel.ifPresent(l -> l.set(false)); // a restarted container keeps its pod's labels: clear a stale one
        campaign = Thread.ofVirtual().name("arbiter-election").start(this::campaign);
        log.info("leader election: competing for {} as {} (lease {} ms, renew deadline {} ms, retry {} ms)",
                lock.describe(), settings.identity(), settings.leaseDuration().toMillis(),
                settings.renewDeadline().toMillis(), settings.retryPeriod().toMillis());
    }

    /** Compete, lead until the Lease is lost, compete again; until stopped. */
    private void campaign() {
        while (running) {
            openFailed = false;
            var config = new LeaderElectionConfigBuilder()
                    .withName("twincloud-arbiter")
                    .withLock(lock)
                    .withLeaseDuration(settings.leaseDuration())
                    .withRenewDeadline(settings.renewDeadline())
                    .withRetryPeriod(settings.retryPeriod())
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(new LeaderCallbacks(this::onStartLeading, this::onStopLeading, this::onNewLeader))
                    .build();
            CompletableFuture<?> f = client.leaderElector().withConfig(config).build().start();
            election = f;
            if (!running) { // stop() ran before the future was published
                f.cancel(true);
            }
            try {
                while (!f.isDone()) {
                    if (openFailed || deposed()) {
                        f.cancel(true); // gives the Lease back
                        break;
                    }
                    try {
                        f.get(settings.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
                    } catch (TimeoutException e) {
                        // still competing or leading
                    }
                }
            } catch (CancellationException e) {
                // stopped or gave the Lease back
            } catch (ExecutionException e) {
                log.warn("leader election ended with an error, competing again: {}", String.valueOf(e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            stepDown("the election round ended");
            if (running && !Replica.sleep(openFailed ? settings.leaseDuration().toMillis() : settings.retryPeriod().toMillis())) {
                return;
            }
        }
    }


    private void onStartLeading() {
        try {
            OpenArbiter opened = opener.apply(this::mayAct,
                    "; elected replica " + settings.identity() + " (" + lock.describe() + ")");
            active = opened;
            log.info("elected: {} acts as the arbiter from now on", settings.identity());
            podLabel.ifPresent(l -> l.set(true));
        } catch (RuntimeException e) {
            log.error("elected, but the state cannot be loaded, so this replica gives the Lease back and waits {} s: {}",
                    settings.leaseDuration().toSeconds(), e.getMessage());
            lock.invalidate();
            openFailed = true;
        }
    }

    /** The acting service found the stored state replaced by another replica's: give the Lease back, load anew. */
    private boolean deposed() {
        OpenArbiter a = active;
        if (a != null && a.service().deposed()) {
            log.warn("the stored state was replaced by another replica: {} gives the Lease back and competes again",
                    settings.identity());
            return true;
        }
        return false;
    }

    private boolean mayAct() {
        return running && lock.valid();
    }

    private void onStopLeading() {
        stepDown("lost the Lease");
    }

    private void onNewLeader(String identity) {
        leader = identity == null ? "" : identity;
        log.info("leader election: the leader is now {}", leader.isEmpty() ? "nobody" : leader);
    }

    private synchronized void stepDown(String why) {
        lock.invalidate();
        OpenArbiter a = active;
        active = null;
        if (a != null) {
            Replica.closeStepping(a, settings.identity(), why, log);
            podLabel.ifPresent(l -> l.set(false));
        }
    }

    @Override
    public void stop() {
        OpenArbiter a = active;
        if (a != null && lock.valid()) {
            a.service().close(); // ARBITER_STOPPED, while still the elected replica
        }
        running = false;
        stepDown("shutting down");
        CompletableFuture<?> f = election;
        if (f != null) {
            f.cancel(true); // releases the Lease, so another replica takes over at once
        }
        Thread t = campaign;
        if (t != null) {
            t.interrupt();
            try {
                t.join(settings.retryPeriod().toMillis() * 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ensureReleased();
    }

    /**
     * fabric8 releases the Lease when its election is cancelled, but once and without a retry: a
     * release that did not reach the API server (a conflict, a timeout, a cancel racing its last
     * renewal) keeps the other replicas out for a whole lease duration. If this replica still holds
     * the Lease, release it again: no holder, a 1 s duration, renewed now.
     */
    private void ensureReleased() {
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                LeaderElectionRecord r = lock.get(client);
                if (r == null || !settings.identity().equals(r.getHolderIdentity())
                        || r.getLeaseDuration().compareTo(Duration.ofSeconds(1)) <= 0) {
                    return; // released, or held by another
                }
                ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
                lock.update(client, new LeaderElectionRecord("", Duration.ofSeconds(1), now, now, r.getLeaderTransitions()));
                log.info("leader election: released {} (the election's own release had not)", lock.describe());
                return;
            } catch (RuntimeException e) {
                log.warn("leader election: releasing {} failed (attempt {}): {}", lock.describe(), attempt, e.getMessage());
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
