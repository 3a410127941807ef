package entangle.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A test class whose tests share one cluster of two members, {@link #a} and {@link #b},
 * started once for the class (a member JVM takes seconds to start). Tests that share members
 * use names of their own, so that they do not depend on each other's order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class TwoMembers {
    protected TestCluster cluster;
    protected ReplProcess a;
    protected ReplProcess b;
    private final List<String[]> forLateJoiner = Collections.synchronizedList(new ArrayList<>());

    /** Records a check for {@link #aMemberThatJoinsLaterHasEverything}: {@code form} prints {@code expected}. */
    protected void alsoOnALateJoiner(String form, String expected) {
        forLateJoiner.add(new String[] {form, expected});
    }

    /** Runs last: a member started after every other test has what they defined, newest versions. */
    @Test
    @Order(Integer.MAX_VALUE)
    void aMemberThatJoinsLaterHasEverything() {
        if (forLateJoiner.isEmpty()) return;
        ReplProcess late = cluster.start("late");
        try {
            for (String[] check : forLateJoiner) {
                assertEquals(check[1], late.eval(check[0]).value(), check[0] + "\n" + late.transcript());
            }
            // Its sync checks every record's code before it applies any: what that code names by
            // class (a direct-linked call's fn) comes with the sync, and is not said to be missing.
            assertFalse(late.allErr().contains("not on this member's classpath"), late.allErr());
        } finally {
            late.close();
        }
    }

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
