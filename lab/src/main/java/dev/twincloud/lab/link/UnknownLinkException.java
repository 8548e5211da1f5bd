package dev.twincloud.lab.link;

import java.util.NoSuchElementException;

/** No link has that name, or no link joins those endpoints. The control API answers 404. */
public final class UnknownLinkException extends NoSuchElementException {

    public UnknownLinkException(String message) {
        super(message);
    }
}
