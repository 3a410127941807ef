package entangle.sharing;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

import clojure.java.api.Clojure;
import clojure.lang.Keyword;
import clojure.lang.Namespace;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.RefusedException;
import entangle.hook.ResourceLoads;

/**
 * This member's classpath, as records from other members meet it: a namespace they required
 * or reloaded is loaded here from this member's own classpath, and a class their code or
 * imports name that this member's classpath lacks (a library only some members have) is said,
 * once a namespace and class, before code that uses it fails.
 *
 * <p>Only classes of the classpath are said: a named class ({@code deftype}, {@code
 * defrecord}, a proxy's) of a namespace this member or the cluster has may just not have
 * arrived yet (records of different maps arrive in any order), and comes with its record; so
 * does the class of a fn of such a namespace, which code compiled with direct linking names.
 */
final class Classpath {

    private final Predicate<String> clusterHasNamespace;
    private final Consumer<String> warn;
    /**
     * "ns class" of each class this member said its classpath lacks, that a namespace imports
     * or its shared code uses: said once, not at each change of the namespace or definition.
     */
    private final Set<String> lacked = ConcurrentHashMap.newKeySet();
    /**
     * Loads that failed and were said ("require ns", "reload ns version"): the hand-off and the
     * entry event each bring a record.
     */
    private final Set<String> failedLoads = ConcurrentHashMap.newKeySet();

    /**
     * {@code clusterHasNamespace} tells whether the cluster holds a record of a namespace;
     * {@code warn} is told what this member's classpath lacks.
     */
    Classpath(Predicate<String> clusterHasNamespace, Consumer<String> warn) {
        this.clusterHasNamespace = clusterHasNamespace;
        this.warn = warn;
    }

    /**
     * Requires {@code ns} from this member's classpath, unless it is loaded; again if it was
     * removed since ({@code remove-ns} leaves it in {@code *loaded-libs*}). {@code why} says,
     * if it cannot be loaded, why it was asked for.
     */
    void require(String ns, String why) {
        boolean present = Namespace.find(Symbol.intern(ns)) != null;
        if (present && loaded(ns)) return;
        load(ns, !present && loaded(ns), why, "require " + ns);
    }

    /**
     * Loads {@code ns} from this member's classpath ({@code :reload} if {@code reload}); if it
     * cannot, says so, once for each {@code once}: shared definitions that use it will fail here.
     */
    void load(String ns, boolean reload, String why, String once) {
        try {
            ResourceLoads.byEntangle(() -> {
                if (reload) Clojure.var("clojure.core", "require").invoke(Symbol.intern(ns), Keyword.intern("reload"));
                else Clojure.var("clojure.core", "require").invoke(Symbol.intern(ns));
            });
        } catch (Exception e) { // Clojure throws checked exceptions undeclared (FileNotFoundException here)
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            if (failedLoads.add(once)) {
                String message = String.valueOf(root.getMessage());
                // Clojure's own sentences end in a full stop ("... on classpath."): ours goes on.
                if (message.endsWith(".")) message = message.substring(0, message.length() - 1);
                warn.accept("namespace " + ns + " (" + why + ") cannot be loaded from this member's classpath: "
                    + message + "; shared definitions that use it will fail here.");
            }
        }
    }

    /**
     * Adds {@code ns} to Clojure's loaded libs, as the {@code ns} form did on the member that
     * made it: a {@code require} of it here then finds it loaded instead of looking for its
     * file on the classpath.
     */
    static void markLoaded(Symbol ns) {
        if (loaded(ns.getName())) return;
        clojure.lang.Ref libs = (clojure.lang.Ref) ((Var) Clojure.var("clojure.core", "*loaded-libs*")).deref();
        try {
            clojure.lang.LockingTransaction.runInTransaction(
                () -> libs.commute(Clojure.var("clojure.core", "conj"), clojure.lang.RT.list(ns)));
        } catch (Exception e) { // the Callable's checked exception: commute throws none of its own
            throw new IllegalStateException("could not mark namespace " + ns + " as loaded", e);
        }
    }

    /** True if {@code ns} is in Clojure's loaded libs. */
    static boolean loaded(String ns) {
        Object libs = ((clojure.lang.IDeref) ((Var) Clojure.var("clojure.core", "*loaded-libs*")).deref()).deref();
        return ((clojure.lang.IPersistentSet) libs).contains(Symbol.intern(ns));
    }

    /**
     * Says, once a namespace and class, which classes the code of a definition from another
     * member ({@code what}, of namespace {@code ns}, from member {@code from}) names that are not on this member's
     * classpath: the JVM resolves them only when that code runs, so it was defined here and
     * would fail, when called, with nothing said before. {@code names} are those this member
     * could not find (see {@link entangle.unit.Units#namesNotFound}).
     */
    void sayNotFound(String ns, String what, String from, Collection<String> names) {
        for (String name : names) {
            String key = ns + " " + name;
            if (lacked.contains(key) || mayStillArrive(name) || mayBeFnOfHeldNamespace(name)) continue;
            if (lacked.add(key)) {
                warn.accept(what + " from member " + from + " uses class "
                    + RefusedException.notOnClasspath(name) + "; it was defined here and will fail where it uses it.");
            }
        }
    }

    /**
     * For a class {@code className} that namespace {@code ns} imports and this member cannot
     * load: false if it may be a named class whose record has not arrived yet (the caller
     * imports it once it has); otherwise true, having said, once for the namespace and class,
     * that this member's classpath lacks it.
     */
    boolean sayImportNotFound(String ns, String className) {
        String key = ns + " " + className;
        if (lacked.contains(key)) return true;
        if (mayStillArrive(className)) return false;
        if (lacked.add(key)) {
            warn.accept("namespace " + ns + " imports " + RefusedException.notOnClasspath(className)
                + "; shared definitions that use it will fail here.");
        }
        return true;
    }

    /**
     * True if the class {@code name}, which this member cannot load, may be a named class whose
     * record has not arrived yet: one of a namespace this member or the cluster has. A class of
     * the classpath that this member lacks (a library another member has) would otherwise wait
     * for ever, unsaid.
     */
    private boolean mayStillArrive(String name) {
        return heldNamespace(ClassRecord.namespaceOf(name));
    }

    /**
     * True if {@code name} may be the class of a fn of a namespace this member or the cluster
     * has (code compiled with direct linking names the fns it calls by their classes), which
     * comes with its var's record.
     */
    private boolean mayBeFnOfHeldNamespace(String name) {
        int dollar = name.indexOf('$');
        return dollar > 0 && heldNamespace(clojure.lang.Compiler.demunge(name.substring(0, dollar)));
    }

    /** True if this member or the cluster has the namespace {@code ns}. */
    private boolean heldNamespace(String ns) {
        return ns != null && (Namespace.find(Symbol.intern(ns)) != null || clusterHasNamespace.test(ns));
    }
}
