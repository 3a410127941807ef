package entangle.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;

import clojure.java.api.Clojure;
import clojure.lang.IFn;

/**
 * Runs a clojure.test namespace (from test/clj) once, and reports each deftest as a JUnit test
 * of its own, failing with clojure.test's own report of what went wrong. With
 * {@code -Dentangle.deftests=REGEX}, only the deftests whose names it finds (with the
 * namespace's fixtures), to run one again and again.
 */
public final class ClojureTests {
    private ClojureTests() {}

    public static Stream<DynamicTest> of(String namespace) {
        Clojure.var("clojure.core", "require").invoke(Clojure.read(namespace));
        IFn run = (IFn) Clojure.var("clojure.core", "eval").invoke(Clojure.var("clojure.core", "read-string").invoke(RUNNER));
        @SuppressWarnings("unchecked")
        Map<Object, Object> results = (Map<Object, Object>) run.invoke(Clojure.read(namespace),
                                                                         System.getProperty("entangle.deftests"));
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<Object, Object> e : new LinkedHashMap<>(results).entrySet()) {
            String name = String.valueOf(e.getKey());
            String failures = String.valueOf(e.getValue());
            tests.add(DynamicTest.dynamicTest(name, () -> {
                if (!failures.isEmpty()) throw new AssertionError(failures);
            }));
        }
        if (tests.isEmpty()) throw new IllegalStateException(namespace + " has no tests");
        return tests.stream();
    }

    // Runs the namespace's tests with its fixtures; returns {test-name "what failed, as clojure.test reports it"}.
    private static final String RUNNER = """
        (fn [ns-sym only]
          (let [results (atom (sorted-map))
                current (atom nil)
                original clojure.test/report]
            (binding [clojure.test/report
                      (fn [m]
                        (case (:type m)
                          :begin-test-var (do (reset! current (str (:name (meta (:var m)))))
                                              (swap! results assoc @current ""))
                          (:fail :error) (swap! results update @current str
                                                (with-out-str (binding [clojure.test/*test-out* *out*]
                                                                (original m))))
                          nil))]
              (if only
                (clojure.test/test-vars (filter #(and (:test (meta %)) (re-find (re-pattern only) (str (.sym ^clojure.lang.Var %))))
                                                (vals (ns-interns ns-sym))))
                (clojure.test/test-ns ns-sym)))
            @results))
        """;
}
