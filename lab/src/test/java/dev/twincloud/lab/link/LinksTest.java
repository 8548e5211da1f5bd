package dev.twincloud.lab.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LinksTest {

    private EchoServer echo;
    private Links links;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        links = new Links();
        for (String name : List.of("gcp->aws:pg", "aws->gcp:pg", "gcp->arbiter", "aws->arbiter", "edge->gcp")) {
            links.add(name, 0, echo.port());
        }
    }

    @AfterEach
    void stop() throws IOException {
        links.close();
        echo.close();
    }

    private LinkState state(String name) {
        return links.get(name).state();
    }

    @Test
    void specParsesEndpointsFromName() {
        LinkSpec s = LinkSpec.of("gcp->aws:pg", 0, 5432);
        assertThat(s.from()).isEqualTo("gcp");
        assertThat(s.to()).isEqualTo("aws");
        assertThat(LinkSpec.of("aws->arbiter", 0, 1).to()).isEqualTo("arbiter");
        assertThat(s.joins("aws", "gcp")).isTrue();
        assertThat(s.joins("gcp", "arbiter")).isFalse();
        assertThatThrownBy(() -> LinkSpec.of("gcp-aws", 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinkSpec.of("gcp->", 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void partitionCutsBothDirectionsAndNothingElse() {
        List<LinkStatus> hit = links.partition("aws", "gcp");
        assertThat(hit).extracting(LinkStatus::name).containsExactlyInAnyOrder("gcp->aws:pg", "aws->gcp:pg");
        assertThat(state("gcp->aws:pg")).isEqualTo(LinkState.CUT);
        assertThat(state("aws->gcp:pg")).isEqualTo(LinkState.CUT);
        assertThat(state("gcp->arbiter")).isEqualTo(LinkState.UP);
        assertThat(state("edge->gcp")).isEqualTo(LinkState.UP);
    }

    @Test
    void partitionCanBlackhole() {
        links.partition("gcp", "arbiter", LinkState.BLACKHOLE);
        assertThat(state("gcp->arbiter")).isEqualTo(LinkState.BLACKHOLE);
        assertThat(state("aws->arbiter")).isEqualTo(LinkState.UP);
    }

    @Test
    void isolateCutsEveryLinkOfAnEndpoint() {
        links.isolate("gcp", LinkState.CUT);
        assertThat(links.status()).filteredOn(s -> s.state() == LinkState.CUT).extracting(LinkStatus::name)
                .containsExactlyInAnyOrder("gcp->aws:pg", "aws->gcp:pg", "gcp->arbiter", "edge->gcp");
        assertThat(state("aws->arbiter")).isEqualTo(LinkState.UP);
    }

    @Test
    void singleLinkCommandsAndHealAll() {
        assertThat(links.cut("gcp->arbiter").state()).isEqualTo(LinkState.CUT);
        assertThat(links.blackhole("aws->arbiter").state()).isEqualTo(LinkState.BLACKHOLE);
        assertThat(links.heal("gcp->arbiter").state()).isEqualTo(LinkState.UP);
        links.cut("edge->gcp");
        assertThat(links.healAll()).allSatisfy(s -> assertThat(s.state()).isEqualTo(LinkState.UP));
    }

    @Test
    void unknownNamesAndEndpointsAreErrors() throws IOException {
        assertThatThrownBy(() -> links.cut("nope")).isInstanceOf(UnknownLinkException.class)
                .hasMessageContaining("no link named 'nope'");
        assertThatThrownBy(() -> links.partition("gcp", "mars")).isInstanceOf(UnknownLinkException.class);
        assertThatThrownBy(() -> links.add("gcp->arbiter", 0, echo.port()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statusIsSortedByName() {
        assertThat(links.status()).extracting(LinkStatus::name)
                .containsExactly("aws->arbiter", "aws->gcp:pg", "edge->gcp", "gcp->arbiter", "gcp->aws:pg");
    }
}
