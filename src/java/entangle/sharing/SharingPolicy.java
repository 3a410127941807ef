package entangle.sharing;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.Namespace;
import clojure.lang.RT;
import clojure.lang.Var;

/**
 * Which namespaces and vars are shared. Every namespace is, except Clojure's own
 * ({@code clojure.*}), entangle's, tooling namespaces (nREPL and editor middleware), and
 * namespaces or vars marked local. A namespace can be opted in or out explicitly, by meta
 * ({@code ^:entangle/shared}, {@code ^:entangle/local}) or through {@code entangle.core}.
 *
 * <p>The system property {@code entangle.local.namespaces} adds name prefixes (ending in
 * '.') or names, separated by commas, that are never shared.
 */
public final class SharingPolicy {
    /** Meta key marking a var or namespace local to each member. */
    public static final Keyword LOCAL = Keyword.intern("entangle", "local");
    /** Meta key opting a namespace in that would otherwise not be shared. */
    public static final Keyword SHARED = Keyword.intern("entangle", "shared");

    /**
     * Vars of namespaces that are not shared which are shared all the same: the global
     * hierarchy, which derive and underive change and every member's multimethods dispatch on.
     */
    public static final Set<String> ALWAYS_SHARED_VARS = Set.of("clojure.core/global-hierarchy");

    private static final List<String> NEVER = List.of("entangle.");
    private static final List<String> NOT_BY_DEFAULT = List.of(
        "clojure.", "nrepl.", "cider.", "cider-nrepl.", "refactor-nrepl.", "compliment.", "orchard.",
        "cljfmt.", "complete.", "rebel-readline.", "reply.", "mranderson", "suitable.", "clj-refactor.",
        "dynapath.", "cljs.", "figwheel.", "shadow.");
    private static final List<String> EXTRA = Arrays.stream(
            System.getProperty("entangle.local.namespaces", "").split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).toList();

    private final Set<String> localNamespaces = ConcurrentHashMap.newKeySet();
    /** Namespaces whose notice (see {@link #notSharedNotice}) was given. */
    private final Set<String> noticed = ConcurrentHashMap.newKeySet();
    private final Set<String> sharedNamespaces = ConcurrentHashMap.newKeySet();

    /** True if {@code name} is one no member ever shares: entangle's own. */
    public static boolean never(String name) {
        return matches(name, NEVER);
    }

    /** True if a namespace of this name is shared unless marked otherwise. */
    public static boolean sharedByDefault(String name) {
        return !never(name) && !matches(name, NOT_BY_DEFAULT) && !matches(name, EXTRA);
    }

    private static boolean matches(String name, List<String> prefixes) {
        for (String p : prefixes) {
            if (p.endsWith(".") ? name.startsWith(p) || name.equals(p.substring(0, p.length() - 1))
                                : name.equals(p) || name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Once per namespace, what to tell a user who evaluates in {@code ns}, which is not shared
     * because its name starts as a tool's does (a name of their own may: {@code reply.api},
     * {@code complete.orders}) and no mark says otherwise; else null. Not for Clojure's own
     * namespaces, whose names are no surprise, nor for a tool's that its file on the classpath
     * made (a user looking into nREPL's).
     */
    public String notSharedNotice(Namespace ns) {
        String name = ns.getName().getName();
        if (shared(ns) || never(name) || markedLocal(name) || matches(name, List.of("clojure."))) return null;
        String prefix = NOT_BY_DEFAULT.stream().filter(p -> matches(name, List.of(p))).findFirst().orElse(null);
        if (prefix == null || !noticed.add(name) || onClasspath(name)) return null;
        return "namespace " + name + " is not shared with the other members: a name that starts with " + prefix
            + " is taken for a tool's (nREPL, an editor's middleware, a build tool), whose namespaces stay on each"
            + " member; (entangle.core/shared! '" + name + ") shares it";
    }

    /** True if namespace {@code name} has a source or compiled file on the classpath, as require finds them. */
    private static boolean onClasspath(String name) {
        String root = name.replace('-', '_').replace('.', '/');
        ClassLoader loader = RT.baseLoader();
        for (String suffix : List.of(".clj", ".cljc", "__init.class")) {
            if (loader.getResource(root + suffix) != null) return true;
        }
        return false;
    }

    /** Marks a namespace local to each member (or, with false, lifts the mark). */
    public void markLocal(String ns, boolean local) {
        if (local) {
            localNamespaces.add(ns);
            sharedNamespaces.remove(ns);
        } else {
            localNamespaces.remove(ns);
        }
    }

    /** Opts a namespace in (or, with false, lifts the opt-in). */
    public void markShared(String ns, boolean shared) {
        if (shared) {
            sharedNamespaces.add(ns);
            localNamespaces.remove(ns);
        } else {
            sharedNamespaces.remove(ns);
        }
    }

    /** True if the vars of {@code ns} are shared. */
    public boolean shared(Namespace ns) {
        String name = ns.getName().getName();
        if (never(name)) return false;
        IPersistentMap meta = ns.meta();
        if (localNamespaces.contains(name) || flag(meta, LOCAL)) return false;
        if (sharedNamespaces.contains(name) || flag(meta, SHARED)) return true;
        return sharedByDefault(name);
    }

    /**
     * True if {@code name} is a namespace marked local (by its meta, {@code entangle.core/local!}
     * or the system property), whether it exists or not.
     */
    public boolean markedLocal(String name) {
        if (localNamespaces.contains(name) || matches(name, EXTRA)) return true;
        Namespace ns = Namespace.find(clojure.lang.Symbol.intern(name));
        return ns != null && flag(ns.meta(), LOCAL);
    }

    /** True if {@code ns} is shared by name alone, before any mark; used for records from the cluster. */
    public boolean sharedName(String name) {
        if (never(name) || localNamespaces.contains(name)) return false;
        return sharedNamespaces.contains(name) || sharedByDefault(name);
    }

    /**
     * True if what evaluation adds to the multimethods and protocols of {@code ns}, a
     * namespace that is not shared, is shared all the same: Clojure's own and its contrib
     * libraries' ({@code clojure.*}), whose multimethods and protocols (print-method,
     * pprint's simple-dispatch, datafy's, reduce's, clojure.java.io's, a JSON writer's) code at a
     * REPL extends to its own types. Their other vars stay each member's.
     */
    public boolean extensionsShared(String ns) {
        return ns.startsWith("clojure.") && !localNamespaces.contains(ns) && !sharedName(ns);
    }

    /** True if the var itself carries the local mark. */
    public static boolean markedLocal(Var v) {
        return flag(v.meta(), LOCAL);
    }

    static boolean flag(IPersistentMap meta, Keyword k) {
        return meta != null && RT.booleanCast(meta.valAt(k));
    }
}
