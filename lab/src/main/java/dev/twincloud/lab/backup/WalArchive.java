package dev.twincloud.lab.backup;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * What a store's WAL archive holds, read with the S3 API's {@code ListObjectsV2} (the lab's s3rver answers
 * unsigned requests), and where it has holes (docs/backups.md, "Gaps in the archive"). PostgreSQL cannot tell a
 * missing segment from the end of the archive: a restore to the latest point replays up to the hole and stops
 * there without an error. So {@link Restore} looks at the listing before it fetches anything, and compares where
 * recovery ended with the newest segment afterwards.
 */
public final class WalArchive {
    /** A WAL segment file name, with or without barman's compression suffix and PostgreSQL's {@code .partial}. */
    private static final Pattern SEGMENT = Pattern.compile("^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\\.partial)?(\\.[a-z0-9]+)?$");
    /** Segments per "log" (the middle 8 hex digits) with 16 MB segments. */
    private static final long SEGMENTS_PER_LOG = 0x100000000L / Lsn.SEGMENT;

    private WalArchive() {
    }

    /**
     * One segment file in the archive.
     *
     * @param timeline its timeline
     * @param number   its position in the WAL (log × 256 + segment): the same on every timeline
     * @param partial  a timeline's last, partial segment (renamed by PostgreSQL at a promotion)
     * @param name     the object's file name
     */
    public record Segment(int timeline, long number, boolean partial, String name) {
        /** The segment's file name without suffixes, on timeline {@code tl}. */
        static String nameOf(int tl, long number) {
            return String.format("%08X%08X%08X", tl, number / SEGMENTS_PER_LOG, number % SEGMENTS_PER_LOG);
        }
    }

    /** A segment file name's parts, or empty for anything else (history files, backup labels). */
    static Optional<Segment> parse(String fileName) {
        Matcher m = SEGMENT.matcher(fileName);
        if (!m.matches()) {
            return Optional.empty();
        }
        long number = Long.parseLong(m.group(2), 16) * SEGMENTS_PER_LOG + Long.parseLong(m.group(3), 16);
        return Optional.of(new Segment(Integer.parseInt(m.group(1), 16), number, m.group(4) != null, fileName));
    }

    /** The segment number an LSN falls in. */
    static long segmentOf(long lsn) {
        return Long.divideUnsigned(lsn, Lsn.SEGMENT);
    }

    /**
     * The segment positions from {@code fromWal} (a base backup's first segment) to the newest one in the archive that
     * no timeline holds, named on the timeline of the nearest segment before each: a restore to the latest point
     * would stop at the first of them. Empty when there is no hole. Pure.
     */
    public static List<String> holes(List<String> fileNames, String fromWal) {
        long from = parse(fromWal).orElseThrow(() -> new IllegalArgumentException("not a WAL segment name: " + fromWal)).number();
        TreeMap<Long, Integer> present = new TreeMap<>(); // number -> a timeline holding it
        for (String f : fileNames) {
            parse(f).filter(s -> s.number() >= from).ifPresent(s -> present.merge(s.number(), s.timeline(), Math::max));
        }
        List<String> out = new ArrayList<>();
        if (present.isEmpty()) {
            return out;
        }
        int tl = parse(fromWal).get().timeline();
        for (long n = from; n <= present.lastKey(); n++) {
            Integer t = present.get(n);
            if (t == null) {
                out.add(Segment.nameOf(tl, n));
            } else {
                tl = t;
            }
        }
        return out;
    }

    /**
     * The newest complete segment of {@code timeline} that lies beyond where recovery ended ({@code redoDone}: the
     * start of the last record replayed, PostgreSQL's {@code redo done at}); empty when recovery reached the end of
     * that timeline's archive. A segment right after the one holding {@code redoDone} does not count: the last
     * record may continue into it. Pure.
     */
    public static Optional<String> beyond(List<String> fileNames, int timeline, long redoDone) {
        long last = segmentOf(redoDone) + 1;
        return fileNames.stream().map(WalArchive::parse).flatMap(Optional::stream)
                .filter(s -> s.timeline() == timeline && !s.partial() && s.number() > last)
                .max(java.util.Comparator.comparingLong(Segment::number)).map(Segment::name);
    }

    /** How often a listing answered 500 or 503 is asked again, and the first wait (doubled each time). */
    static final int RETRIES = 4;
    static final Duration FIRST_RETRY_WAIT = Duration.ofMillis(100);

    /**
     * The file names under {@code <prefix>/<server>/wals/} in {@code store} (barman's layout), with an optional
     * further {@code under} (e.g. one {@code wals/<timeline+log>/} directory). An unreachable store is a
     * {@link BackupException} naming it. A page answered 500 or 503 is asked again up to {@value #RETRIES} times, as
     * S3's clients do (S3 documents both as retryable; s3rver answers 500 when a listing meets an object being
     * stored, its metadata file half written).
     */
    public static List<String> list(ObjectStore store, String server, String under) {
        String prefix = ObjectStore.PREFIX + "/" + server + "/wals/" + under;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<String> names = new ArrayList<>();
        String token = null;
        do {
            String url = store.endpoint() + "/" + store.bucket() + "?list-type=2&max-keys=1000&prefix=" + enc(prefix)
                    + (token == null ? "" : "&continuation-token=" + enc(token));
            Document doc;
            try {
                HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build();
                HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                long wait = FIRST_RETRY_WAIT.toMillis();
                for (int retry = 0; retry < RETRIES && (r.statusCode() == 500 || r.statusCode() == 503); retry++, wait *= 2) {
                    Thread.sleep(wait);
                    r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                }
                if (r.statusCode() != 200) {
                    throw new BackupException("listing the WAL archive of store " + store.name() + " failed: HTTP " + r.statusCode() + " "
                            + new String(r.body(), StandardCharsets.UTF_8).lines().findFirst().orElse(""));
                }
                var f = DocumentBuilderFactory.newInstance();
                f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(r.body()));
            } catch (IOException e) {
                throw new BackupException("store " + store.name() + " (" + store.endpoint() + ") is unreachable: listing its WAL archive failed ("
                        + e + "). Is the lab up ('twincloud lab status')?");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackupException("interrupted listing the WAL archive of store " + store.name());
            } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
                throw new BackupException("store " + store.name() + " answered the WAL listing with something that is not S3's XML: " + e.getMessage());
            }
            NodeList keys = doc.getElementsByTagName("Key");
            for (int i = 0; i < keys.getLength(); i++) {
                String key = keys.item(i).getTextContent();
                names.add(key.substring(key.lastIndexOf('/') + 1));
            }
            token = "true".equals(text(doc, "IsTruncated")) ? text(doc, "NextContinuationToken") : null;
        } while (token != null && !token.isEmpty());
        return names;
    }

    private static String text(Document doc, String tag) {
        NodeList l = doc.getElementsByTagName(tag);
        return l.getLength() == 0 ? null : l.item(0).getTextContent();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
