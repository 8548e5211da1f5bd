package dev.twincloud.pgctl;

/** The PostgreSQL programs pgctl may run. The embedded binaries ship only INITDB, PG_CTL and POSTGRES. */
public enum PgTool {
    INITDB("initdb"),
    PG_CTL("pg_ctl"),
    POSTGRES("postgres"),
    PG_BASEBACKUP("pg_basebackup"),
    PG_REWIND("pg_rewind"),
    PG_CONTROLDATA("pg_controldata"),
    PSQL("psql");

    private final String executable;

    PgTool(String executable) {
        this.executable = executable;
    }

    public String executable() {
        return executable;
    }
}
