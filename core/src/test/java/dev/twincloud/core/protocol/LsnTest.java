package dev.twincloud.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** PostgreSQL's own text form only: the API reads client-sent positions with it (Twincloud-Min-Lsn). */
class LsnTest {

    @Test
    void readsAndWritesPostgresForm() {
        assertThat(Lsn.parse("0/3000148").value()).isEqualTo(0x3000148L);
        assertThat(Lsn.parse("FFFFFFFF/FFFFFFFF").toString()).isEqualTo("FFFFFFFF/FFFFFFFF");
        assertThat(Lsn.parse("1/a0").toString()).isEqualTo("1/A0");
        assertThat(Lsn.parse("1/0")).isGreaterThan(Lsn.parse("0/FFFFFFFF"));
    }

    @Test
    void anythingElseIsRefused() {
        for (String bad : new String[] {"", "0", "/1", "1/", "-1/0", "+1/0", "0/-1", " 0/1", "0/1 ", "123456789/0",
                "0/123456789", "0/1/2", "g/0", "\u0663/0"}) {
            assertThatThrownBy(() -> Lsn.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
