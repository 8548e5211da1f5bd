package dev.twincloud.api.ecg;

import java.time.Instant;
import java.util.Map;

/**
 * {@code POST /v1/ecgs}: one recording. {@code leads} maps a lead name to its samples in
 * microvolts (int16); all leads have the same number of samples.
 */
record NewRecording(String patientRef, Instant recordedAt, Integer samplingRateHz, Map<String, short[]> leads,
        String device, String notes) {
}
