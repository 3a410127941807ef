/**
 * Units of classes: the classes one loader defined, addressed by the SHA-256 of their bytes
 * ({@link entangle.unit.Unit}), stored in the cluster ({@link entangle.unit.UnitStore}), and
 * loaded on other members in loaders of their own ({@link entangle.unit.UnitLoader}), where a
 * class's siblings resolve inside its unit and named classes resolve to the newest definition
 * ({@link entangle.unit.NameCache}). {@link entangle.unit.Units} is this member's view of them.
 */
package entangle.unit;
