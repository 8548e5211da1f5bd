package dev.twincloud.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.core.fsm.SiteState;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The CloudNativePG tokens the protocol relays arrive over HTTP: bounded, and blank means none. */
class TokensTest {
    static final SiteId GCP = SiteId.of("gcp");

    static AgentReport fenced(Optional<String> token) {
        return new AgentReport(GCP, 1, SiteState.FENCED, DbRole.DOWN, 1, 1, null, null, null, null, "", token);
    }

    static Assignment promote(Optional<String> token) {
        return new Assignment(2, SiteState.PRIMARY_ASYNC, GCP, Optional.empty(), Optional.empty(), "", token);
    }

    @Test
    void aMissingNullOrBlankTokenMeansNone() {
        assertThat(fenced(null).demotionToken()).isEmpty();
        assertThat(fenced(Optional.of(" ")).demotionToken()).isEmpty();
        assertThat(promote(null).promotionToken()).isEmpty();
        assertThat(promote(Optional.of("")).promotionToken()).isEmpty();
        assertThat(fenced(Optional.of("abc=")).demotionToken()).contains("abc=");
    }

    @Test
    void aTokenLongerThan4096CharactersIsRefused() {
        assertThat(fenced(Optional.of("a".repeat(4096))).demotionToken()).isPresent();
        assertThatThrownBy(() -> fenced(Optional.of("a".repeat(4097))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("demotionToken is 4097 characters");
        assertThatThrownBy(() -> promote(Optional.of("a".repeat(5000))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("promotionToken");
    }
}
