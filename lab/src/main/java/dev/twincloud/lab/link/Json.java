package dev.twincloud.lab.link;

import java.util.List;
import java.util.stream.Collectors;

/** Minimal JSON output for the control API; the lab module carries no JSON library. */
final class Json {

    private Json() {
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    static String links(List<LinkStatus> links) {
        return "{\"links\":[" + links.stream().map(LinkStatus::toJson).collect(Collectors.joining(",")) + "]}";
    }

    static String error(int status, String message) {
        return "{\"status\":" + status + ",\"error\":" + quote(message) + "}";
    }
}
