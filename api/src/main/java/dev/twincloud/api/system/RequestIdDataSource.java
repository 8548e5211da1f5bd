package dev.twincloud.api.system;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import dev.twincloud.core.log.RequestId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * Puts the request id where PostgreSQL shows it (docs/adr/0009-one-request-id-x-request-id.md): every connection
 * taken from the pool while a request is served gets {@code application_name = twincloud-api/<id>}, and
 * {@code twincloud-api} otherwise — so the server's log lines (jsonlog's {@code application_name}, a refused write's
 * ERROR line included) and {@code pg_stat_activity} name the request. pgjdbc sends the {@code SET} only when the name
 * changes; the id is already validated ({@link RequestId}) and pgjdbc quotes it anyway. A failure to set it is not the
 * request's failure: the statement that follows meets the same connection and fails or succeeds on its own.
 */
class RequestIdDataSource extends DelegatingDataSource {

    private static final Logger log = LoggerFactory.getLogger(RequestIdDataSource.class);
    static final String BASE_NAME = "twincloud-api";

    RequestIdDataSource(DataSource target) {
        super(target);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return named(super.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return named(super.getConnection(username, password));
    }

    private static Connection named(Connection c) {
        String requestId = MDC.get(RequestId.LOG_FIELD);
        String name = requestId == null ? BASE_NAME : RequestId.APPLICATION_NAME_PREFIX + requestId;
        try {
            c.setClientInfo("ApplicationName", name);
        } catch (SQLException e) {
            log.debug("could not set application_name: {}", e.toString());
        }
        return c;
    }

    @Configuration(proxyBeanMethods = false)
    static class Wiring {
        /** Wraps the application's DataSource (HikariCP); the metrics and health still find the pool through it. */
        @Bean
        static BeanPostProcessor requestIdDataSource() {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessAfterInitialization(Object bean, String beanName) {
                    return bean instanceof DataSource ds && "dataSource".equals(beanName) && !(bean instanceof RequestIdDataSource)
                            ? new RequestIdDataSource(ds) : bean;
                }
            };
        }
    }
}
