package dev.twincloud.pgctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PortsTest {

    @Test
    void aFreePortIsBelowTheEphemeralRangeAndCanBeBound() throws Exception {
        for (int i = 0; i < 20; i++) {
            int port = Ports.freePort();
            assertThat(port).isBetween(Ports.FIRST, Ports.END - 1);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
        }
    }

    @Test
    void aPortInUseIsNotOffered() throws Exception {
        int port = Ports.freePort();
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(Ports.isFree(port)).isFalse();
            for (int i = 0; i < 200; i++) {
                assertThat(Ports.freePort()).isNotEqualTo(port);
            }
        }
    }
}
