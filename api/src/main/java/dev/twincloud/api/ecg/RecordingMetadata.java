package dev.twincloud.api.ecg;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A recording without its samples: what POST returns and what the list shows. */
record RecordingMetadata(UUID id, String patientRef, Instant recordedAt, int samplingRateHz, int sampleCount,
        double durationMs, List<String> leadNames, String device, String notes, Instant createdAt) {
}
