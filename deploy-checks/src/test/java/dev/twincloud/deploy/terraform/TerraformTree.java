package dev.twincloud.deploy.terraform;

import com.bertramlabs.plugins.hcl4j.HCLParser;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Terraform code under deploy/terraform, parsed with hcl4j. hcl4j keeps the
 * structure (blocks, attributes, literals) and turns expressions into their
 * text, e.g. {@code var.health_check_path}; {@link #resolve} follows such a
 * reference to the variable's default. A block that appears once is a map,
 * repeated it is a list: {@link #blocks} smooths that over.
 */
public final class TerraformTree {

    public record Dir(String kind, String name, Path path, Map<String, Object> hcl, String text) {
        public String label() {
            return kind + "/" + name;
        }

        public Map<String, Map<String, Object>> variables() {
            return section("variable");
        }

        public Map<String, Map<String, Object>> outputs() {
            return section("output");
        }

        public List<Resource> resources(String type) {
            return typed("resource", type);
        }

        public List<Resource> data(String type) {
            return typed("data", type);
        }

        @SuppressWarnings("unchecked")
        private Map<String, Map<String, Object>> section(String key) {
            Object s = hcl.get(key);
            return s == null ? Map.of() : (Map<String, Map<String, Object>>) s;
        }

        @SuppressWarnings("unchecked")
        private List<Resource> typed(String section, String type) {
            Map<String, Object> byType = (Map<String, Object>) hcl.getOrDefault(section, Map.of());
            Map<String, Object> byName = (Map<String, Object>) byType.getOrDefault(type, Map.of());
            List<Resource> out = new ArrayList<>();
            byName.forEach((name, body) -> out.add(new Resource(this, type, name, (Map<String, Object>) body)));
            return out;
        }

        /** A literal, or the default of the variable a {@code var.x} reference names. */
        public Object resolve(Object value) {
            if (value instanceof String s && s.startsWith("var.") && s.indexOf('.', 4) < 0) {
                Map<String, Object> v = variables().get(s.substring(4));
                if (v != null && v.containsKey("default")) {
                    return v.get("default");
                }
            }
            return value;
        }
    }

    public record Resource(Dir dir, String type, String name, Map<String, Object> body) {
        public Object get(String attribute) {
            return body.get(attribute);
        }

        public Object resolved(String attribute) {
            return dir.resolve(body.get(attribute));
        }

        @Override
        public String toString() {
            return dir.label() + ":" + type + "." + name;
        }
    }

    public static final Path ROOT = findRepoRoot();
    public static final Path TERRAFORM = ROOT.resolve("deploy/terraform");
    static final List<String> MODULES =
            List.of("gcp-site", "aws-site", "interconnect", "global-lb", "arbiter-site", "github-oidc", "fleet",
                    "monitoring-cluster");

    private static List<Dir> dirs;

    private TerraformTree() {
    }

    /** Every module and every environment, parsed once per test run. */
    public static synchronized List<Dir> all() {
        if (dirs == null) {
            List<Dir> out = new ArrayList<>();
            for (String kind : List.of("modules", "envs")) {
                for (Path p : list(TERRAFORM.resolve(kind))) {
                    if (Files.isDirectory(p)) {
                        out.add(parse(kind, p));
                    }
                }
            }
            dirs = List.copyOf(out);
        }
        return dirs;
    }

    public static Dir module(String name) {
        return all().stream().filter(d -> d.kind().equals("modules") && d.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("module not found: " + name));
    }

    public static List<Dir> envs() {
        return all().stream().filter(d -> d.kind().equals("envs")).toList();
    }

    public static List<Resource> resources(String type) {
        return all().stream().flatMap(d -> d.resources(type).stream()).toList();
    }

    /** A nested block as a list, whether it appeared once (map), several times (list) or not at all. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> blocks(Object value) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> l) {
            return (List<Map<String, Object>>) l;
        }
        return List.of((Map<String, Object>) value);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> block(Object value) {
        List<Map<String, Object>> b = blocks(value);
        if (b.size() != 1) {
            throw new AssertionError("expected exactly one block, found " + b.size());
        }
        return b.get(0);
    }

    /**
     * hcl4j hands back references and expressions as its own objects; turn them
     * into their text (e.g. "var.name") so that tests compare plain values.
     */
    private static Object normalize(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Number) {
            return v;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), normalize(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(normalize(x)));
            return out;
        }
        return v.toString();
    }

    @SuppressWarnings("unchecked")
    private static Dir parse(String kind, Path dir) {
        Map<String, Object> merged = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder();
        for (Path f : list(dir)) {
            if (!f.toString().endsWith(".tf")) {
                continue;
            }
            try {
                text.append(Files.readString(f)).append('\n');
                deepMerge(merged, (Map<String, Object>) normalize(quietly(() -> new HCLParser().parse(f.toFile(), "UTF-8"))));
            } catch (Exception e) {
                throw new AssertionError("cannot parse " + ROOT.relativize(f) + ": " + e, e);
            }
        }
        return new Dir(kind, dir.getFileName().toString(), dir, merged, text.toString());
    }

    @SuppressWarnings("unchecked")
    private static void deepMerge(Map<String, Object> into, Map<String, Object> from) {
        from.forEach((k, v) -> {
            Object existing = into.get(k);
            if (existing instanceof Map<?, ?> e && v instanceof Map<?, ?> m) {
                deepMerge((Map<String, Object>) e, (Map<String, Object>) m);
            } else {
                into.put(k, v instanceof Map<?, ?> m ? new LinkedHashMap<>((Map<String, Object>) m) : v);
            }
        });
    }

    interface ParseCall {
        Map<String, Object> run() throws Exception;
    }

    /** hcl4j prints evaluation traces to stdout; keep the test output readable. */
    private static synchronized Map<String, Object> quietly(ParseCall call) throws Exception {
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            return call.run();
        } finally {
            System.setOut(out);
        }
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> allTerraformFiles() {
        try (Stream<Path> s = Files.walk(TERRAFORM)) {
            return s.filter(p -> p.toString().endsWith(".tf") || p.toString().endsWith(".tfvars.example")
                    || p.toString().endsWith(".tftpl")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The repository root: the first parent of the working directory holding deploy/terraform. */
    private static Path findRepoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy/terraform")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("deploy/terraform not found above " + Path.of("").toAbsolutePath());
    }
}
