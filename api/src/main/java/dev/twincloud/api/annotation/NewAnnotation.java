package dev.twincloud.api.annotation;

/**
 * {@code POST /v1/ecgs/{id}/annotations}: a label (e.g. a rhythm class such as "AFIB") over
 * {@code [onsetMs, offsetMs]} of the recording, with an optional confidence in [0, 1] and author.
 */
record NewAnnotation(String label, Long onsetMs, Long offsetMs, Double confidence, String author) {
}
