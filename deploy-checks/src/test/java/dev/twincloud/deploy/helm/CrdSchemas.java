package dev.twincloud.deploy.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Validates rendered custom resources against the openAPIV3Schema of their CRD, vendored in
 * src/test/resources/crds/ (CloudNativePG's, cert-manager's; upstream versions in its README). Stricter than the API server: where the schema lists
 * properties and does not preserve unknown fields, an unknown field is an error here (the server
 * would silently prune it, which hides typos such as {@code replica.primaryy}).
 */
final class CrdSchemas {
    private static final ObjectMapper YAML = new YAMLMapper();
    static final Path DIR = locateSchemas();

    private CrdSchemas() {
    }

    /** The vendored CRDs (src/test/resources/crds, see its README for versions), from the test classpath. */
    private static Path locateSchemas() {
        var url = CrdSchemas.class.getResource("/crds/cloudnative-pg");
        if (url == null) {
            throw new IllegalStateException("the vendored CRDs (src/test/resources/crds/cloudnative-pg) are not on the test classpath");
        }
        try {
            return Path.of(url.toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The schema of {@code group/version kind}, from the CloudNativePG CRD file {@code <group>_<plural>.yaml}. */
    static JsonSchema schemaFor(String crdFile, String version) {
        return schemaFor("cloudnative-pg", crdFile, version);
    }

    /** The same from another vendored project's folder (crds/&lt;folder&gt;, e.g. cert-manager). */
    static JsonSchema schemaFor(String folder, String crdFile, String version) {
        try {
            JsonNode crd = YAML.readTree(DIR.resolveSibling(folder).resolve(crdFile).toFile());
            for (JsonNode v : crd.path("spec").path("versions")) {
                if (version.equals(v.path("name").asText())) {
                    ObjectNode schema = v.path("schema").path("openAPIV3Schema").deepCopy();
                    closeObjects(schema);
                    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
                }
            }
            throw new IllegalArgumentException(crdFile + " has no version " + version);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** additionalProperties: false wherever the schema lists properties and keeps no unknown fields. */
    private static void closeObjects(JsonNode node) {
        if (node instanceof ObjectNode o) {
            if (o.has("properties") && !o.has("additionalProperties")
                    && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                o.put("additionalProperties", false);
            }
            o.properties().forEach(e -> {
                // "properties" maps names to schemas: recurse into the schemas, not the names
                closeObjects(e.getValue());
            });
        } else if (node != null && node.isArray()) {
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                closeObjects(it.next());
            }
        }
    }

    static Set<String> validate(JsonSchema schema, Map<String, Object> doc) {
        JsonNode json = YAML.valueToTree(doc);
        Set<ValidationMessage> errors = schema.validate(json);
        return errors.stream().map(ValidationMessage::getMessage).collect(Collectors.toCollection(java.util.TreeSet::new));
    }
}
