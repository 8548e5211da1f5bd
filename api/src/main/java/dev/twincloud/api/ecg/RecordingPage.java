package dev.twincloud.api.ecg;

import java.util.List;

/** One page of recordings in (recordedAt, id) order; {@code nextCursor} is null on the last page. */
record RecordingPage(List<RecordingMetadata> items, String nextCursor) {
}
