package dev.twincloud.edge;

/** {@code java -jar twincloud-edge.jar --port 9000 --backend gcp=http://127.0.0.1:8081 ...} */
public final class EdgeMain {

    private EdgeMain() {
    }

    /** The variable that switches the Spring Boot components to JSON logs; the edge's logback.xml reads it too. */
    static final String LOG_FORMAT_VARIABLE = "LOGGING_STRUCTURED_FORMAT_CONSOLE";

    public static void main(String[] args) throws Exception {
        EdgeConfig config;
        try {
            String format = System.getenv(LOG_FORMAT_VARIABLE);
            if (format != null && !format.isEmpty() && !format.equals("logstash")) {
                throw new IllegalArgumentException(LOG_FORMAT_VARIABLE + " must be logstash (JSON lines) or unset (text), got: " + format);
            }
            config = EdgeConfig.parse(args);
        } catch (EdgeConfig.HelpRequested h) {
            System.out.print(EdgeConfig.USAGE);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("twincloud-edge: " + e.getMessage());
            System.err.print(EdgeConfig.USAGE);
            System.exit(2);
            return;
        }
        EdgeServer edge;
        try {
            edge = new EdgeServer(config);
        } catch (IllegalArgumentException e) { // a certificate, key or CA file it cannot read
            System.err.println("twincloud-edge: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            edge.start();
        } catch (Exception e) {
            System.err.println("twincloud-edge: cannot start: " + e);
            edge.close();
            System.exit(1);
            return;
        }
        // SIGTERM from the lab supervisor: stop probing and close the port promptly.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                edge.close();
            } catch (Exception ignored) {
                // exiting anyway
            }
        }, "edge-shutdown"));
        edge.join();
    }
}
