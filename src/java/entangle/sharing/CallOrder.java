package entangle.sharing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import clojure.lang.Keyword;
import clojure.lang.Var;
import entangle.sharing.Changes.VarChange;

/**
 * The order in which a member applies var records written together: a fn's after the vars
 * written with it that its code names, and a protocol method's after its protocol. Applying
 * a fn's record makes the vars its code names (Clojure interns them as the fn's class is
 * initialized), so one whose record came later would be seen unbound until its turn, and
 * code calling the fn meanwhile failed with "Attempting to call unbound fn"; at the member
 * that evaluated them, the fn could not be compiled before the vars it names existed.
 *
 * <p>The writer finds what each fn names ({@link #of}) and keeps it in the record ({@link
 * VarRecord#after}): a hand-off goes in this order, and a member that reads the records from
 * the maps, in no order, puts them in it again ({@link #sorted}).
 */
final class CallOrder {
    private static final Keyword PROTOCOL = Keyword.intern("protocol");

    /** Changes in the order their records are applied, and the keys each one's comes after. */
    record Ordered(List<VarChange> changes, Map<String, List<String>> after) {}

    private CallOrder() {}

    /** {@code changes} in call order, with the keys of the changes each one names. */
    static Ordered of(List<VarChange> changes) {
        if (changes.size() < 2) return new Ordered(changes, Map.of());
        Map<Var, String> published = new IdentityHashMap<>();
        for (VarChange c : changes) published.put(c.var(), c.key());
        Map<String, List<String>> after = new HashMap<>();
        for (VarChange c : changes) {
            List<String> named = named(c, published);
            if (!named.isEmpty()) after.put(c.key(), named);
        }
        return new Ordered(sorted(changes, VarChange::key, c -> after.getOrDefault(c.key(), List.of())), after);
    }

    /**
     * {@code items}, each after the items whose keys {@code after} gives for it; otherwise as
     * given. A cycle (fns that call each other, one of them declared first) keeps the order
     * given.
     */
    static <T> List<T> sorted(List<T> items, Function<T, String> key, Function<T, List<String>> after) {
        int n = items.size();
        if (n < 2) return items;
        Map<String, Integer> at = new HashMap<>();
        for (int i = 0; i < n; i++) at.put(key.apply(items.get(i)), i);
        List<T> out = new ArrayList<>(n);
        boolean[] seen = new boolean[n];
        // Depth-first, by hand: a file's chain of fns each calling the one before is thousands deep.
        Deque<int[]> path = new ArrayDeque<>();
        List<int[]> before = new ArrayList<>(n);
        for (int i = 0; i < n; i++) before.add(null);
        for (int start = 0; start < n; start++) {
            if (seen[start]) continue;
            seen[start] = true;
            path.push(new int[] {start, 0});
            while (!path.isEmpty()) {
                int[] top = path.peek();
                int[] next = before.get(top[0]);
                if (next == null) before.set(top[0], next = indexes(after.apply(items.get(top[0])), at));
                if (top[1] < next.length) {
                    int d = next[top[1]++];
                    if (!seen[d]) {
                        seen[d] = true;
                        path.push(new int[] {d, 0});
                    }
                } else {
                    path.pop();
                    out.add(items.get(top[0]));
                }
            }
        }
        return out;
    }

    private static int[] indexes(List<String> keys, Map<String, Integer> at) {
        return keys.stream().map(at::get).filter(java.util.Objects::nonNull).mapToInt(Integer::intValue).toArray();
    }

    /**
     * The keys in {@code published} of the vars that {@code c}'s root names in its code, if it
     * is a compiled fn, and of a protocol method's protocol, whose record makes the method.
     */
    private static List<String> named(VarChange c, Map<Var, String> published) {
        Set<String> out = new LinkedHashSet<>();
        if (c.meta() != null && c.meta().valAt(PROTOCOL) instanceof Var p && published.containsKey(p)) {
            out.add(published.get(p));
        }
        if (c.root() instanceof clojure.lang.Fn) {
            try {
                // A compiled fn holds each var its code names in a static field of its class.
                for (Field f : c.root().getClass().getDeclaredFields()) {
                    if (f.getType() != Var.class || !Modifier.isStatic(f.getModifiers())) continue;
                    String key = published.get(f.get(null));
                    if (key != null) out.add(key);
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // Not a class compiled as Clojure compiles fns: its place is as given.
            }
        }
        out.remove(c.key());
        return out.isEmpty() ? List.of() : List.copyOf(out);
    }
}
