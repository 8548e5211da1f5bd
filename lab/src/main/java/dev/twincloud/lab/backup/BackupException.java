package dev.twincloud.lab.backup;

/** A backup, listing or restore that could not be done; the message says why, for an operator. */
public final class BackupException extends RuntimeException {
    public BackupException(String message) {
        super(message);
    }
}
