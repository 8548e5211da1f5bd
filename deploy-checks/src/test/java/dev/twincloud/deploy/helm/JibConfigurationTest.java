package dev.twincloud.deploy.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The Jib configuration in the root pom's pluginManagement. Building an image needs the base image
 * from its registry (even jib:buildTar), which these machines cannot reach; so what can be checked
 * offline is checked here, and the images themselves are built and pushed in GitHub Actions.
 */
class JibConfigurationTest {
    private static Element jib;

    @BeforeAll
    static void readRootPom() throws Exception {
        Path pom = Charts.HELM.getParent().getParent().resolve("pom.xml");
        assertThat(pom).exists();
        var f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = f.newDocumentBuilder().parse(pom.toFile());
        Element mgmt = (Element) doc.getElementsByTagName("pluginManagement").item(0);
        NodeList plugins = mgmt.getElementsByTagName("plugin");
        for (int i = 0; i < plugins.getLength(); i++) {
            Element p = (Element) plugins.item(i);
            if ("jib-maven-plugin".equals(text(p, "artifactId"))) {
                jib = p;
            }
        }
        assertThat(jib).as("jib-maven-plugin in the root pom's pluginManagement").isNotNull();
        assertThat(Files.readString(pom)).contains("<jib.version>3.5.2</jib.version>");
    }

    @Test
    void baseImageIsDistrolessJava21NonRoot() {
        Element from = (Element) jib.getElementsByTagName("from").item(0);
        assertThat(text(from, "image")).isEqualTo("gcr.io/distroless/java21-debian12:nonroot");
    }

    @Test
    void containerRunsAsTheChartsNonRootUser() {
        assertThat(text(jib, "user")).isEqualTo("65532:65532");
    }

    @Test
    void jvmIsSizedByTheContainerAndDiesOnOutOfMemory() {
        List<String> flags = texts(jib, "jvmFlag");
        assertThat(flags).contains("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError");
        assertThat(flags).noneMatch(f -> f.startsWith("-Xmx")).as("no fixed heap");
    }

    @Test
    void imageNameComesFromPropertiesAndHasNoMovingTag() {
        Element to = (Element) jib.getElementsByTagName("to").item(0);
        assertThat(text(to, "image")).isEqualTo("${twincloud.image.registry}/${project.artifactId}:${twincloud.image.tag}");
        assertThat(to.getElementsByTagName("tags").getLength()).isZero();
        assertThat(text(jib, "mainClass")).isEqualTo("${start-class}");
    }

    private static String text(Element e, String tag) {
        NodeList l = e.getElementsByTagName(tag);
        return l.getLength() == 0 ? null : l.item(0).getTextContent().trim();
    }

    private static List<String> texts(Element e, String tag) {
        NodeList l = e.getElementsByTagName(tag);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < l.getLength(); i++) {
            out.add(l.item(i).getTextContent().trim());
        }
        return out;
    }
}
