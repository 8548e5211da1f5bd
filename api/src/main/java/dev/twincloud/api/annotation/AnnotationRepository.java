package dev.twincloud.api.annotation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class AnnotationRepository {

    private static final String COLUMNS = "id, recording_id, label, onset_ms, offset_ms, confidence, author, created_at";

    /** What an annotation must fit in. */
    record RecordingExtent(int samplingRateHz, int sampleCount) {
        /** Exact: {@code ms <= sampleCount / rate * 1000} without rounding. */
        boolean contains(long ms) {
            return ms * samplingRateHz <= (long) sampleCount * 1000;
        }

        double durationMs() {
            return sampleCount * 1000.0 / samplingRateHz;
        }
    }

    private final JdbcClient jdbc;

    AnnotationRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<RecordingExtent> findRecording(UUID recordingId) {
        return jdbc.sql("select sampling_rate_hz, sample_count from ecg_recording where id = ?")
                .param(recordingId)
                .query((rs, n) -> new RecordingExtent(rs.getInt(1), rs.getInt(2)))
                .optional();
    }

    Annotation insert(UUID id, UUID recordingId, NewAnnotation a) {
        return jdbc.sql("""
                        insert into ecg_annotation (id, recording_id, label, onset_ms, offset_ms, confidence, author)
                        values (?, ?, ?, ?, ?, ?, ?)
                        returning\s""" + COLUMNS)
                .params(id, recordingId, a.label(), a.onsetMs(), a.offsetMs(), a.confidence(), a.author())
                .query(AnnotationRepository::annotation)
                .single();
    }

    List<Annotation> findAll(UUID recordingId) {
        return jdbc.sql("select " + COLUMNS + " from ecg_annotation where recording_id = ? order by onset_ms, id")
                .param(recordingId)
                .query(AnnotationRepository::annotation)
                .list();
    }

    Optional<Annotation> find(UUID recordingId, UUID id) {
        return jdbc.sql("select " + COLUMNS + " from ecg_annotation where recording_id = ? and id = ?")
                .params(recordingId, id)
                .query(AnnotationRepository::annotation)
                .optional();
    }

    private static Annotation annotation(ResultSet rs, int row) throws SQLException {
        return new Annotation(
                rs.getObject("id", UUID.class),
                rs.getObject("recording_id", UUID.class),
                rs.getString("label"),
                rs.getLong("onset_ms"),
                rs.getLong("offset_ms"),
                rs.getObject("confidence", Double.class),
                rs.getString("author"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
