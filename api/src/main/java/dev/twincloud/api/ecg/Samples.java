package dev.twincloud.api.ecg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Samples on disk: little-endian int16, two bytes per sample, in one bytea per lead. */
final class Samples {

    private Samples() {
    }

    static byte[] encode(short[] samples) {
        ByteBuffer bytes = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asShortBuffer().put(samples);
        return bytes.array();
    }

    static short[] decode(byte[] bytes) {
        short[] samples = new short[bytes.length / 2];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
        return samples;
    }
}
