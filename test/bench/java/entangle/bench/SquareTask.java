package entangle.bench;

import java.io.Serializable;
import java.util.concurrent.Callable;

/**
 * The baseline of P5: a precompiled Java task, on every member's classpath, run by
 * Hazelcast's executor as an application would run its own.
 */
public final class SquareTask implements Callable<Long>, Serializable {
    private static final long serialVersionUID = 1L;
    private final long x;

    public SquareTask(long x) {
        this.x = x;
    }

    @Override
    public Long call() {
        return x * x;
    }
}
