package dev.twincloud.deploy.repo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A user who clones the repository has nothing beside it: no file may point outside the
 * repository (a design brief, schemas or tools of the team's own workplace). Checks every text
 * file of the work tree except build output.
 */
class RepositoryStandsAloneTest {

    static final Path ROOT = repositoryRoot();

    /** Directories that are build output or tool state, never part of the repository. */
    private static final Set<String> SKIPPED_DIRS = Set.of(".git", "target", "node_modules", ".twincloud", ".idea");

    /** Written split so that this file does not match itself. */
    private static final List<Pattern> OUTSIDE = List.of(
            Pattern.compile(Pattern.quote(".." + "/shared")),
            Pattern.compile("(?<![\\w/-])shared/(DESIGN|STYLE|schemas|hooks)"),
            Pattern.compile("\\b" + "DESIGN" + "\\.md\\b"),
            Pattern.compile("(?<![\\w.])/" + "work/"));

    /** A Markdown link or image target: {@code [text](target)}. */
    private static final Pattern MD_LINK = Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");

    @Test
    void noFileReferencesAPathOutsideTheRepository() {
        List<String> found = new ArrayList<>();
        for (Path file : textFiles()) {
            List<String> lines = lines(file);
            for (int i = 0; i < lines.size(); i++) {
                for (Pattern p : OUTSIDE) {
                    if (p.matcher(lines.get(i)).find()) {
                        found.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
                        break;
                    }
                }
            }
        }
        assertThat(found).as("references to paths outside the repository").isEmpty();
    }

    @Test
    void everyRelativeMarkdownLinkResolvesToAFileInsideTheRepository() {
        List<String> broken = new ArrayList<>();
        for (Path file : textFiles()) {
            if (!file.getFileName().toString().endsWith(".md")) {
                continue;
            }
            List<String> lines = lines(file);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = MD_LINK.matcher(lines.get(i));
                while (m.find()) {
                    String target = m.group(1);
                    if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") || target.startsWith("#")) {
                        continue; // a URL (https:, mailto:) or an anchor in the same page
                    }
                    String path = target.replaceFirst("#.*$", "");
                    Path resolved = (path.startsWith("/") ? ROOT.resolve(path.substring(1)) : file.getParent().resolve(path)).normalize();
                    String where = ROOT.relativize(file) + ":" + (i + 1) + ": " + target;
                    if (!resolved.startsWith(ROOT)) {
                        broken.add(where + " (outside the repository)");
                    } else if (!Files.exists(resolved)) {
                        broken.add(where + " (no such file)");
                    }
                }
            }
        }
        assertThat(broken).as("Markdown links that leave the repository or lead nowhere").isEmpty();
    }

    @Test
    void theCheckSeesTheWholeRepository() {
        List<Path> files = textFiles();
        assertThat(files).contains(ROOT.resolve("README.md"), ROOT.resolve("docs/design.md"),
                ROOT.resolve("pgctl/src/main/resources/dev/twincloud/pgctl/lease/lease-guard.sql"));
        assertThat(OUTSIDE.get(0).matcher("see ../" + "shared/" + "DESIGN" + ".md").find()).isTrue();
        assertThat(OUTSIDE.get(2).matcher("(DESIGN" + ".md rule 4)").find()).isTrue();
        assertThat(OUTSIDE.get(2).matcher("docs/design.md rule 4").find()).isFalse();
    }

    private static List<Path> textFiles() {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(ROOT)) {
            walk.filter(p -> Files.isRegularFile(p))
                    .filter(p -> {
                        for (Path part : ROOT.relativize(p)) {
                            if (SKIPPED_DIRS.contains(part.toString())) {
                                return false;
                            }
                        }
                        return true;
                    })
                    .sorted()
                    .forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.removeIf(p -> lines(p) == null);
        return out;
    }

    /** The file's lines, or null when it is not UTF-8 text (a binary such as the Maven wrapper jar). */
    private static List<String> lines(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length > 4_000_000) {
                return null;
            }
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return text.indexOf('\0') >= 0 ? null : text.lines().toList();
        } catch (CharacterCodingException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.exists(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("deploy-checks")))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root above " + Path.of("").toAbsolutePath());
        }
        return dir.normalize();
    }
}
