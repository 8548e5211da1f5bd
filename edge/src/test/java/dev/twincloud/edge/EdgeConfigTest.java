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
    void withoutAProfileTheHistoricalDefaultsApplyAndEveryFailureCountsTheSame() {
        EdgeConfig c = EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:8081");
        assertThat(c.profile()).isEqualTo(EdgeConfig.Profile.DEFAULT);
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.timeout()).isEqualTo(Duration.ofMillis(400));
        assertThat(c.healthyThreshold()).isEqualTo(2);
        assertThat(c.unhealthyThreshold()).isEqualTo(2);
        assertThat(c.definitiveDownAtOnce()).isFalse();
    }

    @Test
    void theLabProfileIsTheFastChecksWithTheDefinitiveRule() {
        EdgeConfig c = EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:8081", "--profile", "lab");
        assertThat(c.profile()).isEqualTo(EdgeConfig.Profile.LAB);
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.timeout()).isEqualTo(Duration.ofMillis(80));
        assertThat(c.healthyThreshold()).isEqualTo(1);
        assertThat(c.unhealthyThreshold()).isEqualTo(2);
        assertThat(c.definitiveDownAtOnce()).isTrue();
        assertThat(c.detectionTime()).isEqualTo(Duration.ofMillis(280));
        assertThat(c.definitiveDetectionTime()).isEqualTo(Duration.ofMillis(180));
        assertThat(c.adoptionTime()).isEqualTo(Duration.ofMillis(180));
    }

    @Test
    void theCloudProfileIsTheGcpLoadBalancersCheckWithoutTheDefinitiveRule() {
        // deploy/terraform: check_interval_sec = 1, timeout_sec = 1, healthy_threshold = 1, unhealthy_threshold = 2
        EdgeConfig c = EdgeConfig.parse("--profile=CLOUD", "--backend", "gcp=http://127.0.0.1:8081");
        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.healthyThreshold()).isEqualTo(1);
        assertThat(c.unhealthyThreshold()).isEqualTo(2);
        assertThat(c.definitiveDownAtOnce()).isFalse();
        assertThat(c.detectionTime()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.definitiveDetectionTime()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.adoptionTime()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void explicitFlagsOverrideTheProfileWhateverTheirOrder() {
        EdgeConfig c = EdgeConfig.parse("--unhealthy-threshold", "3", "--backend", "gcp=http://127.0.0.1:8081",
                "--profile", "cloud", "--timeout-ms", "700");
        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.timeout()).isEqualTo(Duration.ofMillis(700));
        assertThat(c.unhealthyThreshold()).isEqualTo(3);
        assertThat(c.healthyThreshold()).isEqualTo(1);
    }

    @Test
    void aHealthPortMovesTheProbeToThatPortOfTheBackendsHost() {
        EdgeConfig c = EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:8081/base", "--backend", "aws=http://127.0.0.1:8082",
                "--health-port", "gcp=9081");
        assertThat(c.backends().get(0).healthUri(c.healthPath())).hasToString("http://127.0.0.1:9081/actuator/health/writer");
        assertThat(c.backends().get(0).url()).hasToString("http://127.0.0.1:8081/base");
        assertThat(c.backends().get(1).healthUri(c.healthPath())).hasToString("http://127.0.0.1:8082/actuator/health/writer");
    }

    @Test
    void help() {
        assertThatThrownBy(() -> EdgeConfig.parse("--backend", "a=http://h:1", "--help"))
                .isInstanceOf(EdgeConfig.HelpRequested.class);
    }

    @Test
    void httpsBackendsAndASecondListenerForHttps(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path crt = java.nio.file.Files.writeString(dir.resolve("tls.crt"), "x");
        java.nio.file.Path key = java.nio.file.Files.writeString(dir.resolve("tls.key"), "x");
        EdgeConfig c = EdgeConfig.parse("--port", "9000", "--backend", "a=https://127.0.0.1:8443", "--tls-port", "9443",
                "--tls-certificate", crt.toString(), "--tls-key", key.toString(), "--backend-ca", crt.toString());
        assertThat(c.backends().get(0).tls()).isTrue();
        assertThat(c.tls()).isEqualTo(new EdgeConfig.ServerTls(9443, crt, key));
        assertThat(c.backendCa()).isEqualTo(crt);
        assertThat(c.backends().get(0).withHealthPort(8091).healthUri("/h")).as("a health port is plain HTTP")
                .hasToString("http://127.0.0.1:8091/h");
        assertThat(EdgeConfig.parse("--backend", "a=http://h:1").tls()).isNull();
        assertThatThrownBy(() -> EdgeConfig.parse("--port", "9000", "--backend", "a=http://h:1", "--tls-port", "9000",
                "--tls-certificate", crt.toString(), "--tls-key", key.toString()))
                .hasMessageContaining("--tls-port must differ from --port (9000)");
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
            --backend a=http://h:1 --profile fast                | --profile must be lab or cloud, got: fast
            --backend a=http://h:1 --profile                     | --profile needs a value
            --backend a=http://h:1 --profile lab --timeout-ms 200 | --timeout-ms must be <= --interval-ms
            --backend a=http://h:1 --health-port b=9000          | --health-port names no --backend: b
            --backend a=http://h:1 --health-port a               | --health-port must be NAME=PORT
            --backend a=http://h:1 --health-port a=0             | PORT 1..65535
            --backend a=http://h:1 --health-port a=x             | --health-port needs an integer
            --backend a=http://h:1 --health-port a=1 --health-port a=2 | --health-port given twice
            --backend a=https://h:1 --tls-port 9443               | --tls-port, --tls-certificate and --tls-key go together
            --backend a=https://h:1 --tls-key k.pem               | --tls-port, --tls-certificate and --tls-key go together
            --backend a=https://h:1 --tls-port 1 --tls-certificate /nonexistent.crt --tls-key /nonexistent.key | --tls-certificate: no readable file /nonexistent.crt
            --backend a=https://h:1 --backend-ca /nonexistent-ca.crt | --backend-ca: no readable file /nonexistent-ca.crt
            """)
    void rejectsBadArgs(String line, String message) {
        assertThatThrownBy(() -> EdgeConfig.parse(line.trim().split("\\s+")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
