package dev.twincloud.api.system;

import java.util.regex.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits that protect the service from requests it cannot afford ({@code twincloud.api.limits.*}).
 * The defaults fit a 16-lead recording of 60 000 samples per lead in JSON (about 7 MB).
 */
@ConfigurationProperties("twincloud.api.limits")
public record ApiLimits(
        @DefaultValue("8MB") DataSize maxBodySize,
        @DefaultValue("16") int maxLeads,
        @DefaultValue("60000") int maxSamplesPerLead,
        @DefaultValue("50") int minSamplingRateHz,
        @DefaultValue("20000") int maxSamplingRateHz,
        @DefaultValue("20") int defaultPageSize,
        @DefaultValue("100") int maxPageSize,
        @DefaultValue("[A-Za-z0-9_-]{1,16}") String leadNamePattern,
        @DefaultValue("[A-Za-z0-9._:-]{1,64}") String patientRefPattern,
        @DefaultValue("200") int maxTextLength,
        @DefaultValue("4000") int maxNotesLength) {

    public ApiLimits {
        if (maxPageSize < 1 || defaultPageSize < 1 || defaultPageSize > maxPageSize) {
            throw new IllegalArgumentException("twincloud.api.limits: need 1 <= default-page-size <= max-page-size");
        }
        if (minSamplingRateHz < 1 || minSamplingRateHz > maxSamplingRateHz) {
            throw new IllegalArgumentException("twincloud.api.limits: need 1 <= min-sampling-rate-hz <= max-sampling-rate-hz");
        }
        Pattern.compile(leadNamePattern);
        Pattern.compile(patientRefPattern);
    }

    // Compiling per call costs well under a microsecond; a record cannot cache it in a field.
    public boolean isLeadName(String name) {
        return name != null && Pattern.compile(leadNamePattern).matcher(name).matches();
    }

    public boolean isPatientRef(String ref) {
        return ref != null && Pattern.compile(patientRefPattern).matcher(ref).matches();
    }
}
