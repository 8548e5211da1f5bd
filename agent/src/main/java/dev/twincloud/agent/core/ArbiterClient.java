package dev.twincloud.agent.core;

import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import java.io.IOException;

/** Sends one heartbeat to the arbiter and returns its answer. */
public interface ArbiterClient {
    Assignment heartbeat(AgentReport report) throws IOException, InterruptedException;
}
