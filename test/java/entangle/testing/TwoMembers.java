package entangle.testing;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A test class whose tests share one cluster of two members, {@link #a} and {@link #b},
 * started once for the class (a member JVM takes seconds to start). Tests that share members
 * use names of their own, so that they do not depend on each other's order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class TwoMembers {
    protected TestCluster cluster;
    protected ReplProcess a;
    protected ReplProcess b;

    @BeforeAll
    void startMembers() {
        cluster = new TestCluster();
        a = cluster.start("a");
        b = cluster.start("b");
    }

    @AfterAll
    void stopMembers() {
        cluster.close();
    }

    /** A's address (host:port), as messages name it. */
    protected String addressOfA() {
        return a.eval("(first (entangle.core/members))").value().replace("\"", "");
    }
}
