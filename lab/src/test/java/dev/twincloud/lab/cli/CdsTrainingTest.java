package dev.twincloud.lab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The launcher's training run works on its bundled samples (a failing one would leave the CLI without its archive). */
class CdsTrainingTest {
    @Test
    void rendersItsSamplesWithoutFailing() throws Exception {
        assertThat(CdsTraining.train()).as("characters rendered: help, status tables, JSON, an error").isGreaterThan(2000);
    }
}
