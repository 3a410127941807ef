/**
 * Shared namespaces and vars. {@link entangle.sharing.SharedVars} keeps this member's the same
 * as the cluster's: {@link entangle.sharing.Scanner} finds what each evaluation changed
 * ({@link entangle.sharing.Changes}) against what this member last published or applied
 * ({@link entangle.sharing.Known}: a {@link entangle.sharing.KnownVar} and a
 * {@link entangle.sharing.KnownNamespace} each), SharedVars publishes it as records
 * ({@link entangle.sharing.NamespaceRecord}, {@link entangle.sharing.ClassRecord},
 * {@link entangle.sharing.VarRecord}, each sealed in an {@link entangle.sharing.Envelope} and
 * ordered by its {@link entangle.sharing.Stamp}; a fn's after the vars it names,
 * {@link entangle.sharing.CallOrder}), and {@link entangle.sharing.Applier} applies the records
 * of other members (their namespaces' through {@link entangle.sharing.NamespaceApplier}).
 * Beside it: which namespaces are shared ({@link entangle.sharing.SharingPolicy}), how two
 * members' changes to one table meet ({@link entangle.sharing.Merge}), what the user is told
 * of a definition another member's replaced without seeing it
 * ({@link entangle.sharing.Overwritten}), the tables of
 * namespaces that are not shared that evaluation adds to
 * ({@link entangle.sharing.ExtensionTables}), where a var's source form is found
 * ({@link entangle.sharing.EvaluatedTexts}), what this member's classpath has and lacks
 * ({@link entangle.sharing.Classpath}), what sharing does to Clojure's vars
 * ({@link entangle.sharing.Vars}), what a var holds whose value stayed on its member
 * ({@link entangle.sharing.Unshared}), and atoms whose one value is the cluster's
 * ({@link entangle.sharing.ClusterAtoms}).
 */
package entangle.sharing;
