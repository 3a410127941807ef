package entangle.sharing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import clojure.lang.Keyword;
import clojure.lang.Var;
import entangle.sharing.Changes.VarChange;

/**
 * The var changes of one publication in the order other members apply them: a fn after the
 * vars of the same publication that its code names. Applying a fn's record makes the vars
 * its code names (Clojure interns them as the fn's class is initialized), so one whose
 * record came later would be seen unbound until its turn, and code calling the fn meanwhile
 * failed with "Attempting to call unbound fn"; at the member that evaluated them, the fn
 * could not be compiled before the vars it names were made.
 */
final class CallOrder {
    private CallOrder() {}

    /** {@code changes}, each fn's after the changes of the vars it names; otherwise as given. */
    static List<VarChange> of(List<VarChange> changes) {
        int n = changes.size();
        if (n < 2) return changes;
        Map<Var, Integer> at = new IdentityHashMap<>();
        for (int i = 0; i < n; i++) at.put(changes.get(i).var(), i);
        int[][] named = new int[n][];
        for (int i = 0; i < n; i++) named[i] = namedChanges(changes.get(i), at, i);
        List<VarChange> out = new ArrayList<>(n);
        boolean[] seen = new boolean[n];
        // Depth-first, by hand: a file's chain of fns each calling the one before is thousands deep.
        Deque<int[]> path = new ArrayDeque<>();
        for (int start = 0; start < n; start++) {
            if (seen[start]) continue;
            seen[start] = true;
            path.push(new int[] {start, 0});
            while (!path.isEmpty()) {
                int[] top = path.peek();
                int[] next = named[top[0]];
                if (top[1] < next.length) {
                    int d = next[top[1]++];
                    if (!seen[d]) {
                        seen[d] = true;
                        path.push(new int[] {d, 0});
                    }
                } else {
                    path.pop();
                    out.add(changes.get(top[0]));
                }
            }
        }
        return out;
    }

    private static final Keyword PROTOCOL = Keyword.intern("protocol");

    /**
     * The indexes in {@code at} of the vars that {@code c}'s root names in its code, if it is
     * a compiled fn; and of a protocol method's protocol, whose record makes the method.
     */
    private static int[] namedChanges(VarChange c, Map<Var, Integer> at, int self) {
        Object root = c.root();
        List<Integer> out = new ArrayList<>(2);
        Integer protocol = c.meta() == null ? null : at.get(c.meta().valAt(PROTOCOL));
        if (protocol != null && protocol != self) out.add(protocol);
        if (!(root instanceof clojure.lang.Fn)) return out.stream().mapToInt(Integer::intValue).toArray();
        try {
            // A compiled fn holds each var its code names in a static field of its class.
            for (Field f : root.getClass().getDeclaredFields()) {
                if (f.getType() != Var.class || !Modifier.isStatic(f.getModifiers())) continue;
                Integer i = at.get(f.get(null));
                if (i != null && i != self) out.add(i);
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // Not a class compiled as Clojure compiles fns: its place is as given.
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
