package dev.twincloud.lab.supervisor;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough PromQL reading to list the metric names an expression selects (for the dashboard and rule checks). */
final class PromQl {
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
            "group_left", "group_right", "bool", "offset", "inf", "nan");
    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private PromQl() {
    }

    /** The metric names in {@code expr}: identifiers that are no function, keyword, label or duration. */
    static Set<String> metricNames(String expr) {
        String s = expr
                .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")                        // strings
                .replaceAll("\\{[^}]*}", " ")                                            // label matchers
                .replaceAll("\\[[^]]*]", " ")                                            // ranges, subqueries
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ") // label lists
                .replaceAll("\\$\\w+", " ");                                             // Grafana variables
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String id = m.group();
            int after = m.end();
            while (after < s.length() && s.charAt(after) == ' ') {
                after++;
            }
            boolean call = after < s.length() && s.charAt(after) == '(';
            boolean number = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
            if (!call && !number && !KEYWORDS.contains(id.toLowerCase(java.util.Locale.ROOT))) {
                names.add(id);
            }
        }
        return names;
    }
}
