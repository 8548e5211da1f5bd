package dev.twincloud.api.annotation;

import java.util.UUID;

import dev.twincloud.api.system.ApiLimits;
import dev.twincloud.api.system.ApiProblem;
import dev.twincloud.api.system.Idempotency;
import dev.twincloud.api.system.ReadFence;
import dev.twincloud.api.system.UuidV7;
import dev.twincloud.api.system.Violations;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/** Labels on a recording: validated against the recording's duration, written exactly once per key. */
@RestController
@RequestMapping(path = "/v1/ecgs/{recordingId}/annotations", produces = MediaType.APPLICATION_JSON_VALUE)
class AnnotationController {

    static final int MAX_LABEL_LENGTH = 64;

    private final AnnotationRepository repository;
    private final Idempotency idempotency;
    private final ApiLimits limits;
    private final JsonMapper json;
    private final ReadFence reads;

    AnnotationController(AnnotationRepository repository, Idempotency idempotency, ApiLimits limits, JsonMapper json,
                         ReadFence reads) {
        this.reads = reads;
        this.repository = repository;
        this.idempotency = idempotency;
        this.limits = limits;
        this.json = json;
    }

    @Operation(summary = "Annotate a recording", description = "Exactly once per Idempotency-Key, like POST /v1/ecgs.")
    @ApiResponse(responseCode = "201", description = "Stored",
            content = @Content(schema = @Schema(implementation = Annotation.class)))
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<String> create(@PathVariable UUID recordingId,
            @RequestHeader(Idempotency.HEADER) String idempotencyKey, @RequestBody NewAnnotation a) {
        validateAlone(a);
        byte[] hash = new Idempotency.RequestHash("POST", "/v1/ecgs/" + recordingId + "/annotations")
                .add(a.label()).add(a.onsetMs()).add(a.offsetMs()).add(a.confidence()).add(a.author())
                .finish();
        return idempotency.execute(idempotencyKey, hash, () -> {
            var extent = repository.findRecording(recordingId).orElseThrow(() -> notFound(recordingId));
            Violations v = new Violations();
            v.check(extent.contains(a.offsetMs()), "offsetMs",
                    "must be within the recording (duration " + extent.durationMs() + " ms)");
            v.throwIfAny();
            Annotation created = repository.insert(UuidV7.next(), recordingId, a);
            return new Idempotency.StoredResponse(201, "/v1/ecgs/" + recordingId + "/annotations/" + created.id(),
                    json.writeValueAsString(created));
        });
    }

    @Operation(summary = "A recording's annotations, in onset order")
    @GetMapping
    AnnotationList list(@PathVariable UUID recordingId) {
        return reads.serve(() -> {
            repository.findRecording(recordingId).orElseThrow(() -> notFound(recordingId));
            return new AnnotationList(repository.findAll(recordingId));
        });
    }

    @Operation(summary = "One annotation")
    @GetMapping("/{id}")
    Annotation get(@PathVariable UUID recordingId, @PathVariable UUID id) {
        return reads.serve(() -> repository.find(recordingId, id).orElseThrow(() ->
                ApiProblem.notFound("No annotation " + id + " on ECG recording " + recordingId + ".")));
    }

    /** The rules that need no database; the duration check runs inside the write's transaction. */
    private void validateAlone(NewAnnotation a) {
        Violations v = new Violations();
        if (v.require(a.label(), "label")) {
            v.check(!a.label().isBlank() && a.label().length() <= MAX_LABEL_LENGTH, "label",
                    "must be 1 to " + MAX_LABEL_LENGTH + " characters");
        }
        boolean onset = v.require(a.onsetMs(), "onsetMs") && v.check(a.onsetMs() >= 0, "onsetMs", "must be >= 0");
        boolean offset = v.require(a.offsetMs(), "offsetMs");
        if (onset && offset) {
            v.check(a.onsetMs() <= a.offsetMs(), "offsetMs", "must not be before onsetMs");
        }
        v.check(a.confidence() == null || (a.confidence() >= 0 && a.confidence() <= 1), "confidence",
                "must be between 0 and 1");
        v.check(a.author() == null || a.author().length() <= limits.maxTextLength(), "author",
                "must be at most " + limits.maxTextLength() + " characters");
        v.throwIfAny();
    }

    private static ApiProblem notFound(UUID recordingId) {
        return ApiProblem.notFound("No ECG recording " + recordingId + ".");
    }
}
