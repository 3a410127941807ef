package entangle.sharing;

import static entangle.value.UnshareableValueException.withArticle;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import clojure.lang.IPersistentMap;
import clojure.lang.MultiFn;
import clojure.lang.Namespace;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;
import clojure.lang.RT;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.unit.Units;
import entangle.value.MultiFns;
import entangle.value.Protocols;
import entangle.value.Specs;
import entangle.value.UnshareableValueException;
import entangle.value.ValueWriter;

/**
 * Extension tables: the methods of a multimethod, the extensions of a protocol and the specs
 * of clojure.spec's registry, where they belong to a namespace that is not shared (Clojure's
 * own {@code print-method}, a {@code clojure.*} library's protocol) and evaluation adds to
 * them all the same. What evaluation added is shared entry by entry (see {@link Merge}); an
 * entry that cannot travel stays on its member, said once.
 */
final class ExtensionTables {
    private final SharingPolicy policy;
    private final Units units;
    private final Classpath classpath;
    /** Entries of extension tables that cannot travel, by the var's key, as they were when refused. */
    private final Map<String, IPersistentMap> unsharedEntries = new ConcurrentHashMap<>();

    ExtensionTables(SharingPolicy policy, Units units, Classpath classpath) {
        this.policy = policy;
        this.units = units;
        this.classpath = classpath;
    }

    /**
     * True if {@code key} names a var of a namespace that is not shared whose changes by
     * evaluation are shared all the same, as its evaluated methods or extensions: a
     * multimethod or protocol of Clojure's or of a {@code clojure.*} library.
     */
    boolean extended(String key) {
        return key.startsWith("clojure.") && !SharingPolicy.ALWAYS_SHARED_VARS.contains(key)
            && policy.extensionsShared(key.substring(0, key.indexOf('/')));
    }

    /**
     * True if the var of {@code key}, which {@link #extended} shares, is here to take what the
     * cluster holds: a member that has not loaded a library's namespace leaves its protocol's
     * extensions (its compiled code would name vars of a namespace that is not there). Spec,
     * which every member has with Clojure, is loaded for the specs: shared fns check them.
     */
    boolean extensible(String key) {
        if (key.equals(Specs.REGISTRY) && !Classpath.loaded(Specs.NAMESPACE)) {
            classpath.load(Specs.NAMESPACE, false, "specs defined on other members are in it", "specs");
        }
        Namespace ns = Namespace.find(Symbol.intern(key.substring(0, key.indexOf('/'))));
        Var v = ns == null ? null : ns.findInternedVar(Symbol.intern(key.substring(key.indexOf('/') + 1)));
        if (v == null) return false;
        Object root = v.getRawRoot();
        return root instanceof MultiFn || Protocols.isProtocol(root) || Specs.isRegistry(root);
    }

    /**
     * The evaluated methods of a multimethod, the evaluated extensions of a protocol, the
     * evaluated specs: as the cluster shares them, without the entries that cannot travel
     * (see {@link #shareable}).
     */
    IPersistentMap evaluated(String key, Object root) {
        IPersistentMap out;
        if (root instanceof MultiFn m) out = MultiFns.evaluatedMethods(m);
        else if (Specs.isRegistry(root)) out = withoutLocalSpecs(Specs.evaluatedEntries(root));
        else out = Protocols.isProtocol(root) ? Protocols.evaluatedExtensions((IPersistentMap) root) : PersistentArrayMap.EMPTY;
        IPersistentMap unshared = unsharedEntries.get(key);
        if (unshared == null) return out;
        IPersistentMap still = unshared;
        for (Object o : (Iterable<?>) unshared) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            if (out.valAt(e.getKey()) == e.getValue()) out = out.without(e.getKey());
            else still = still.without(e.getKey()); // changed or gone: nothing to hold on to
        }
        if (still != unshared) unsharedEntries.put(key, still);
        return out;
    }

    /** Specs without those keyed in a namespace marked local ({@code ::draft} there), which stay on their member. */
    private IPersistentMap withoutLocalSpecs(IPersistentMap specs) {
        IPersistentMap out = specs;
        for (Object o : (Iterable<?>) specs) {
            Object k = ((Map.Entry<?, ?>) o).getKey();
            String ns = k instanceof clojure.lang.Named n ? n.getNamespace() : null;
            if (ns != null && policy.markedLocal(ns)) out = out.without(k);
        }
        return out;
    }

    /**
     * Of an extension table (the evaluated methods of a multimethod of Clojure's, the evaluated
     * extensions of its protocol, the evaluated specs) that cannot travel whole, the entries
     * that can: one that cannot stays on this member, which is warned once, naming it, and is
     * left out of what the table is compared with from then on (see {@link #evaluated}), until
     * it changes.
     */
    IPersistentMap shareable(String key, IPersistentMap table, List<String> warnings) {
        IPersistentMap kept = table;
        IPersistentMap unshared = unsharedEntries.getOrDefault(key, PersistentHashMap.EMPTY);
        for (Object o : (Iterable<?>) table) {
            Map.Entry<?, ?> entry = (Map.Entry<?, ?>) o;
            try {
                ValueWriter.write(PersistentHashMap.create(entry.getKey(), entry.getValue()), units);
            } catch (UnshareableValueException e) {
                kept = kept.without(entry.getKey());
                unshared = unshared.assoc(entry.getKey(), entry.getValue());
                warnings.add(entryName(key, entry.getKey()) + " holds " + withArticle(e.typeAndWhy())
                    + ", which cannot be shared with other"
                    + " members, so it stays on this member only; define it with values that can travel, or on"
                    + " each member (entangle/eval-on).");
            }
        }
        unsharedEntries.put(key, unshared);
        return kept;
    }

    /** Makes the evaluated methods or extensions of {@code v} {@code extensions}, where {@code previous} were. */
    static void extend(Var v, IPersistentMap extensions, IPersistentMap previous) {
        Object root = v.getRawRoot();
        if (root instanceof MultiFn m) MultiFns.extend(m, extensions, previous);
        else if (Protocols.isProtocol(root)) Protocols.extend(v, extensions, previous);
        else if (Specs.isRegistry(root)) Specs.extend(root, extensions, previous);
    }

    /** What to call an entry of an extension table in a message. */
    private static String entryName(String key, Object entry) {
        String printed = RT.printString(entry instanceof Class<?> c ? Symbol.intern(c.getName()) : entry);
        if (key.equals(Specs.REGISTRY)) return "spec " + printed;
        Var v = Var.find(Symbol.intern(key));
        if (v != null && v.getRawRoot() instanceof MultiFn) return "the method of " + VarRecord.varName(key) + " for " + printed;
        return "the extension of " + VarRecord.varName(key) + " to " + printed;
    }

    /** What a message calls the record {@code r}: its var, or what the var's table holds. */
    static String recordName(VarRecord r) {
        return r.key().equals(Specs.REGISTRY) ? "clojure.spec's registry (the specs defined at members)" : r.varName();
    }
}
