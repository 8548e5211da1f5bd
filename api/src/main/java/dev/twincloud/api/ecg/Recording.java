package dev.twincloud.api.ecg;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** {@code GET /v1/ecgs/{id}}: the metadata and every lead's samples (microvolts), leads in recorded order. */
record Recording(UUID id, String patientRef, Instant recordedAt, int samplingRateHz, int sampleCount,
        double durationMs, List<String> leadNames, String device, String notes, Instant createdAt,
        Map<String, short[]> leads) {

    static Recording of(RecordingMetadata m, Map<String, short[]> leads) {
        return new Recording(m.id(), m.patientRef(), m.recordedAt(), m.samplingRateHz(), m.sampleCount(),
                m.durationMs(), m.leadNames(), m.device(), m.notes(), m.createdAt(), leads);
    }
}
