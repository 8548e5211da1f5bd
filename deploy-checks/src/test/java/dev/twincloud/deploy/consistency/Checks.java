package dev.twincloud.deploy.consistency;

import static dev.twincloud.deploy.helm.Charts.path;

import dev.twincloud.deploy.helm.Charts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The cross-file checks of the deployment: each takes the parts it compares (rendered charts,
 * Terraform values, workflow jobs) and returns the problems it finds, one sentence each. The tests
 * feed them the repository's real files and, for each check, a broken variant that must be caught.
 */
final class Checks {
    private Checks() {
    }

    /** One Secret of deploy/helm/secrets.yaml. */
    record OperatorSecret(String name, List<String> at, boolean same) {
    }

    /** A Secret a rendered object refers to, and why that reference matters. */
    record SecretRef(String name, String from, boolean mustBeSameAtBothSites) {
    }

    // ---------------------------------------------------------------- secrets

    /** Every Secret the objects of one place refer to (env, volumes, the Cluster, monitors). */
    @SuppressWarnings("unchecked")
    static List<SecretRef> secretRefs(List<Map<String, Object>> docs) {
        List<SecretRef> out = new ArrayList<>();
        for (Map<String, Object> d : docs) {
            String where = d.get("kind") + "/" + path(d, "metadata.name");
            if ("Deployment".equals(d.get("kind"))) {
                Map<String, Object> pod = path(d, "spec.template.spec");
                for (Map<String, Object> c : (List<Map<String, Object>>) pod.getOrDefault("containers", List.of())) {
                    for (Map<String, Object> e : (List<Map<String, Object>>) c.getOrDefault("env", List.of())) {
                        String name = path(e, "valueFrom.secretKeyRef.name");
                        if (name != null) {
                            out.add(new SecretRef(name, where + " env " + e.get("name"), false));
                        }
                    }
                }
                for (Map<String, Object> v : (List<Map<String, Object>>) pod.getOrDefault("volumes", List.of())) {
                    String name = path(v, "secret.secretName");
                    if (name != null) {
                        out.add(new SecretRef(name, where + " volume " + v.get("name"), false));
                    }
                }
            } else if ("Cluster".equals(d.get("kind"))) {
                Map<String, Object> certs = path(d, "spec.certificates");
                if (certs != null) {
                    certs.forEach((k, v) -> out.add(new SecretRef(String.valueOf(v), where + " certificates." + k, false)));
                }
                for (Map<String, Object> ext : (List<Map<String, Object>>) Objects.requireNonNullElse(path(d, "spec.externalClusters"), List.<Map<String, Object>>of())) {
                    for (String k : List.of("sslKey", "sslCert", "sslRootCert", "password")) {
                        String name = path(ext, k + ".name");
                        if (name != null) {
                            out.add(new SecretRef(name, where + " externalClusters." + k, false));
                        }
                    }
                }
                String superuser = path(d, "spec.superuserSecret.name");
                if (superuser != null) {
                    out.add(new SecretRef(superuser, where + " superuserSecret", true));
                }
                String initdb = path(d, "spec.bootstrap.initdb.secret.name");
                if (initdb != null) {
                    out.add(new SecretRef(initdb, where + " bootstrap.initdb.secret", true));
                }
                for (Map<String, Object> r : (List<Map<String, Object>>) Objects.requireNonNullElse(path(d, "spec.managed.roles"), List.<Map<String, Object>>of())) {
                    String name = path(r, "passwordSecret.name");
                    if (name != null) {
                        out.add(new SecretRef(name, where + " managed.roles " + r.get("name"), true));
                    }
                }
            } else if ("ServiceMonitor".equals(d.get("kind")) || "PodMonitor".equals(d.get("kind"))) {
                String key = "ServiceMonitor".equals(d.get("kind")) ? "spec.endpoints" : "spec.podMetricsEndpoints";
                for (Map<String, Object> e : (List<Map<String, Object>>) Objects.requireNonNullElse(path(d, key), List.<Map<String, Object>>of())) {
                    String name = path(e, "tlsConfig.ca.secret.name");
                    if (name != null) {
                        out.add(new SecretRef(name, where + " tlsConfig.ca", false));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The Secrets CloudNativePG generates for a Cluster and that are usable: the application owner's
     * {@code <cluster>-app} and {@code <cluster>-superuser} only where the Cluster runs initdb itself
     * (a Cluster bootstrapped with pg_basebackup gets no -app Secret, and a generated superuser
     * password would not match the hash replicated from the primary).
     */
    static Set<String> generatedByCloudNativePg(List<Map<String, Object>> docs) {
        Set<String> out = new LinkedHashSet<>();
        for (Map<String, Object> c : Charts.ofKind(docs, "Cluster")) {
            String name = path(c, "metadata.name");
            if (path(c, "spec.bootstrap.initdb") != null) {
                if (path(c, "spec.bootstrap.initdb.secret") == null) {
                    out.add(name + "-app");
                }
                if (Boolean.TRUE.equals(path(c, "spec.enableSuperuserAccess")) && path(c, "spec.superuserSecret") == null) {
                    out.add(name + "-superuser");
                }
            }
        }
        return out;
    }

    /** Every Secret referred to at {@code place} exists there: made by the chart, by CloudNativePG, or listed. */
    static List<String> secretsExist(String place, List<Map<String, Object>> docs, List<OperatorSecret> listed) {
        Set<String> byChart = new LinkedHashSet<>();
        Charts.ofKind(docs, "Secret").forEach(s -> byChart.add(path(s, "metadata.name")));
        // cert-manager writes each rendered Certificate's Secret (certManager.enabled)
        Charts.ofKind(docs, "Certificate").forEach(c -> byChart.add(path(c, "spec.secretName")));
        Set<String> byOperator = generatedByCloudNativePg(docs);
        Map<String, OperatorSecret> byName = new LinkedHashMap<>();
        listed.stream().filter(s -> s.at().contains(place)).forEach(s -> byName.put(s.name(), s));
        List<String> problems = new ArrayList<>();
        for (SecretRef r : secretRefs(docs)) {
            OperatorSecret l = byName.get(r.name());
            if (byChart.contains(r.name()) || byOperator.contains(r.name())) {
                if (r.mustBeSameAtBothSites()) {
                    problems.add(place + ": " + r.from() + " uses Secret " + r.name()
                            + ", generated per site, but PostgreSQL replicates that role's password: it must be one Secret, the same at both sites");
                }
            } else if (l == null) {
                problems.add(place + ": " + r.from() + " refers to Secret " + r.name()
                        + ", which nothing creates there (not the chart, not CloudNativePG for this Cluster, not deploy/helm/secrets.yaml)");
            } else if (r.mustBeSameAtBothSites() && !l.same()) {
                problems.add(place + ": " + r.from() + " uses Secret " + r.name() + ", which deploy/helm/secrets.yaml does not mark same: true");
            }
        }
        return problems;
    }

    // -------------------------------------------------------------- addresses

    /** IPv4 address as an unsigned int in a long. */
    static long ip(String dotted) {
        String[] p = dotted.trim().split("\\.");
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        long v = 0;
        for (String part : p) {
            int b = Integer.parseInt(part);
            if (b < 0 || b > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            v = (v << 8) | b;
        }
        return v;
    }

    static String dotted(long v) {
        return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
    }

    static boolean contains(String cidr, String address) {
        String[] c = cidr.split("/");
        int bits = Integer.parseInt(c[1]);
        long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
        return (ip(c[0]) & mask) == (ip(address) & mask);
    }

    /** Whether {@code outer} covers every address of {@code inner}. */
    static boolean covers(String outer, String inner) {
        int outerBits = Integer.parseInt(outer.split("/")[1]);
        int innerBits = Integer.parseInt(inner.split("/")[1]);
        return outerBits <= innerBits && contains(outer, inner.split("/")[0]);
    }

    /** Terraform's cidrsubnet(prefix, newbits, netnum). */
    static String cidrsubnet(String prefix, int newbits, int netnum) {
        String[] c = prefix.split("/");
        int bits = Integer.parseInt(c[1]) + newbits;
        long base = ip(c[0]) & ((0xFFFFFFFFL << (32 - Integer.parseInt(c[1]))) & 0xFFFFFFFFL);
        long net = base | ((long) netnum << (32 - bits));
        return dotted(net) + "/" + bits;
    }

    /**
     * The fixed private IPs of an AWS internal NLB: one per private subnet (the AWS Load Balancer
     * Controller requires as many as the subnets it places the NLB in: one per zone), each inside
     * its zone's private subnet, never in a public one.
     */
    static List<String> nlbAddressesInPrivateSubnets(String what, List<String> addresses, List<String> privateSubnets, List<String> publicSubnets) {
        List<String> problems = new ArrayList<>();
        if (addresses.size() != privateSubnets.size()) {
            problems.add(what + ": " + addresses.size() + " fixed IPs for " + privateSubnets.size()
                    + " private subnets; the controller needs exactly one per subnet");
        }
        for (int i = 0; i < addresses.size(); i++) {
            String a = addresses.get(i);
            if (publicSubnets.stream().anyMatch(s -> contains(s, a))) {
                problems.add(what + ": " + a + " lies in a public subnet " + publicSubnets + "; internal NLBs live in the private subnets");
            } else if (i < privateSubnets.size() && !contains(privateSubnets.get(i), a)) {
                problems.add(what + ": " + a + " is not in private subnet " + i + " (" + privateSubnets.get(i) + ")");
            }
        }
        return problems;
    }

    /** Every source range that must reach an endpoint is covered by its allowed ranges. */
    static List<String> rangesCover(String what, List<String> allowed, Map<String, String> mustReach) {
        List<String> problems = new ArrayList<>();
        mustReach.forEach((who, cidr) -> {
            if (allowed.stream().noneMatch(a -> covers(a, cidr))) {
                problems.add(what + " admits " + allowed + ", which does not cover " + who + " (" + cidr + ")");
            }
        });
        return problems;
    }

    // ------------------------------------------------------------ workflows

    /** The OIDC subject GitHub puts in a job's token (docs.github.com, OpenID Connect reference). */
    static String oidcSubject(String repository, String environment, String ref) {
        return environment == null || environment.isEmpty()
                ? "repo:" + repository + ":ref:" + ref
                : "repo:" + repository + ":environment:" + environment;
    }

    /** The subjects the github-oidc module trusts (its local.subjects, same formula). */
    static List<String> trustedSubjects(String repository, List<String> environments, List<String> refs) {
        List<String> out = new ArrayList<>();
        environments.forEach(e -> out.add("repo:" + repository + ":environment:" + e));
        refs.forEach(r -> out.add("repo:" + repository + ":ref:" + r));
        return out;
    }

    // ---------------------------------------------------------------- patches

    /**
     * The JSON merge patch (RFC 7386) from {@code from} to {@code to}: what Helm 3 sends for a custom
     * resource on upgrade and rollback (its kube client's createPatch falls back to
     * jsonpatch.CreateMergePatch(original manifest, target manifest) for unstructured objects).
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> mergePatch(Map<String, Object> from, Map<String, Object> to) {
        Map<String, Object> patch = new LinkedHashMap<>();
        for (String k : from.keySet()) {
            if (!to.containsKey(k)) {
                patch.put(k, null);
            }
        }
        to.forEach((k, v) -> {
            Object old = from.get(k);
            if (old instanceof Map<?, ?> om && v instanceof Map<?, ?> nm) {
                Map<String, Object> sub = mergePatch((Map<String, Object>) om, (Map<String, Object>) nm);
                if (!sub.isEmpty()) {
                    patch.put(k, sub);
                }
            } else if (!Objects.equals(old, v) || !from.containsKey(k)) {
                patch.put(k, v);
            }
        });
        return patch;
    }

    /** The dotted paths a patch touches, down to its leaves. */
    @SuppressWarnings("unchecked")
    static List<String> touched(Map<String, Object> patch, String prefix) {
        List<String> out = new ArrayList<>();
        patch.forEach((k, v) -> {
            String p = prefix.isEmpty() ? k : prefix + "." + k;
            if (v instanceof Map<?, ?> m && !m.isEmpty()) {
                out.addAll(touched((Map<String, Object>) m, p));
            } else {
                out.add(p);
            }
        });
        return out;
    }

    /** The Cluster fields the agent owns after creation (docs/deploy.md, "How the agent drives CloudNativePG"). */
    static final List<String> AGENT_OWNED = List.of("spec.replica.primary", "spec.replica.promotionToken",
            "spec.postgresql.synchronous", "metadata.annotations.cnpg.io/fencedInstances");

    static List<String> agentFieldsTouched(String step, Map<String, Object> fromCluster, Map<String, Object> toCluster) {
        List<String> problems = new ArrayList<>();
        for (String p : touched(mergePatch(fromCluster, toCluster), "")) {
            for (String owned : AGENT_OWNED) {
                if (p.equals(owned) || p.startsWith(owned + ".")) {
                    problems.add(step + " patches " + p + ", which the agent owns: it would undo a failover");
                }
            }
        }
        return problems;
    }

    // --------------------------------------------------------- network policy

    /** Where a connection comes from: a pod (its namespace and labels) or an address outside the cluster. */
    record Source(String namespace, Map<String, String> podLabels, String address) {
        static Source pod(String namespace, Map<String, String> labels) {
            return new Source(namespace, labels, null);
        }

        static Source address(String ip) {
            return new Source(null, Map.of(), ip);
        }
    }

    @SuppressWarnings("unchecked")
    private static boolean selects(Map<String, Object> selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        Map<String, String> match = (Map<String, String>) selector.getOrDefault("matchLabels", Map.of());
        for (var e : match.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (Map<String, Object> expr : (List<Map<String, Object>>) selector.getOrDefault("matchExpressions", List.of())) {
            String v = labels.get((String) expr.get("key"));
            List<String> values = (List<String>) expr.getOrDefault("values", List.of());
            boolean ok = switch ((String) expr.get("operator")) {
                case "In" -> v != null && values.contains(v);
                case "NotIn" -> v == null || !values.contains(v);
                case "Exists" -> v != null;
                case "DoesNotExist" -> v == null;
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private static boolean peerMatches(Map<String, Object> peer, String policyNamespace, Source src) {
        if (peer.containsKey("ipBlock")) {
            String cidr = path(peer, "ipBlock.cidr");
            return src.address() != null && contains(cidr, src.address());
        }
        if (src.address() != null) {
            return false; // pod and namespace selectors match pods only
        }
        Map<String, Object> ns = (Map<String, Object>) peer.get("namespaceSelector");
        Map<String, Object> pods = (Map<String, Object>) peer.get("podSelector");
        boolean nsOk = ns == null ? policyNamespace.equals(src.namespace())
                : selects(ns, Map.of("kubernetes.io/metadata.name", src.namespace()));
        return nsOk && selects(pods, src.podLabels());
    }

    /**
     * Whether the NetworkPolicies of {@code namespace} let {@code src} reach {@code port} of a pod with
     * {@code labels} (Kubernetes semantics: a pod no policy selects for ingress admits everything;
     * otherwise some rule of a selecting policy must admit the source and the port).
     */
    @SuppressWarnings("unchecked")
    static boolean admits(List<Map<String, Object>> docs, String namespace, Map<String, String> labels, int port, Source src) {
        List<Map<String, Object>> selecting = Charts.ofKind(docs, "NetworkPolicy").stream()
                .filter(p -> selects(path(p, "spec.podSelector"), labels))
                .filter(p -> ((List<String>) Objects.requireNonNullElse(path(p, "spec.policyTypes"), List.of("Ingress"))).contains("Ingress"))
                .toList();
        if (selecting.isEmpty()) {
            return true;
        }
        for (Map<String, Object> p : selecting) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) Objects.requireNonNullElse(path(p, "spec.ingress"), List.<Map<String, Object>>of())) {
                List<Map<String, Object>> ports = (List<Map<String, Object>>) rule.get("ports");
                boolean portOk = ports == null || ports.stream().anyMatch(x -> Integer.valueOf(port).equals(x.get("port")));
                List<Map<String, Object>> from = (List<Map<String, Object>>) rule.get("from");
                boolean fromOk = from == null || from.stream().anyMatch(peer -> peerMatches(peer, namespace, src));
                if (portOk && fromOk) {
                    return true;
                }
            }
        }
        return false;
    }
}
