package dev.twincloud.api.ecg;

import java.util.UUID;

/** {@code GET /v1/ecgs/{id}/leads/{lead}}: samples {@code [from, to)} of one lead. */
record LeadSamples(UUID recordingId, String lead, int samplingRateHz, int sampleCount, int from, int to,
        short[] samples) {
}
