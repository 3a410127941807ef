/**
 * The compiler hook: stock Clojure patched at run time ({@link entangle.hook.CompilerHook},
 * {@link entangle.hook.ClojurePatch}) so that every class a {@code DynamicClassLoader} defines is
 * captured with its bytes, grouped by its loader ({@link entangle.hook.CapturedClasses}), and
 * classpath loads are told apart from evaluation ({@link entangle.hook.ResourceLoads}).
 */
package entangle.hook;
