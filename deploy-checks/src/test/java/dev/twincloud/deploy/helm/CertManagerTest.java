package dev.twincloud.deploy.helm;

import static dev.twincloud.deploy.helm.Charts.one;
import static dev.twincloud.deploy.helm.Charts.ofKind;
import static dev.twincloud.deploy.helm.Charts.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.networknt.schema.JsonSchema;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cert-manager objects of both charts (certManager.enabled): rendered by real Helm and validated
 * against cert-manager's own CRD schemas, vendored in src/test/resources/crds/cert-manager (upstream
 * version in its README); and the agent's trust wired to what cert-manager writes.
 */
class CertManagerTest {
    private static final JsonSchema CERTIFICATE = CrdSchemas.schemaFor("cert-manager", "cert-manager.io_certificates.yaml", "v1");
    private static final JsonSchema ISSUER = CrdSchemas.schemaFor("cert-manager", "cert-manager.io_issuers.yaml", "v1");

    /** cert-manager on, with an Issuer the chart renders: Vault signs, its CA key never in the cluster. */
    private static Map<String, Object> vault(Map<String, Object> more) {
        Map<String, Object> sets = new LinkedHashMap<>();
        sets.put("certManager.enabled", true);
        sets.put("certManager.issuer.create", true);
        sets.put("certManager.issuerRef.kind", "Issuer");
        sets.put("certManager.issuer.spec.vault.server", "https://vault.example.com:8200");
        sets.put("certManager.issuer.spec.vault.path", "pki/sign/twincloud");
        sets.put("certManager.issuer.spec.vault.auth.kubernetes.role", "twincloud");
        sets.put("certManager.issuer.spec.vault.auth.kubernetes.mountPath", "/v1/auth/kubernetes");
        sets.put("certManager.issuer.spec.vault.auth.kubernetes.serviceAccountRef.name", "twincloud-issuer");
        sets.putAll(more);
        return sets;
    }

    private static List<Map<String, Object>> site(String valuesFile, Map<String, Object> sets) {
        return Charts.render(Charts.SITE, Charts.values(valuesFile), sets);
    }

    private static List<Map<String, Object>> arbiter(Map<String, Object> sets) {
        return Charts.render(Charts.ARBITER, Charts.values("values-arbiter.yaml"), sets);
    }

    @ParameterizedTest
    @ValueSource(strings = {"values-gcp.yaml", "values-aws.yaml"})
    void theSitesCertificateAndIssuerValidateAgainstCertManagersSchemas(String valuesFile) {
        List<Map<String, Object>> docs = site(valuesFile, vault(Map.of()));
        Map<String, Object> certificate = one(docs, "Certificate", "twincloud-agent-tls");
        assertThat(CrdSchemas.validate(CERTIFICATE, certificate)).isEmpty();
        assertThat(CrdSchemas.validate(ISSUER, one(docs, "Issuer", "twincloud-control-plane"))).isEmpty();
        assertThat((String) path(certificate, "spec.issuerRef.kind")).isEqualTo("Issuer");
        // With a ClusterIssuer (the default) the chart renders no Issuer, and the Certificate still validates.
        List<Map<String, Object>> cluster = site(valuesFile, Map.of("certManager.enabled", true));
        assertThat(ofKind(cluster, "Issuer")).isEmpty();
        assertThat(CrdSchemas.validate(CERTIFICATE, one(cluster, "Certificate", "twincloud-agent-tls"))).isEmpty();
    }

    @Test
    void theArbitersCertificateAndIssuerValidateAgainstCertManagersSchemas() {
        List<Map<String, Object>> docs = arbiter(vault(Map.of()));
        Map<String, Object> certificate = one(docs, "Certificate", "twincloud-arbiter-tls");
        assertThat(CrdSchemas.validate(CERTIFICATE, certificate)).isEmpty();
        assertThat(CrdSchemas.validate(ISSUER, one(docs, "Issuer", "twincloud-control-plane"))).isEmpty();
        // cert-manager writes the Secret the arbiter mounts and its ServiceMonitor trusts (ca.crt).
        assertThat((String) path(certificate, "spec.secretName")).isEqualTo("twincloud-arbiter-tls");
        assertThat(docs.toString()).contains("secretName=twincloud-arbiter-tls");
    }

    @Test
    void offByDefaultTheOperatorsSecretsAreUsed() {
        for (String f : List.of("values-gcp.yaml", "values-aws.yaml")) {
            assertThat(ofKind(site(f, Map.of()), "Certificate")).isEmpty();
        }
        assertThat(ofKind(arbiter(Map.of()), "Certificate")).isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void schemaValidationCatchesAMisspeltCertificateField() {
        Map<String, Object> certificate = new HashMap<>(one(site("values-gcp.yaml", vault(Map.of())), "Certificate", "twincloud-agent-tls"));
        Map<String, Object> spec = new HashMap<>((Map<String, Object>) certificate.get("spec"));
        spec.put("ipAddress", spec.remove("ipAddresses"));
        certificate.put("spec", spec);
        assertThat(CrdSchemas.validate(CERTIFICATE, certificate)).anySatisfy(m -> assertThat(m).contains("ipAddress"));
        // An unknown issuer type is caught in the Issuer.
        Map<String, Object> issuer = new HashMap<>(one(site("values-gcp.yaml", vault(Map.of())), "Issuer", "twincloud-control-plane"));
        issuer.put("spec", Map.of("vaultt", Map.of("server", "https://vault.example.com:8200")));
        assertThat(CrdSchemas.validate(ISSUER, issuer)).anySatisfy(m -> assertThat(m).contains("vaultt"));
    }

    @Test
    void anIssuerThatKeepsTheCaKeyInTheClusterIsRefused() {
        // Issue 14: the CA's private key is never stored in the clusters.
        Map<String, Object> ca = Map.of("certManager.enabled", true, "certManager.issuer.create", true,
                "certManager.issuerRef.kind", "Issuer", "certManager.issuer.spec.ca.secretName", "twincloud-ca");
        assertThatThrownBy(() -> site("values-gcp.yaml", ca)).hasMessageContaining("private key");
        assertThatThrownBy(() -> arbiter(ca)).hasMessageContaining("private key");
        Map<String, Object> selfSigned = Map.of("certManager.enabled", true, "certManager.issuer.create", true,
                "certManager.issuerRef.kind", "Issuer", "certManager.issuer.spec.selfSigned.crlDistributionPoints[0]", "http://x");
        assertThatThrownBy(() -> site("values-aws.yaml", selfSigned)).hasMessageContaining("selfSigned");
        // A chart-made Issuer referred to as a ClusterIssuer would never be found.
        assertThatThrownBy(() -> site("values-gcp.yaml", vault(Map.of("certManager.issuerRef.kind", "ClusterIssuer"))))
                .hasMessageContaining("issuerRef.kind to Issuer");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theAgentTrustsWhatCertManagerWritesAndJava21CanReadIt() {
        List<Map<String, Object>> docs = site("values-gcp.yaml", Map.of("certManager.enabled", true));
        Map<String, Object> certificate = one(docs, "Certificate", "twincloud-agent-tls");
        Map<String, Object> pkcs12 = path(certificate, "spec.keystores.pkcs12");
        // cert-manager's default LegacyRC2 is not readable by Java 20 and later (its CRD says so).
        assertThat(pkcs12).containsEntry("create", true).containsEntry("profile", "Modern2023");
        Map<String, Object> pod = path(one(docs, "Deployment", "twincloud-agent"), "spec.template.spec");
        Map<String, Object> trust = ((List<Map<String, Object>>) pod.get("volumes")).stream()
                .filter(v -> "arbiter-ca".equals(v.get("name"))).findFirst().orElseThrow();
        assertThat((String) path(trust, "secret.secretName")).isEqualTo((String) path(certificate, "spec.secretName"));
        assertThat(String.valueOf((Object) path(trust, "secret.items"))).contains("key=truststore.p12");
        Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).getFirst();
        Map<String, Object> password = ((List<Map<String, Object>>) container.get("env")).stream()
                .filter(e -> "ARBITER_TRUSTSTORE_PASSWORD".equals(e.get("name"))).findFirst().orElseThrow();
        assertThat(password.get("value")).isEqualTo(pkcs12.get("password"));
        // Without cert-manager, the operator's trust store Secret.
        List<Map<String, Object>> operator = site("values-gcp.yaml", Map.of());
        assertThat(operator.toString()).contains("secretName=twincloud-arbiter-ca");
    }

    @Test
    void certManagerNeedsTheAgentsTlsAndAddressesToName() {
        assertThatThrownBy(() -> site("values-gcp.yaml", Map.of("certManager.enabled", true, "agent.tls.enabled", false)))
                .hasMessageContaining("agent.tls.enabled");
        assertThatThrownBy(() -> site("values-gcp.yaml", Map.of("certManager.enabled", true, "certManager.agentIpAddresses", "null")))
                .hasMessageContaining("agentIpAddresses");
        assertThatThrownBy(() -> arbiter(Map.of("certManager.enabled", true, "certManager.ipAddresses", "null")))
                .hasMessageContaining("ipAddresses");
    }
}
