package dev.twincloud.arbiter;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The arbiter wires the core; it decides nothing itself, and its loop and store know nothing of HTTP. */
class LayeringTest {

    static final JavaClasses ARBITER = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.twincloud.arbiter");

    @Test
    void theLoopAndTheStoreDoNotKnowTheWeb() {
        noClasses().that().resideInAnyPackage("dev.twincloud.arbiter.service..", "dev.twincloud.arbiter.store..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.twincloud.arbiter.web..", "org.springframework.web..",
                        "org.springframework.http..", "jakarta.servlet..")
                .check(ARBITER);
    }

    @Test
    void theWebLayerAsksTheLoopAndNeverTheDeciderOrTheStoreDirectly() {
        noClasses().that().resideInAPackage("dev.twincloud.arbiter.web..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.twincloud.arbiter.store..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.twincloud.core.decide.Decider")
                .check(ARBITER);
    }
}
