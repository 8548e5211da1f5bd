package dev.twincloud.api.system;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * Flyway connects as its own role ({@code twincloud.api.migrations.user}, env
 * {@code DATABASE_MIGRATION_USER}; password {@code DATABASE_MIGRATION_PASSWORD}): the owner of the
 * application's tables, while the API itself runs as a role that owns nothing (docs/design.md
 * rule 1). Empty (the default, and embedded dev mode) = the datasource's user.
 */
@Component
class MigrationRole implements FlywayConfigurationCustomizer, Ordered {

    private static final Logger log = LoggerFactory.getLogger(MigrationRole.class);

    private final String url;
    private final String user;
    private final String password;

    MigrationRole(@Value("${spring.datasource.url:}") String url,
                  @Value("${twincloud.api.migrations.user:}") String user,
                  @Value("${twincloud.api.migrations.password:}") String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    @Override
    public void customize(org.flywaydb.core.api.configuration.FluentConfiguration configuration) {
        if (StringUtils.hasText(user) && StringUtils.hasText(url)) {
            log.info("Flyway migrations run as database role {}", user);
            configuration.dataSource(url, user, password);
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE; // after anything else that sets the data source
    }
}
