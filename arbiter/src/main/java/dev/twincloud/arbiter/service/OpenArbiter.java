package dev.twincloud.arbiter.service;

import dev.twincloud.arbiter.store.EventLog;
import dev.twincloud.arbiter.store.StateStore;

/** An arbiter with its state store and history, opened together and closed together. */
public record OpenArbiter(ArbiterService service, EventLog history, StateStore store) implements AutoCloseable {

    /** Records ARBITER_STOPPED when this process may still act, then closes the history and the store. */
    @Override
    public void close() {
        try {
            service.close();
        } finally {
            try {
                history.close();
            } finally {
                store.close();
            }
        }
    }
}
