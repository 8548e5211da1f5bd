package dev.twincloud.deploy.helm;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The charts under deploy/helm, rendered and linted through the real Helm library (helm-java
 * bundles it natively, so no helm binary is needed), with one of the per-provider values files.
 */
public final class Charts {
    public static final Path HELM = locate("deploy/helm");
    public static final Path SITE = HELM.resolve("twincloud-site");
    public static final Path ARBITER = HELM.resolve("twincloud-arbiter");
    public static final String NAMESPACE = "twincloud";

    private static final ObjectMapper YAML = new YAMLMapper();
    /** No Kubernetes API here: the site chart's lookup of the live Cluster is switched off. */
    private static final Map<String, Object> OFFLINE = Map.of("postgres.checkLiveCluster", false);

    private Charts() {
    }

    /** The repository root's path, found by walking up from the module's directory. */
    private static Path locate(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("cannot find " + relative + " above " + Path.of("").toAbsolutePath());
    }

    public static Path values(String name) {
        return HELM.resolve(name);
    }

    /** {@code helm template} with the values file and extra --set pairs; the documents, in order. */
    public static List<Map<String, Object>> render(Path chart, Path valuesFile, Map<String, Object> sets) {
        TemplateCommand t = new Helm(chart).template().withName("twincloud").withNamespace(NAMESPACE).withValuesFile(valuesFile);
        OFFLINE.forEach(t::set);
        sets.forEach(t::set);
        return parseAll(t.call());
    }

    public static List<Map<String, Object>> render(Path chart, Path valuesFile) {
        return render(chart, valuesFile, Map.of());
    }

    /**
     * {@code helm lint --strict} of the chart as configured by one values file. helm-java's lint
     * takes no values file, so the chart is copied and its values.yaml deep-merged with the file,
     * which is what Helm itself does with -f.
     */
    static LintResult lint(Path chart, Path valuesFile, Path workDir) {
        try {
            Path copy = workDir.resolve(chart.getFileName());
            try (Stream<Path> files = Files.walk(chart)) {
                for (Path p : files.toList()) {
                    Path target = copy.resolve(chart.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target);
                    }
                }
            }
            Map<String, Object> merged = merge(readMap(chart.resolve("values.yaml")), readMap(valuesFile));
            if (merged.get("postgres") instanceof Map<?, ?> pg) {
                @SuppressWarnings("unchecked")
                Map<String, Object> postgres = new LinkedHashMap<>((Map<String, Object>) pg);
                postgres.put("checkLiveCluster", false);
                merged.put("postgres", postgres);
            }
            YAML.writeValue(copy.resolve("values.yaml").toFile(), merged);
            return new Helm(copy).lint().strict().call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, Object> readMap(Path file) throws IOException {
        Map<String, Object> m = YAML.readValue(file.toFile(), new TypeReference<>() {
        });
        return m == null ? new LinkedHashMap<>() : m;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        over.forEach((k, v) -> {
            if (v instanceof Map<?, ?> vm && out.get(k) instanceof Map<?, ?> bm) {
                out.put(k, merge((Map<String, Object>) bm, (Map<String, Object>) vm));
            } else {
                out.put(k, v);
            }
        });
        return out;
    }

    public static List<Map<String, Object>> parseAll(String multiDoc) {
        try (var parser = new YAMLFactory().createParser(multiDoc)) {
            List<Map<String, Object>> docs = new ArrayList<>();
            var it = YAML.readValues(parser, new TypeReference<Map<String, Object>>() {
            });
            while (it.hasNext()) {
                Map<String, Object> d = it.next();
                if (d != null && !d.isEmpty()) {
                    docs.add(d);
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    public static Map<String, Object> one(List<Map<String, Object>> docs, String kind, String name) {
        return docs.stream()
                .filter(d -> kind.equals(d.get("kind")) && name.equals(path(d, "metadata.name")))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered"));
    }

    /** A value at a dotted path of maps ({@code spec.replica.primary}); null when absent. */
    @SuppressWarnings("unchecked")
    public static <T> T path(Object node, String dotted) {
        Object cur = node;
        for (String part : dotted.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = m.get(part);
        }
        return (T) cur;
    }
}
