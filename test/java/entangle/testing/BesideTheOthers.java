package entangle.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A test class that runs beside the others, which run one after another (see the pom), rather
 * than after them: one whose tests spend most of their time waiting (for the cluster to notice
 * a member stopped or gone, for a client to give up). The classes so marked take one lock, so
 * that one of them at a time runs beside the others: two clusters of processes at once on the
 * machine's two cores, never three. The lock also keeps a class's own tests in the class's
 * thread, one at a time.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("entangle.testing.BesideTheOthers")
public @interface BesideTheOthers {}
