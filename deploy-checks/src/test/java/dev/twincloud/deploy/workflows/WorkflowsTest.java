package dev.twincloud.deploy.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every GitHub Actions workflow is validated against the workflow schema by action-validator
 * (npm: @action-validator/cli, installed into target/npm on first use), and the deploy
 * workflows are checked for what matters: keyless OIDC, Jib, helm with the site's values file.
 */
class WorkflowsTest {
    static final String VALIDATOR_VERSION = "0.6.0";
    static final Path WORKFLOWS = locate(".github/workflows");
    private static final Path NPM_PREFIX = Path.of("target", "npm").toAbsolutePath();
    private static final YAMLMapper YAML = new YAMLMapper();
    private static Path validator;

    private static Path locate(String relative) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
        }
        throw new IllegalStateException("cannot find " + relative);
    }

    static Stream<Path> workflows() throws IOException {
        try (Stream<Path> s = Files.list(WORKFLOWS)) {
            return s.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @BeforeAll
    static void installValidator() throws Exception {
        Path bin = NPM_PREFIX.resolve("node_modules/.bin/action-validator");
        if (!Files.isExecutable(bin)) {
            assumeTrue(onPath("npm"), "npm is not installed: workflow validation skipped (CI installs node and npm)");
            Files.createDirectories(NPM_PREFIX);
            Result r = run(List.of("npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", NPM_PREFIX.toString(),
                    "@action-validator/cli@" + VALIDATOR_VERSION, "@action-validator/core@" + VALIDATOR_VERSION), 300);
            assertThat(r.exit()).as("npm install @action-validator/cli: %s", r.output()).isZero();
        }
        validator = bin;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workflows")
    void workflowIsValid(Path workflow) throws Exception {
        Result r = run(List.of(validator.toString(), workflow.toString()), 60);
        assertThat(r.exit()).as("action-validator %s:%n%s", workflow.getFileName(), r.output()).isZero();
    }

    @Test
    void validatorRejectsABrokenWorkflow() throws Exception {
        Path bad = Files.createTempFile(NPM_PREFIX, "broken", ".yml");
        Files.writeString(bad, "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n");
        assertThat(run(List.of(validator.toString(), bad.toString()), 60).exit()).isNotZero();
    }

    @Test
    void theExpectedWorkflowsExist() throws IOException {
        assertThat(workflows().map(p -> p.getFileName().toString()))
                .contains("ci.yml", "deploy.yml", "deploy-site.yml", "switchover.yml");
    }

    @Test
    void ciBuildsAndTestsEveryPushAndPullRequest() throws IOException {
        JsonNode ci = YAML.readTree(WORKFLOWS.resolve("ci.yml").toFile());
        assertThat(ci.path("on").has("push")).isTrue();
        assertThat(ci.path("on").has("pull_request")).isTrue();
        assertThat(ci.path("on").path("push").has("branches")).as("every branch").isFalse();
        assertThat(runs(ci)).anySatisfy(run -> assertThat(run).contains("./mvnw -B verify"));
    }

    @Test
    void deployIsKeylessBuildsWithJibAndUpgradesTheSite() throws IOException {
        JsonNode wf = YAML.readTree(WORKFLOWS.resolve("deploy-site.yml").toFile());
        assertThat(wf.path("permissions").path("id-token").asText()).as("OIDC token for federation").isEqualTo("write");
        String text = Files.readString(WORKFLOWS.resolve("deploy-site.yml"));
        assertThat(text).contains("google-github-actions/auth@", "aws-actions/configure-aws-credentials@");
        assertThat(text).as("no long-lived keys").doesNotContain("credentials_json", "aws-access-key-id",
                "aws-secret-access-key", "AWS_SECRET_ACCESS_KEY", "service_account_key");
        List<String> runs = runs(wf);
        assertThat(runs).anySatisfy(r -> assertThat(r).contains("jib:build").contains("-pl api,agent,arbiter"));
        assertThat(runs).anySatisfy(r -> assertThat(r).contains("helm upgrade --install")
                .contains("deploy/helm/twincloud-site").contains("-f \"deploy/helm/values-$SITE.yaml\"")
                .contains("image.tag=\"$GITHUB_SHA\""));
        assertThat(runs).anySatisfy(r -> assertThat(r).contains("/actuator/health/readiness").contains("rollout status"));
        assertThat(wf.path("on").path("workflow_call").path("inputs").has("site")).isTrue();
        assertThat(runs.get(1)).as("the second step refuses the writer's site")
                .contains("is the writer");
    }

    /** deploy.yml: standby site, wait in sync, planned switchover, then the former writer's site. */
    @Test
    void aRolloutUpgradesTheStandbyFirstThenSwitchesOverThenTheFormerWriter() throws IOException {
        JsonNode wf = YAML.readTree(WORKFLOWS.resolve("deploy.yml").toFile());
        JsonNode jobs = wf.path("jobs");
        assertThat(jobs.path("standby").path("uses").asText()).isEqualTo("./.github/workflows/deploy-site.yml");
        assertThat(jobs.path("standby").path("with").path("site").asText()).isEqualTo("${{ needs.plan.outputs.standby }}");
        assertThat(jobs.path("switchover").path("needs")).extracting(JsonNode::asText).contains("standby");
        assertThat(jobs.path("former-writer").path("needs")).extracting(JsonNode::asText).contains("switchover");
        assertThat(jobs.path("former-writer").path("with").path("site").asText()).isEqualTo("${{ needs.plan.outputs.writer }}");
        String switchover = jobs.path("switchover").toString();
        assertThat(switchover.indexOf("standbyEligible")).as("waits until back in sync before switching").isPositive()
                .isLessThan(switchover.indexOf("/v1/switchover"));
        assertThat(wf.path("concurrency").path("group").asText()).isEqualTo("deploy-sites");
        assertThat(wf.path("on").path("push").path("branches")).extracting(JsonNode::asText).containsExactly("main");
    }

    @Test
    void switchoverIsManualAndUsesTheOperatorTokenFromSecrets() throws IOException {
        JsonNode wf = YAML.readTree(WORKFLOWS.resolve("switchover.yml").toFile());
        assertThat(wf.path("on").fieldNames()).toIterable().containsExactly("workflow_dispatch");
        assertThat(wf.path("on").path("workflow_dispatch").path("inputs").path("target").path("options"))
                .extracting(JsonNode::asText).containsExactlyInAnyOrder("gcp", "aws");
        assertThat(Files.readString(WORKFLOWS.resolve("switchover.yml"))).contains("secrets.TWINCLOUD_OPERATOR_TOKEN");
    }

    private static List<String> runs(JsonNode wf) {
        List<String> out = new ArrayList<>();
        wf.path("jobs").forEach(job -> job.path("steps").forEach(step -> {
            if (step.has("run")) {
                out.add(step.path("run").asText());
            }
        }));
        return out;
    }

    record Result(int exit, String output) {
    }

    private static Result run(List<String> command, long timeoutSeconds) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(java.io.File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
