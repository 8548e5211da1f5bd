package dev.twincloud.api.annotation;

import java.time.Instant;
import java.util.UUID;

record Annotation(UUID id, UUID recordingId, String label, long onsetMs, long offsetMs, Double confidence,
        String author, Instant createdAt) {
}
