package dev.twincloud.api.ecg;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.twincloud.api.system.Idempotency;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The SQL of recordings: one ecg_recording row and one ecg_lead row (bytea of int16 LE) per lead. */
@Repository
class EcgRepository {

    private static final String METADATA_COLUMNS =
            "id, patient_ref, recorded_at, sampling_rate_hz, sample_count, lead_names, device, notes, created_at";

    private final JdbcClient jdbc;

    EcgRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The statements that insert the recording ({@code created_at} = {@code createdAt}, the transaction's time) and
     * its leads, for {@link Idempotency#executeFolded}: with the key row's update, one statement (one round trip).
     * The leads are one multi-row insert; their foreign key is checked at the end of that statement, after the
     * recording's insert beside it.
     */
    static List<Idempotency.Sql> insertStatements(RecordingMetadata m, Map<String, short[]> leads) {
        Idempotency.Sql recording = new Idempotency.Sql("""
                insert into ecg_recording (id, patient_ref, recorded_at, sampling_rate_hz, sample_count,
                                           lead_names, device, notes, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                Arrays.asList(m.id(), m.patientRef(), utc(m.recordedAt()), m.samplingRateHz(), m.sampleCount(),
                        m.leadNames().toArray(String[]::new), m.device(), m.notes(), utc(m.createdAt())));
        StringBuilder sql = new StringBuilder("insert into ecg_lead (recording_id, position, name, samples) values ");
        List<Object> params = new ArrayList<>();
        for (int position = 0; position < m.leadNames().size(); position++) {
            String name = m.leadNames().get(position);
            sql.append(position == 0 ? "" : ", ").append("(?, ?, ?, ?)");
            params.addAll(List.of(m.id(), position, name, Samples.encode(leads.get(name))));
        }
        return List.of(recording, new Idempotency.Sql(sql.toString(), params));
    }

    /** What a new recording's answer says: {@code createdAt} is the time its transaction stores. */
    static RecordingMetadata created(UUID id, NewRecording r, int sampleCount, Instant createdAt) {
        return new RecordingMetadata(id, r.patientRef(), r.recordedAt(), r.samplingRateHz(), sampleCount,
                durationMs(sampleCount, r.samplingRateHz()), List.copyOf(r.leads().keySet()), r.device(), r.notes(),
                createdAt);
    }

    Optional<RecordingMetadata> findMetadata(UUID id) {
        return jdbc.sql("select " + METADATA_COLUMNS + " from ecg_recording where id = ?")
                .param(id)
                .query(EcgRepository::metadata)
                .optional();
    }

    /** Every lead's samples, in recorded order. */
    Map<String, short[]> findLeads(UUID id) {
        Map<String, short[]> leads = new LinkedHashMap<>();
        jdbc.sql("select name, samples from ecg_lead where recording_id = ? order by position")
                .param(id)
                .query(rs -> {
                    leads.put(rs.getString(1), Samples.decode(rs.getBytes(2)));
                });
        return leads;
    }

    /** Samples {@code [from, to)} of one lead, cut out by the database; empty when there is no such lead. */
    Optional<short[]> findLeadRange(UUID id, String lead, int from, int to) {
        return jdbc.sql("select substring(samples from ? for ?) from ecg_lead where recording_id = ? and name = ?")
                .params(from * 2 + 1, (to - from) * 2, id, lead)
                .query((rs, n) -> Samples.decode(rs.getBytes(1)))
                .optional();
    }

    /** Up to {@code limit} recordings after {@code after} in (recorded_at, id) order, filters optional. */
    List<RecordingMetadata> page(String patientRef, Instant from, Instant to, PageCursor after, int limit) {
        StringBuilder sql = new StringBuilder("select " + METADATA_COLUMNS + " from ecg_recording where true");
        List<Object> params = new ArrayList<>();
        if (patientRef != null) {
            sql.append(" and patient_ref = ?");
            params.add(patientRef);
        }
        if (from != null) {
            sql.append(" and recorded_at >= ?");
            params.add(utc(from));
        }
        if (to != null) {
            sql.append(" and recorded_at < ?");
            params.add(utc(to));
        }
        if (after != null) {
            sql.append(" and (recorded_at, id) > (?, ?)");
            params.add(utc(after.recordedAt()));
            params.add(after.id());
        }
        sql.append(" order by recorded_at, id limit ?");
        params.add(limit);
        return jdbc.sql(sql.toString()).params(params).query(EcgRepository::metadata).list();
    }

    private static RecordingMetadata metadata(ResultSet rs, int row) throws SQLException {
        int sampleCount = rs.getInt("sample_count");
        int rate = rs.getInt("sampling_rate_hz");
        return new RecordingMetadata(
                rs.getObject("id", UUID.class),
                rs.getString("patient_ref"),
                rs.getObject("recorded_at", OffsetDateTime.class).toInstant(),
                rate,
                sampleCount,
                durationMs(sampleCount, rate),
                Arrays.asList((String[]) rs.getArray("lead_names").getArray()),
                rs.getString("device"),
                rs.getString("notes"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }

    static double durationMs(int sampleCount, int samplingRateHz) {
        return sampleCount * 1000.0 / samplingRateHz;
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
