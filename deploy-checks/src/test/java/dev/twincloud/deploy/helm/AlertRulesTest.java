package dev.twincloud.deploy.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules (deploy/helm/twincloud-site/monitoring/twincloud.rules.yaml, the one source of the
 * chart's PrometheusRule and the lab's Prometheus) checked by Prometheus' own {@code promtool}: the
 * file loads ({@code check rules}) and its unit tests pass ({@code test rules}: input series for every
 * alert, firing and quiet cases). And what the operator needs of each alert: a severity, a summary,
 * a runbook section in docs/runbooks.md.
 *
 * <p>promtool is Debian's {@code prometheus} package ({@code .ci/run} installs it); without it the two
 * promtool tests are skipped, except under CI ({@code CI} set), where they fail.
 */
class AlertRulesTest {
    static final Path MONITORING = Charts.SITE.resolve("monitoring");
    static final Path RULES = MONITORING.resolve("twincloud.rules.yaml");
    static final Path RULE_TESTS = MONITORING.resolve("tests/twincloud.rules.test.yaml");
    /** The main file's alerts whose bounds are hours and days, tested at an hourly evaluation (nine days at 15 s took 51 s). */
    static final Path DAILY_RULE_TESTS = MONITORING.resolve("tests/twincloud-daily.rules.test.yaml");
    /** The site's own rules (monitoring.standalone; docs/observability.md, "When GCP is down") and their tests. */
    static final Path STANDALONE_RULES = MONITORING.resolve("twincloud-standalone.rules.yaml");
    static final Path STANDALONE_RULE_TESTS = MONITORING.resolve("tests/twincloud-standalone.rules.test.yaml");
    static final Map<Path, List<Path>> RULE_FILES = Map.of(RULES, List.of(RULE_TESTS, DAILY_RULE_TESTS), STANDALONE_RULES, List.of(STANDALONE_RULE_TESTS));
    static final Path RUNBOOKS = Charts.HELM.getParent().getParent().resolve("docs/runbooks.md");
    private static final ObjectMapper YAML = new YAMLMapper();

    /** The alerting rules of the main file (the monitoring cluster's, the lab's), by name. */
    static Map<String, Map<String, Object>> alerts() throws IOException {
        return alerts(RULES);
    }

    /** The alerting rules of both files, by name: every one has a runbook section. */
    static Map<String, Map<String, Object>> allAlerts() throws IOException {
        Map<String, Map<String, Object>> all = new LinkedHashMap<>(alerts(RULES));
        alerts(STANDALONE_RULES).forEach((name, rule) -> assertThat(all.put(name, rule)).as("alert %s defined in both files", name).isNull());
        return all;
    }

    /** The alerting rules of one file, by name. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> alerts(Path rules) throws IOException {
        Map<String, Object> file = YAML.readValue(rules.toFile(), Map.class);
        Map<String, Map<String, Object>> alerts = new LinkedHashMap<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                if (rule.containsKey("alert")) {
                    assertThat(alerts.put((String) rule.get("alert"), rule)).as("alert %s defined twice", rule.get("alert")).isNull();
                }
            }
        }
        return alerts;
    }

    @Test
    void promtoolChecksTheRules() throws Exception {
        for (Path rules : RULE_FILES.keySet()) {
            Result r = promtool("check", "rules", rules.toString());
            assertThat(r.exit()).as("promtool check rules %s:\n%s", rules.getFileName(), r.output()).isZero();
            assertThat(r.output()).contains("SUCCESS: " + alerts(rules).size() + " rules found");
        }
    }

    @Test
    void promtoolUnitTestsPass() throws Exception {
        for (Path tests : RULE_FILES.values().stream().flatMap(List::stream).toList()) {
            Result r = promtool("test", "rules", tests.toString());
            assertThat(r.exit()).as("promtool test rules %s:\n%s", tests.getFileName(), r.output()).isZero();
            assertThat(r.output()).contains("SUCCESS");
        }
    }

    /** The checks above can fail: a rule test expecting the wrong summary is reported by promtool. */
    @Test
    void promtoolReportsAWrongExpectation(@TempDir Path tmp) throws Exception {
        Files.copy(RULES, tmp.resolve("twincloud.rules.yaml"));
        Files.createDirectories(tmp.resolve("tests"));
        String tests = Files.readString(RULE_TESTS).replace("Writer gcp has 0 streaming standbys", "Writer gcp has 7 streaming standbys");
        Files.writeString(tmp.resolve("tests/t.yaml"), tests);
        Result r = promtool("test", "rules", tmp.resolve("tests/t.yaml").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("TwincloudReplicationBroken").contains("7 streaming standbys");
    }

    /** Every alert has a unit test where it fires (with its labels and summary checked) and one where it stays quiet. */
    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasAFiringAndAQuietUnitTest() throws IOException {
        Set<String> fires = new LinkedHashSet<>();
        Set<String> quiet = new LinkedHashSet<>();
        for (Path tests : RULE_FILES.values().stream().flatMap(List::stream).toList()) {
            Map<String, Object> file = YAML.readValue(tests.toFile(), Map.class);
            for (Map<String, Object> test : (List<Map<String, Object>>) file.get("tests")) {
                for (Map<String, Object> c : (List<Map<String, Object>>) test.getOrDefault("alert_rule_test", List.of())) {
                    List<Map<String, Object>> exp = (List<Map<String, Object>>) c.getOrDefault("exp_alerts", List.of());
                    String name = (String) c.get("alertname");
                    if (exp == null || exp.isEmpty()) {
                        quiet.add(name);
                    } else {
                        assertThat(exp).allSatisfy(e -> assertThat(((Map<String, Object>) e.get("exp_annotations"))).containsKey("summary"));
                        fires.add(name);
                    }
                }
            }
        }
        assertThat(fires).as("alerts with a firing case").containsAll(allAlerts().keySet());
        assertThat(quiet).as("alerts with a quiet case").containsAll(allAlerts().keySet());
        assertThat(fires).as("tests of alerts that do not exist").isSubsetOf(allAlerts().keySet());
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasASeverityASummaryAndARunbookSection() throws IOException {
        String runbooks = Files.readString(RUNBOOKS);
        Set<String> headings = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?m)^## (\\S+)\\s*$").matcher(runbooks);
        while (m.find()) {
            headings.add(m.group(1));
        }
        List<String> problems = new ArrayList<>();
        allAlerts().forEach((name, rule) -> {
            Map<String, Object> labels = (Map<String, Object>) rule.getOrDefault("labels", Map.of());
            Map<String, Object> annotations = (Map<String, Object>) rule.getOrDefault("annotations", Map.of());
            if (!List.of("critical", "warning", "info").contains(labels.get("severity"))) {
                problems.add(name + ": severity must be critical, warning or info, is " + labels.get("severity"));
            }
            String summary = String.valueOf(annotations.get("summary"));
            if (!summary.contains("{{ $value") && !summary.contains("{{ $labels.")) {
                problems.add(name + ": the summary names neither the site nor the number: " + summary);
            }
            if (!("docs/runbooks.md#" + name.toLowerCase(Locale.ROOT)).equals(annotations.get("runbook_url"))) {
                problems.add(name + ": runbook_url must be docs/runbooks.md#" + name.toLowerCase(Locale.ROOT));
            }
            if (!headings.contains(name)) {
                problems.add(name + ": no section '## " + name + "' in docs/runbooks.md");
            } else {
                String section = runbooks.substring(runbooks.indexOf("## " + name + "\n"));
                int next = section.indexOf("\n## ", 3);
                section = next < 0 ? section : section.substring(0, next);
                for (String part : List.of("**What it means.**", "**What to check.**", "**What to do.**")) {
                    if (!section.contains(part)) {
                        problems.add(name + ": its runbook section lacks " + part);
                    }
                }
            }
        });
        assertThat(problems).isEmpty();
        assertThat(headings).as("runbook sections of alerts that do not exist").isSubsetOf(allAlerts().keySet());
    }

    record Result(int exit, String output) {
    }

    static Result promtool(String... args) throws IOException, InterruptedException {
        Path bin = promtoolBinary();
        List<String> cmd = new ArrayList<>(List.of(bin.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        return new Result(p.exitValue(), out);
    }

    /** {@code TWINCLOUD_PROMTOOL}, else {@code promtool} on the PATH. */
    static Path promtoolBinary() {
        String explicit = System.getenv("TWINCLOUD_PROMTOOL");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "promtool"))) {
                return Path.of(dir, "promtool");
            }
        }
        String why = "promtool not found on the PATH (Debian: apt-get install prometheus; .ci/run installs it)";
        if (System.getenv("CI") != null) {
            throw new AssertionError(why);
        }
        Assumptions.abort(why);
        return null;
    }
}
