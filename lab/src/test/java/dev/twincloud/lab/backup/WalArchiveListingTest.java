package dev.twincloud.lab.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.twincloud.core.protocol.SiteId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link WalArchive#list} against a stand-in S3 endpoint (the JDK's HTTP server) that answers as s3rver did in a
 * verify run: 500 to a listing that met an object being stored. S3's clients ask again; so does the lab.
 */
class WalArchiveListingTest {
    static final String LISTING = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult><IsTruncated>false</IsTruncated>
            <Contents><Key>twincloud/gcp/wals/0000000100000000/000000010000000000000003.gz</Key></Contents>
            </ListBucketResult>""";

    HttpServer server;
    final AtomicInteger asked = new AtomicInteger();

    ObjectStore storeFailing(int failures, int status) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = asked.incrementAndGet() <= failures ? new byte[0] : LISTING.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(body.length == 0 ? status : 200, body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return new ObjectStore("gcs", SiteId.of("gcp"), server.getAddress().getPort(), Path.of("unused"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void aListingAnswered500IsAskedAgain() throws Exception {
        ObjectStore store = storeFailing(2, 500);
        assertThat(WalArchive.list(store, "gcp", "")).containsExactly("000000010000000000000003.gz");
        assertThat(asked).hasValue(3);
    }

    @Test
    void aStoreThatKeepsFailingIsAnErrorNamingItAfterTheRetries() throws Exception {
        ObjectStore store = storeFailing(100, 503);
        assertThatThrownBy(() -> WalArchive.list(store, "gcp", "")).isInstanceOf(BackupException.class)
                .hasMessageContaining("store gcs").hasMessageContaining("HTTP 503");
        assertThat(asked).hasValue(1 + WalArchive.RETRIES);
    }

    @Test
    void anotherErrorIsNotAskedAgain() throws Exception {
        ObjectStore store = storeFailing(100, 403);
        assertThatThrownBy(() -> WalArchive.list(store, "gcp", "")).hasMessageContaining("HTTP 403");
        assertThat(asked).hasValue(1);
    }
}
