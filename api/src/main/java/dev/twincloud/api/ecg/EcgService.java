package dev.twincloud.api.ecg;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

import dev.twincloud.api.system.ApiLimits;
import dev.twincloud.api.system.ApiProblem;
import dev.twincloud.api.system.Idempotency;
import dev.twincloud.api.system.UuidV7;
import dev.twincloud.api.system.Violations;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/** Validates recordings, writes them exactly once per Idempotency-Key, and reads them back. */
@Service
class EcgService {

    private final EcgRepository repository;
    private final Idempotency idempotency;
    private final ApiLimits limits;
    private final JsonMapper json;

    EcgService(EcgRepository repository, Idempotency idempotency, ApiLimits limits, JsonMapper json) {
        this.repository = repository;
        this.idempotency = idempotency;
        this.limits = limits;
        this.json = json;
    }

    ResponseEntity<String> create(String idempotencyKey, NewRecording request) {
        NewRecording r = normalized(request);
        int sampleCount = validate(r);
        Idempotency.RequestHash hash = new Idempotency.RequestHash("POST", "/v1/ecgs")
                .add(r.patientRef()).add(r.recordedAt()).add(r.samplingRateHz()).add(r.device()).add(r.notes());
        r.leads().forEach((name, samples) -> hash.add(name).add(Samples.encode(samples)));
        // the recording, its leads and the stored answer in one statement (docs/benchmarks.md, round trips)
        return idempotency.executeFolded(idempotencyKey, hash.finish(), createdAt -> {
            RecordingMetadata created = EcgRepository.created(UuidV7.next(), r, sampleCount, createdAt);
            return new Idempotency.FoldedWrite(
                    new Idempotency.StoredResponse(201, "/v1/ecgs/" + created.id(), json.writeValueAsString(created)),
                    EcgRepository.insertStatements(created, r.leads()));
        });
    }

    Recording get(UUID id) {
        RecordingMetadata metadata = repository.findMetadata(id).orElseThrow(() -> notFound(id));
        return Recording.of(metadata, repository.findLeads(id));
    }

    LeadSamples lead(UUID id, String lead, Integer from, Integer to) {
        RecordingMetadata m = repository.findMetadata(id).orElseThrow(() -> notFound(id));
        if (!m.leadNames().contains(lead)) {
            throw ApiProblem.notFound("Recording " + id + " has no lead '" + lead + "' (it has " + m.leadNames() + ").");
        }
        int start = from == null ? 0 : from;
        int end = to == null ? m.sampleCount() : to;
        Violations v = new Violations();
        v.check(start >= 0 && start <= m.sampleCount(), "from", "must be between 0 and " + m.sampleCount());
        v.check(end >= 0 && end <= m.sampleCount(), "to", "must be between 0 and " + m.sampleCount());
        v.check(start <= end, "to", "must not be less than from");
        v.throwIfAny();
        short[] samples = repository.findLeadRange(id, lead, start, end).orElseThrow(() -> notFound(id));
        return new LeadSamples(id, lead, m.samplingRateHz(), m.sampleCount(), start, end, samples);
    }

    RecordingPage list(String patientRef, Instant from, Instant to, Integer limit, String cursor) {
        int pageSize = limit == null ? limits.defaultPageSize() : limit;
        Violations v = new Violations();
        v.check(pageSize >= 1 && pageSize <= limits.maxPageSize(), "limit", "must be between 1 and " + limits.maxPageSize());
        if (patientRef != null) {
            v.check(limits.isPatientRef(patientRef), "patientRef", "must match " + limits.patientRefPattern());
        }
        v.check(from == null || to == null || !from.isAfter(to), "to", "must not be before from");
        v.throwIfAny();
        PageCursor after = cursor == null ? null : PageCursor.decode(cursor);
        var rows = repository.page(patientRef, from, to, after, pageSize + 1);
        if (rows.size() <= pageSize) {
            return new RecordingPage(rows, null);
        }
        var page = rows.subList(0, pageSize);
        RecordingMetadata last = page.getLast();
        return new RecordingPage(page, new PageCursor(last.recordedAt(), last.id()).encode());
    }

    /** PostgreSQL keeps microseconds: truncate now, so that what we return is what we stored. */
    private static NewRecording normalized(NewRecording r) {
        Instant at = r.recordedAt() == null ? null : r.recordedAt().truncatedTo(ChronoUnit.MICROS);
        return new NewRecording(r.patientRef(), at, r.samplingRateHz(), r.leads(), r.device(), r.notes());
    }

    /** Every rule a recording must meet; returns the samples per lead. */
    private int validate(NewRecording r) {
        Violations v = new Violations();
        if (v.require(r.patientRef(), "patientRef")) {
            v.check(limits.isPatientRef(r.patientRef()), "patientRef", "must match " + limits.patientRefPattern());
        }
        if (v.require(r.recordedAt(), "recordedAt")) {
            v.check(r.recordedAt().isBefore(Instant.now().plus(1, ChronoUnit.DAYS)), "recordedAt",
                    "must not be more than a day in the future");
        }
        if (v.require(r.samplingRateHz(), "samplingRateHz")) {
            v.check(r.samplingRateHz() >= limits.minSamplingRateHz() && r.samplingRateHz() <= limits.maxSamplingRateHz(),
                    "samplingRateHz", "must be between " + limits.minSamplingRateHz() + " and " + limits.maxSamplingRateHz());
        }
        v.check(r.device() == null || r.device().length() <= limits.maxTextLength(), "device",
                "must be at most " + limits.maxTextLength() + " characters");
        v.check(r.notes() == null || r.notes().length() <= limits.maxNotesLength(), "notes",
                "must be at most " + limits.maxNotesLength() + " characters");
        int sampleCount = -1;
        if (v.require(r.leads(), "leads")
                && v.check(!r.leads().isEmpty() && r.leads().size() <= limits.maxLeads(), "leads",
                        "must have between 1 and " + limits.maxLeads() + " leads")) {
            for (Map.Entry<String, short[]> lead : r.leads().entrySet()) {
                String field = "leads." + lead.getKey();
                v.check(limits.isLeadName(lead.getKey()), field, "lead name must match " + limits.leadNamePattern());
                short[] samples = lead.getValue();
                if (v.require(samples, field) && v.check(samples.length >= 1 && samples.length <= limits.maxSamplesPerLead(),
                        field, "must have between 1 and " + limits.maxSamplesPerLead() + " samples")) {
                    if (sampleCount < 0) {
                        sampleCount = samples.length;
                    } else {
                        v.check(samples.length == sampleCount, field, "has " + samples.length
                                + " samples; all leads must have the same number (" + sampleCount + ")");
                    }
                }
            }
        }
        v.throwIfAny();
        return sampleCount;
    }

    static ApiProblem notFound(UUID id) {
        return ApiProblem.notFound("No ECG recording " + id + ".");
    }
}
