package entangle.testing;

/**
 * What a member's REPL evaluates to watch definitions arrive from another member: a thread
 * that calls, as fast as it can, every fn it finds bound among those another member is
 * defining, and a var that stops it and says what it saw.
 */
public final class Glimpses {
    private Glimpses() {}

    /**
     * Starts a thread calling each var {@code prefix}0 to {@code prefix}(n-1) of namespace
     * {@code ns} that is bound, and defines {@code stop-calling} (local to the member): called,
     * it stops the thread and gives {@code {:called true, :unbound N}}, where N counts the
     * calls that threw "Attempting to call unbound fn" (an IllegalStateException).
     */
    public static String calls(String ns, String prefix, int n) {
        return "(def ^:entangle/local stop-calling (let [names (mapv #(symbol (str \"" + prefix + "\" %)) (range " + n + "))"
            + " out (promise) t (Thread. #(loop [i 0 called 0 unbound 0]"
            + "   (if (Thread/interrupted) (deliver out {:called (pos? called) :unbound unbound})"
            + "     (if-let [v (some-> (find-ns '" + ns + ") (.findInternedVar (names (mod i " + n + "))))]"
            + "       (cond (not (bound? v)) (recur (inc i) called unbound)"
            + "             (try (v) true (catch IllegalStateException e false)) (recur (inc i) (inc called) unbound)"
            + "             :else (recur (inc i) (inc called) (inc unbound)))"
            + "       (recur (inc i) called unbound)))))]"
            + " (.start t) #(do (.interrupt t) (deref out 10000 :still-looking))))";
    }
}
