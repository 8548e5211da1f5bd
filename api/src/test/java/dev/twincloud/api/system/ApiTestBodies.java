package dev.twincloud.api.system;

/** Small valid request bodies for tests outside the shared context. */
final class ApiTestBodies {
    private ApiTestBodies() {
    }

    static String small() {
        return """
                {"patientRef":"p-lease","recordedAt":"2026-01-01T10:00:00Z","samplingRateHz":500,
                 "leads":{"I":[1,2,3,4],"II":[5,6,7,8]}}""";
    }
}
