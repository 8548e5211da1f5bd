package dev.twincloud.api.ecg;

import java.time.Instant;
import java.util.UUID;

import dev.twincloud.api.system.Idempotency;
import dev.twincloud.api.system.ReadFence;
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
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping(path = "/v1/ecgs", produces = MediaType.APPLICATION_JSON_VALUE)
class EcgController {

    private final EcgService ecgs;
    private final ReadFence reads;

    EcgController(EcgService ecgs, ReadFence reads) {
        this.ecgs = ecgs;
        this.reads = reads;
    }

    @Operation(summary = "Store a recording",
            description = "Exactly once per Idempotency-Key: a retry with the same key and body gets the original "
                    + "response; the same key with another body gets 422.")
    @ApiResponse(responseCode = "201", description = "Stored",
            content = @Content(schema = @Schema(implementation = RecordingMetadata.class)))
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<String> create(@RequestHeader(Idempotency.HEADER) String idempotencyKey,
            @RequestBody NewRecording recording) {
        return ecgs.create(idempotencyKey, recording);
    }

    @Operation(summary = "A recording with all its samples")
    @GetMapping("/{id}")
    Recording get(@PathVariable UUID id) {
        return reads.serve(() -> ecgs.get(id));
    }

    @Operation(summary = "Samples [from, to) of one lead")
    @GetMapping("/{id}/leads/{lead}")
    LeadSamples lead(@PathVariable UUID id, @PathVariable String lead,
            @RequestParam(required = false) Integer from, @RequestParam(required = false) Integer to) {
        return reads.serve(() -> ecgs.lead(id, lead, from, to));
    }

    @Operation(summary = "Recordings in (recordedAt, id) order, a page at a time",
            description = "from is inclusive, to exclusive. Pass nextCursor back as cursor for the next page.")
    @GetMapping
    RecordingPage list(@RequestParam(required = false) String patientRef,
            @RequestParam(required = false) Instant from, @RequestParam(required = false) Instant to,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        return reads.serve(() -> ecgs.list(patientRef, from, to, limit, cursor));
    }
}
