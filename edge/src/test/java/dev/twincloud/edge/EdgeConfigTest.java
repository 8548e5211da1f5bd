package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EdgeConfigTest {

    @Test
    void parsesAllFlags() {
        EdgeConfig c = EdgeConfig.parse("--port", "9000", "--backend", "gcp=http://127.0.0.1:8081",
                "--backend=aws=http://127.0.0.1:8082/", "--health-path", "/actuator/health/writer",
                "--interval-ms", "500", "--timeout-ms", "400", "--healthy-threshold", "3",
                "--unhealthy-threshold", "2");
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.backends()).extracting(Backend::name).containsExactly("gcp", "aws");
        assertThat(c.backends().get(1).url()).hasToString("http://127.0.0.1:8082");
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.timeout()).isEqualTo(Duration.ofMillis(400));
        assertThat(c.healthyThreshold()).isEqualTo(3);
        assertThat(c.unhealthyThreshold()).isEqualTo(2);
        assertThat(c.detectionTime()).isEqualTo(Duration.ofMillis(1400));
    }

    @Test
    void help() {
        assertThatThrownBy(() -> EdgeConfig.parse("--backend", "a=http://h:1", "--help"))
                .isInstanceOf(EdgeConfig.HelpRequested.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            --port x --backend a=http://h:1                      | --port needs an integer
            --port 70000 --backend a=http://h:1                  | --port must be 0..65535
            --port 1                                             | at least one --backend
            --backend a                                          | --backend must be NAME=URL
            --backend a=ftp://h:1                                | must be http://host:port
            --backend a=http://h                                 | must be http://host:port
            --backend a=http://h:1 --backend a=http://h:2        | duplicate backend name: a
            --backend a=http://h:1 --interval-ms 100 --timeout-ms 200 | --timeout-ms must be <= --interval-ms
            --backend a=http://h:1 --healthy-threshold 0         | thresholds must be >= 1
            --backend a=http://h:1 --health-path x               | --health-path must start with '/'
            --backend a=http://h:1 --bogus 1                     | unknown flag: --bogus
            --backend a=http://h:1 stray                         | unexpected argument: stray
            --bogus                                              | unknown flag: --bogus
            --backend                                            | --backend needs a value
            """)
    void rejectsBadArgs(String line, String message) {
        assertThatThrownBy(() -> EdgeConfig.parse(line.trim().split("\\s+")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
