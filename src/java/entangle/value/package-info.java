/**
 * Values as they travel: {@link entangle.value.ValueWriter} writes a var's value (plain data,
 * fns and closures by their units, instances of named classes, multimethod and protocol
 * tables, specs) and refuses one that cannot travel with an
 * {@link entangle.value.UnshareableValueException}; {@link entangle.value.ValueReader} reads it
 * back on another member, loading only what a shared value can contain.
 */
package entangle.value;
