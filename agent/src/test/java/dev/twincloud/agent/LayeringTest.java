package dev.twincloud.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The agent's loop and drivers are framework-free; only {@code app} knows Spring. The agent never decides. */
class LayeringTest {
    static final JavaClasses AGENT = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.twincloud.agent");

    @Test
    void loopAndDriversKnowNoSpringAndNoApp() {
        noClasses().that().resideInAnyPackage("dev.twincloud.agent.core..", "dev.twincloud.agent.local..", "dev.twincloud.agent.cnpg..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "dev.twincloud.agent.app..")
                .check(AGENT);
    }

    @Test
    void theAgentNeverRunsTheDecider() {
        noClasses().should().dependOnClassesThat().resideInAPackage("dev.twincloud.core.decide..").check(AGENT);
    }
}
