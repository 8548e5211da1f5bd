package dev.twincloud.pgctl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * TLS between PostgreSQL servers and the clients of another site: the server's certificate, the CA its
 * clients' certificates must come from, and which roles may log in with a certificate only; and, on the
 * client side, {@code sslmode=verify-full} with a client certificate (PEM files, as libpq and pgjdbc read
 * them). docs/lab.md, "What is encrypted".
 */
public final class PgTls {
    private PgTls() {
    }

    /**
     * pg_hba.conf of a server without TLS whose other site connects from {@code crossSiteNetwork}: trust from
     * loopback and from there, replication included, as initdb's {@code --auth=trust} file does for 127.0.0.1
     * (nothing changes but the address the other site comes from).
     */
    static String plainHba(String crossSiteNetwork) {
        requireCidr(crossSiteNetwork);
        return String.join("\n", List.of(
                "# Written by twincloud pgctl at every start (no TLS): trust on loopback and from the other site's network.",
                "local all all trust",
                "local replication all trust",
                "host all all 127.0.0.1/32 trust",
                "host all all ::1/128 trust",
                "host all all " + crossSiteNetwork + " trust",
                "host replication all 127.0.0.1/32 trust",
                "host replication all ::1/128 trust",
                "host replication all " + crossSiteNetwork + " trust")) + "\n";
    }

    /** An IPv4 CIDR such as {@code 127.0.2.0/24}; anything else (a pg_hba injection included) is refused. */
    static String requireCidr(String cidr) {
        if (cidr == null || !cidr.matches("(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}")) {
            throw new IllegalArgumentException("not an IPv4 network in CIDR form: " + cidr);
        }
        return cidr;
    }

    /**
     * A server that speaks TLS and admits {@code certRoles} only over TLS with a certificate of {@code ca}
     * whose common name is the role ({@code hostssl ... cert}); of those, only {@code replicationRole} may
     * open replication connections, and nobody else may. Every other role keeps trust authentication on
     * loopback (the site's own components, which never cross a site).
     *
     * @param certificate     the server's certificate (its SANs name the addresses clients use)
     * @param key             its private key (mode 0600, owned by the server's OS user)
     * @param ca              the CA that signs the clients' certificates (and the servers')
     * @param replicationRole the role the other site streams and copies as
     * @param certRoles       the roles the other site uses (the replication role among them)
     */
    public record Server(Path certificate, Path key, Path ca, String replicationRole, List<String> certRoles) {
        public Server {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(ca, "ca");
            PostgresServer.requireIdentifier(replicationRole);
            certRoles = List.copyOf(certRoles);
            certRoles.forEach(PostgresServer::requireIdentifier);
            if (!certRoles.contains(replicationRole)) {
                throw new IllegalArgumentException("the replication role " + replicationRole + " must be one of the certificate roles "
                        + certRoles);
            }
        }

        /** The server settings: TLS on, with these files. */
        Map<String, String> settings() {
            Map<String, String> s = new LinkedHashMap<>();
            s.put("ssl", "on");
            s.put("ssl_cert_file", certificate.toAbsolutePath().toString());
            s.put("ssl_key_file", key.toAbsolutePath().toString());
            s.put("ssl_ca_file", ca.toAbsolutePath().toString());
            s.put("ssl_min_protocol_version", "TLSv1.2");
            return s;
        }

        /**
         * pg_hba.conf, first match wins. When {@code crossSiteNetwork} is given (a CIDR the other site's
         * connections come from, e.g. {@code 127.0.2.0/24} for the lab's links into a site; null: none): from
         * there only the certificate roles over TLS with a certificate, replication only as the replication
         * role, everything else rejected, the local superuser included. Then, on loopback: the certificate
         * roles over TLS with a certificate (cert: verified against ssl_ca_file, its CN the role), and refused
         * on any other connection; replication for the replication role alone; trust for everyone else.
         */
        String hba(String crossSiteNetwork) {
            List<String> l = new ArrayList<>();
            l.add("# Written by twincloud pgctl at every start (PgTls.Server): first match wins.");
            if (crossSiteNetwork != null) {
                requireCidr(crossSiteNetwork);
                l.add("# The other site (" + crossSiteNetwork + "): its two roles over TLS with a certificate, nothing else.");
                l.add("hostssl replication " + replicationRole + " " + crossSiteNetwork + " cert");
                for (String role : certRoles) {
                    l.add("hostssl all " + role + " " + crossSiteNetwork + " cert");
                }
                l.add("host replication all " + crossSiteNetwork + " reject");
                l.add("host all all " + crossSiteNetwork + " reject");
            }
            l.add("# The other site's roles: TLS with a client certificate of the CA whose CN is the role, nothing else.");
            l.add("hostssl replication " + replicationRole + " 127.0.0.1/32 cert");
            for (String role : certRoles) {
                l.add("hostssl all " + role + " 127.0.0.1/32 cert");
            }
            for (String role : certRoles) {
                l.add("host replication " + role + " all reject");
                l.add("host all " + role + " all reject");
            }
            l.add("# Nobody else streams.");
            l.add("host replication all all reject");
            l.add("# This site's own components (the agent, the API) on loopback.");
            l.add("host all all 127.0.0.1/32 trust");
            l.add("host all all ::1/128 trust");
            return String.join("\n", l) + "\n";
        }

        /** The files the server reads, handed to its OS user (PostgreSQL refuses a key others may read). */
        void prepareFiles(OsUser user) {
            for (Path f : List.of(certificate, key, ca)) {
                if (!Files.isRegularFile(f)) {
                    throw new PgException("TLS file " + f + " does not exist");
                }
                user.prepareOwnedFile(f);
            }
        }
    }

    /**
     * How a client reaches a TLS server: it checks the server's certificate against {@code rootCert} and
     * the host name ({@code verify-full}), and shows its own certificate.
     *
     * @param rootCert    the CA the server's certificate must come from
     * @param certificate the client's certificate (CN: the role it logs in as)
     * @param key         its private key, PKCS#8 PEM, EC or RSA (mode 0600)
     */
    public record Client(Path rootCert, Path certificate, Path key) {
        public Client {
            Objects.requireNonNull(rootCert, "rootCert");
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
        }

        /** The libpq keywords, to append to a connection string (primary_conninfo, pg_basebackup -d, pg_rewind). */
        public String connInfo() {
            return " sslmode=verify-full sslrootcert=" + value(rootCert) + " sslcert=" + value(certificate) + " sslkey=" + value(key);
        }

        /** A whole libpq connection string to {@code host:port} as {@code user}. */
        public String connInfo(String host, int port, String user, String database) {
            return "host=" + host + " port=" + port + " user=" + user + " dbname=" + database + connInfo();
        }

        /** The same for pgjdbc. */
        void jdbc(Properties p) {
            p.setProperty("sslmode", "verify-full");
            p.setProperty("sslrootcert", rootCert.toAbsolutePath().toString());
            p.setProperty("sslcert", certificate.toAbsolutePath().toString());
            p.setProperty("sslkey", key.toAbsolutePath().toString());
            p.setProperty("pemKeyAlgorithm", keyAlgorithm(key)); // pgjdbc reads a PEM key as RSA unless told
        }

        /** {@code EC} or {@code RSA}: what the PKCS#8 PEM key in {@code file} is. */
        static String keyAlgorithm(Path file) {
            try {
                String pem = Files.readString(file).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
                var spec = new java.security.spec.PKCS8EncodedKeySpec(java.util.Base64.getDecoder().decode(pem));
                for (String alg : List.of("EC", "RSA")) {
                    try {
                        java.security.KeyFactory.getInstance(alg).generatePrivate(spec);
                        return alg;
                    } catch (java.security.GeneralSecurityException notThis) {
                        // try the next
                    }
                }
                throw new PgException("the key " + file + " is neither an EC nor an RSA key in PKCS#8 PEM");
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new PgException("cannot read the key " + file + ": " + e.getMessage(), e);
            }
        }

        /** The key handed to the server's OS user, which runs pg_basebackup, pg_rewind and the WAL receiver. */
        void prepareFiles(OsUser user) {
            for (Path f : List.of(rootCert, certificate, key)) {
                if (!Files.isRegularFile(f)) {
                    throw new PgException("TLS file " + f + " does not exist");
                }
                user.prepareOwnedFile(f);
            }
        }

        private static String value(Path p) {
            String s = p.toAbsolutePath().toString();
            return s.matches("[A-Za-z0-9_./+-]+") ? s : "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
        }
    }
}
