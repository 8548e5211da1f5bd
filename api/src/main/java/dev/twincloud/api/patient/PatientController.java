package dev.twincloud.api.patient;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.twincloud.api.system.ApiLimits;
import dev.twincloud.api.system.ApiProblem;
import dev.twincloud.api.system.ReadFence;
import io.swagger.v3.oas.annotations.Operation;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

@RestController
class PatientController {

    private final JdbcClient jdbc;
    private final ApiLimits limits;
    private final ReadFence reads;

    PatientController(JdbcClient jdbc, ApiLimits limits, ReadFence reads) {
        this.jdbc = jdbc;
        this.limits = limits;
        this.reads = reads;
    }

    @Operation(summary = "Counts, time span and label counts of a patient's recordings")
    @GetMapping(path = "/v1/patients/{patientRef}/summary", produces = MediaType.APPLICATION_JSON_VALUE)
    PatientSummary summary(@PathVariable String patientRef) {
        return reads.serve(() -> summaryOf(patientRef));
    }

    private PatientSummary summaryOf(String patientRef) {
        if (!limits.isPatientRef(patientRef)) {
            throw ApiProblem.invalid("patientRef", "must match " + limits.patientRefPattern());
        }
        record Totals(long recordings, Instant first, Instant last, double durationMs) {
        }
        Totals totals = jdbc.sql("""
                        select count(*), min(recorded_at), max(recorded_at),
                               coalesce(sum(sample_count * 1000.0 / sampling_rate_hz), 0)
                        from ecg_recording where patient_ref = ?""")
                .param(patientRef)
                .query((rs, n) -> new Totals(rs.getLong(1), instant(rs.getObject(2, OffsetDateTime.class)),
                        instant(rs.getObject(3, OffsetDateTime.class)), rs.getDouble(4)))
                .single();
        if (totals.recordings() == 0) {
            throw ApiProblem.notFound("No recordings for patient " + patientRef + ".");
        }
        Map<String, Long> labels = new LinkedHashMap<>();
        jdbc.sql("""
                        select a.label, count(*)
                        from ecg_annotation a join ecg_recording r on r.id = a.recording_id
                        where r.patient_ref = ?
                        group by a.label order by a.label""")
                .param(patientRef)
                .query(rs -> {
                    labels.put(rs.getString(1), rs.getLong(2));
                });
        long annotations = labels.values().stream().mapToLong(Long::longValue).sum();
        return new PatientSummary(patientRef, totals.recordings(), totals.first(), totals.last(),
                totals.durationMs(), annotations, labels);
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
