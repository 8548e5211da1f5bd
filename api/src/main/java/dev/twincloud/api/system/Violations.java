package dev.twincloud.api.system;

import java.util.ArrayList;
import java.util.List;

/** Collects every invalid field of a request, so that one 400 names them all. */
public final class Violations {

    private final List<FieldError> errors = new ArrayList<>();

    /** Records {@code message} for {@code field} unless {@code ok}; returns {@code ok}. */
    public boolean check(boolean ok, String field, String message) {
        if (!ok) {
            errors.add(new FieldError(field, message));
        }
        return ok;
    }

    public boolean require(Object value, String field) {
        return check(value != null, field, "is required");
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    public void throwIfAny() {
        if (!errors.isEmpty()) {
            throw ApiProblem.invalid(errors);
        }
    }
}
