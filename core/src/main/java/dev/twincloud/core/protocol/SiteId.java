package dev.twincloud.core.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Objects;
import java.util.regex.Pattern;

/** The name of one failure domain, e.g. {@code gcp} or {@code aws}. */
public record SiteId(String name) implements Comparable<SiteId> {
    private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9-]{0,30}");

    public SiteId {
        Objects.requireNonNull(name, "site name");
        if (!VALID.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "invalid site name '" + name + "': use 1-31 lowercase letters, digits or '-', starting with a letter");
        }
    }

    @JsonCreator
    public static SiteId of(String name) {
        return new SiteId(name);
    }

    @Override
    public int compareTo(SiteId o) {
        return name.compareTo(o.name);
    }

    @JsonValue
    @Override
    public String toString() {
        return name;
    }
}
