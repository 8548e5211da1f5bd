package dev.twincloud.api.system;

/** One invalid input in a problem's {@code errors} list: a JSON path or parameter name, and why. */
public record FieldError(String field, String message) {
}
