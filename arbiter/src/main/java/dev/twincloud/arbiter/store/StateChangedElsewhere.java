package dev.twincloud.arbiter.store;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A save lost its compare-and-swap: the stored state is no longer the one this replica last loaded
 * or saved, so another replica stored one. Nothing was written; this replica must not act on the
 * state it tried to store.
 */
public final class StateChangedElsewhere extends UncheckedIOException {
    public StateChangedElsewhere(String where) {
        super(where + " was changed by another arbiter replica since this one loaded or stored it; not overwriting it "
                + "(this replica is no longer the elected one?)", new IOException("compare-and-swap lost"));
    }
}
