package dev.twincloud.api.patient;

import java.time.Instant;
import java.util.Map;

/** What the API holds about one pseudonymous patient: recordings, their time span, annotation labels. */
record PatientSummary(String patientRef, long recordings, Instant firstRecordedAt, Instant lastRecordedAt,
        double totalDurationMs, long annotations, Map<String, Long> labelCounts) {
}
