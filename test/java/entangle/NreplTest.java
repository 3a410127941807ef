package entangle;

import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import entangle.testing.BesideTheOthers;
import entangle.testing.ClojureTests;

/** nREPL, with nREPL's own client: test/clj/entangle/nrepl_test.clj, a JUnit test per deftest. */
@BesideTheOthers
class NreplTest {
    @TestFactory
    Stream<DynamicTest> nrepl() {
        return ClojureTests.of("entangle.nrepl-test");
    }
}
