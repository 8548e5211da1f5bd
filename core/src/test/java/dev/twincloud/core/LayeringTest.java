package dev.twincloud.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The core is data and pure functions: no framework, and the decider does no I/O and reads no clock. */
class LayeringTest {
    static final JavaClasses CORE = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.twincloud.core");

    @Test
    void coreUsesNoFramework() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta..", "tools.jackson..",
                "io.fabric8..", "org.slf4j..").check(CORE);
    }

    @Test
    void theDeciderDoesNoIoAndHasNoClockOfItsOwn() {
        noClasses().that().resideInAnyPackage("dev.twincloud.core.decide..", "dev.twincloud.core.fsm..")
                .should().dependOnClassesThat().resideInAnyPackage("java.io..", "java.nio..", "java.net..", "java.sql..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.Clock")
                .orShould().callMethod(java.time.Instant.class, "now")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .check(CORE);
    }
}
