package entangle.value;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;

import org.junit.jupiter.api.Test;

import clojure.java.api.Clojure;
import entangle.RefusedException;
import entangle.unit.Units;

/** Values in one JVM: what may be written and read, and what is refused on each side. */
class ValuesTest {
    private static final Units UNITS = new Units(null);

    private static Object read(String clojure) {
        return Clojure.read(clojure);
    }

    private static Object roundTrip(Object v) throws Exception {
        return ValueReader.read(ValueWriter.write(v, UNITS).bytes(), UNITS);
    }

    @Test
    void clojureDataRoundTrips() throws Exception {
        for (String s : new String[] {
            "{:a [1 2 3] :b #{\"x\" :y} :c (1 2) :d 1.5M :e 1/3 :f nil :g \\c :h a.b/c}",
            "#uuid \"4fe5d828-6444-11e8-8222-720007e40350\"", "#inst \"2026-01-01T00:00:00.000-00:00\"",
            "{:k0 0 :k1 1 :k2 2 :k3 3 :k4 4 :k5 5 :k6 6 :k7 7 :k8 8 :k9 9 :k10 10}"}) {
            Object v = read(s);
            assertEquals(v, roundTrip(v), s);
        }
    }

    @Test
    void clojureTypesKeepTheirKindMetaAndOrder() throws Exception {
        clojure.lang.IFn eval = Clojure.var("clojure.core", "eval");
        for (String s : new String[] {
            "(sorted-map :b 2 :a 1)", "(sorted-set 3 1 2)", "(sorted-map-by > 1 :a 2 :b)",
            "(conj clojure.lang.PersistentQueue/EMPTY 1 2 3)", "(first {:k :v})", "(with-meta [1 2] {:tag :v})",
            "(with-meta (symbol \"sym\") {:m 1})", "(seq [1 2 3])", "(range 5)", "(subvec [1 2 3 4] 1 3)", "123456789012345678901234567890N",
            "22/7", "(var clojure.core/map)", "(list)", "[]", "{}", "#{}"}) {
            Object v = eval.invoke(read(s));
            Object back = roundTrip(v);
            assertEquals(v, back, s);
            assertEquals(Clojure.var("clojure.core", "meta").invoke(v), Clojure.var("clojure.core", "meta").invoke(back), s);
            assertEquals(Clojure.var("clojure.core", "sorted?").invoke(v), Clojure.var("clojure.core", "sorted?").invoke(back), s);
        }
        Object entry = roundTrip(eval.invoke(read("(first {:k :v})")));
        assertEquals(read(":k"), Clojure.var("clojure.core", "key").invoke(entry));
        Object byGreater = roundTrip(eval.invoke(read("(sorted-map-by > 1 :a 2 :b)")));
        assertEquals(read("(2 1)"), Clojure.var("clojure.core", "keys").invoke(byGreater));
    }

    /**
     * Clojure's other data, none of it Serializable: vector-of's vectors keep their primitive
     * type and meta, an eduction its transducer and collection, what the reader makes of a tag
     * it has no reader for and of a kept reader conditional; a charset travels by its name.
     */
    @Test
    void clojuresOtherDataTravelsAsWhatItIs() throws Exception {
        clojure.lang.IFn eval = Clojure.var("clojure.core", "eval");
        clojure.lang.IFn pr = Clojure.var("clojure.core", "pr-str");
        for (String s : new String[] {
            "(with-meta (vector-of :long 1 2 3) {:m 1})", "(vector-of :double 1.5)", "(vector-of :char \\a \\b)",
            "(vector-of :boolean true false)", "(vector-of :int)", "(apply vector-of :byte (range 100))",
            "(tagged-literal (symbol \"my\" \"tag\") {:a [1 2]})", "(reader-conditional (list :clj 1 :cljs 2) true)",
            "java.nio.charset.StandardCharsets/UTF_8", "(java.nio.charset.Charset/forName \"ISO-8859-1\")"}) {
            Object v = eval.invoke(read(s));
            Object back = roundTrip(v);
            assertEquals(v, back, s);
            assertEquals(v.getClass(), back.getClass(), s);
            assertEquals(pr.invoke(v), pr.invoke(back), s);
            assertEquals(Clojure.var("clojure.core", "meta").invoke(v), Clojure.var("clojure.core", "meta").invoke(back), s);
        }
        Object longs = roundTrip(eval.invoke(read("(vector-of :long 1 2)")));
        assertEquals(read("[1 2 3]"), Clojure.var("clojure.core", "conj").invoke(longs, 3L));
        assertThrows(ClassCastException.class, () -> Clojure.var("clojure.core", "conj").invoke(longs, "x"),
                     "still a vector of longs");
        Object eduction = roundTrip(eval.invoke(code("(eduction (map inc) (filter odd?) [1 2 3 4 5])")));
        assertEquals("clojure.core.Eduction", eduction.getClass().getName());
        assertEquals(read("[3 5]"), Clojure.var("clojure.core", "into").invoke(read("[]"), eduction));
    }

    @Test
    void aLongListOrAValueOfManyObjectsTravelsTheJavaWayAsLongAsItsBytesFit() throws Exception {
        // A date in each: plain data alone takes the other way (see the next test). A long list
        // is not a deep structure; eleven million nulls are as many object references to the
        // reader, which refused more than ten million while its writer wrote them, so that the
        // value stayed on its member without a word there.
        for (String s : new String[] {
            "(apply list (java.util.Date.) (range 100000))", "(list (java.util.Date. 0) (vec (repeat 11000000 nil)))"}) {
            Object v = Clojure.var("clojure.core", "eval").invoke(read(s));
            byte[] bytes = ValueWriter.write(v, UNITS).bytes();
            assertNotEquals(PlainData.DATA, bytes[0], s);
            assertEquals(v, ValueReader.read(bytes, UNITS), s);
        }
    }

    @Test
    void aDatasetOfPlainDataTravelsAsPlainDataWhateverItsSize() throws Exception {
        clojure.lang.IFn eval = Clojure.var("clojure.core", "eval");
        for (String s : new String[] {
            "(vec (for [i (range 100000)] {:id i :name (str \"n\" i) :score (* 1.5 i) :tags #{:a :b}}))",
            "(vec (range 1000000))", "(apply list (range 100000))", "(set (map str (range 100000)))",
            "(zipmap (range 100000) (map keyword (map str (range 100000))))"}) {
            Object v = eval.invoke(code(s));
            byte[] bytes = ValueWriter.write(v, UNITS).bytes();
            assertEquals(PlainData.DATA, bytes[0], s);
            Object back = ValueReader.read(bytes, UNITS);
            assertEquals(v, back, s);
            assertEquals(v.getClass(), back.getClass(), s);
        }
    }

    @Test
    void aValueLargerThanAMemberReadsIsRefusedWhenWritten() throws Exception {
        Object large = Clojure.var("clojure.core", "eval").invoke(read("(apply list (java.util.Date. 0) (range 10000))"));
        assertTrue(ValueWriter.write(large, UNITS).bytes().length > 50_000);
        UnshareableValueException e = assertThrows(UnshareableValueException.class,
                                                   () -> ValueWriter.write(large, UNITS, 50_000));
        assertEquals("clojure.lang.PersistentList (it is larger than a shared value may be: more than 50000 bytes serialized)",
                     e.getMessage());
    }

    @Test
    void dataNestedPastPlainDatasDepthTravelsTheJavaWay() throws Exception {
        Object deeper = nested(PlainData.MAX_DEPTH + 1);
        byte[] bytes = onStack(BIG_STACK, () -> ValueWriter.write(deeper, UNITS).bytes());
        assertNotEquals(PlainData.DATA, bytes[0]);
        assertEquals(true, onStack(BIG_STACK, () -> deeper.equals(ValueReader.read(bytes, UNITS))));
    }

    @Test
    void plainDataNestedDeeperThanTheThreadThatWritesOrReadsItCanFollowTravelsAndDeeperDataIsRefused() throws Exception {
        // Written and read on the least stack a thread can have: each takes a thread with more.
        Object deep = nested(PlainData.MAX_DEPTH);
        byte[] bytes = onStack(SMALL_STACK, () -> ValueWriter.write(deep, UNITS).bytes());
        assertEquals(PlainData.DATA, bytes[0]);
        Object read = onStack(SMALL_STACK, () -> ValueReader.read(bytes, UNITS));
        assertEquals(true, onStack(BIG_STACK, () -> deep.equals(read)));
        // Past plain data's depth, the Java serialization goes as deep as the writer's thread does.
        Object deeper = nested(PlainData.MAX_DEPTH + 1);
        UnshareableValueException unwritten = assertThrows(UnshareableValueException.class,
            () -> onStack(SMALL_STACK, () -> ValueWriter.write(deeper, UNITS)));
        assertTrue(unwritten.getMessage().contains("nested too deeply"), unwritten.getMessage());
    }

    @Test
    void plainDataNestedDeeperThanAWriterNestsItIsRefused() throws Exception {
        // What a tamperer could write: vectors in vectors, past what a writer nests.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        out.write(PlainData.DATA);
        for (int i = 0; i <= PlainData.MAX_DEPTH; i++) {
            out.write(13); // a vector
            out.writeInt(1);
        }
        out.write(0); // nil, the innermost item
        for (int i = 0; i <= PlainData.MAX_DEPTH; i++) out.write(0); // no meta
        RefusedException e = assertThrows(RefusedException.class,
            () -> onStack(BIG_STACK, () -> ValueReader.read(bytes.toByteArray(), UNITS)));
        assertTrue(e.getMessage().contains("nests deeper than " + PlainData.MAX_DEPTH), e.getMessage());
    }

    // The least stack the JVM gives a thread (it rounds up to it), and plenty.
    private static final long SMALL_STACK = 1, BIG_STACK = 256 * 1024 * 1024;

    /** What {@code work} returns, or throws, on a thread of its own with {@code stack} bytes of stack. */
    private static <T> T onStack(long stack, java.util.concurrent.Callable<T> work) throws Exception {
        return DeepStack.run("values-test-stack", stack, work);
    }

    /** nil in {@code depth} vectors, each the only item of the next. */
    private static Object nested(int depth) {
        Object v = clojure.lang.PersistentVector.EMPTY.cons(null);
        for (int i = 1; i < depth; i++) v = clojure.lang.PersistentVector.EMPTY.cons(v);
        return v;
    }

    @Test
    void theJdksValueTypesAndCollectionsRoundTrip() throws Exception {
        // Each as a value of its own and inside Clojure data (which takes it the Java way). Some
        // check an array of their own when read (HashMap's of Map.Entry): the reader's filter
        // must let what the writer's let through.
        java.util.List<Object> values = java.util.List.of(
            new java.util.ArrayList<>(java.util.List.of(1, "a")), new java.util.LinkedList<>(java.util.List.of(1)),
            new java.util.ArrayDeque<>(java.util.List.of(1, 2)), new java.util.Vector<>(java.util.List.of(1)),
            new java.util.HashMap<>(java.util.Map.of("k", 1, "l", 2)), new java.util.LinkedHashMap<>(java.util.Map.of("k", 1)),
            new java.util.TreeMap<>(java.util.Map.of("k", 1)), new java.util.Hashtable<>(java.util.Map.of("k", 1)),
            new java.util.HashSet<>(java.util.Set.of(1, 2)), new java.util.LinkedHashSet<>(java.util.Set.of(1)),
            new java.util.TreeSet<>(java.util.Set.of(1, 2)), java.util.Arrays.asList(1, 2),
            new java.util.concurrent.ConcurrentHashMap<>(java.util.Map.of("k", 1)),
            java.util.List.of(1, 2), java.util.Map.of("k", 1), java.util.Set.of(1),
            java.util.Collections.unmodifiableMap(new java.util.HashMap<>(java.util.Map.of("k", 1))),
            java.util.Collections.singletonList(1), java.util.Collections.emptyMap(),
            java.util.UUID.randomUUID(), new java.util.Date(0), java.util.Locale.FRANCE, java.net.URI.create("http://x/y"),
            java.time.Instant.ofEpochSecond(1), java.time.LocalDate.of(2026, 12, 4), java.time.Duration.ofSeconds(3),
            java.time.ZonedDateTime.of(2026, 12, 4, 10, 0, 0, 0, java.time.ZoneId.of("Europe/Paris")),
            new java.math.BigDecimal("1.50"), java.math.BigInteger.TEN, java.util.concurrent.TimeUnit.SECONDS,
            // Paths, which configuration holds: a Path is not Serializable, and travels as its string.
            new java.io.File("data/in.csv"), java.nio.file.Path.of("/var/data", "out"));
        for (Object v : values) {
            Object back = roundTrip(v);
            assertEquals(v.getClass(), back.getClass(), v.getClass().getName());
            assertEquals(comparable(v), comparable(back), v.getClass().getName());
            Object inData = ((java.util.List<?>) roundTrip(clojure.lang.RT.vector(v))).get(0);
            assertEquals(comparable(v), comparable(inData), v.getClass().getName());
        }
    }

    @Test
    void clojuresExceptionsTravelAsTheirDataAndOtherExceptionsAreRefusedByTheirType() throws Exception {
        clojure.lang.IFn eval = Clojure.var("clojure.core", "eval");
        Object e = eval.invoke(read("(ex-info \"outer\" {:k [1 2]} (ex-info \"inner\" {:n 1}))"));
        Throwable back = (Throwable) roundTrip(e);
        assertEquals(clojure.lang.ExceptionInfo.class, back.getClass());
        assertEquals("outer", back.getMessage());
        assertEquals(read("{:k [1 2]}"), ((clojure.lang.ExceptionInfo) back).getData());
        assertEquals("inner", back.getCause().getMessage());
        assertEquals(read("{:n 1}"), ((clojure.lang.ExceptionInfo) back.getCause()).getData());
        assertEquals(java.util.Arrays.asList(((Throwable) e).getStackTrace()), java.util.Arrays.asList(back.getStackTrace()));
        // What *e holds after (/ 1 0): a CompilerException around the JDK's exception.
        Throwable compiling = new clojure.lang.Compiler.CompilerException("NO_SOURCE_FILE", 1, 8, null,
            clojure.lang.Compiler.CompilerException.PHASE_EXECUTION, new ArithmeticException("Divide by zero"));
        Throwable compilingBack = (Throwable) roundTrip(compiling);
        assertEquals(compiling.getMessage(), compilingBack.getMessage());
        assertEquals(ArithmeticException.class, compilingBack.getCause().getClass());
        assertEquals("Divide by zero", compilingBack.getCause().getMessage());
        Object io = roundTrip(clojure.lang.RT.vector(new java.io.FileNotFoundException("disk")));
        assertEquals("disk", ((Throwable) ((java.util.List<?>) io).get(0)).getMessage());
        // Other exceptions are refused, named by their type; this one is a known deserialization gadget.
        assertEquals("javax.management.BadAttributeValueExpException", assertThrows(UnshareableValueException.class,
            () -> ValueWriter.write(clojure.lang.RT.vector(new javax.management.BadAttributeValueExpException("v")),
                                    UNITS)).type());
    }

    @Test
    void aMemoizedFnTravelsAsItsFnMemoizedAgainWithACacheOfItsOwn() throws Exception {
        clojure.lang.IFn memo = (clojure.lang.IFn) Clojure.var("clojure.core", "memoize").invoke(new Square());
        long calls = Square.CALLS.get();
        assertEquals(9L, memo.invoke(3L));
        clojure.lang.IFn back = (clojure.lang.IFn) roundTrip(memo);
        assertNotEquals(memo, back);
        assertTrue(back.getClass().getName().startsWith("clojure.core$memoize$fn__"), back.getClass().getName());
        // A cache of its own, empty: the fn runs for 3 again, once, then the cache answers.
        assertEquals(9L, back.invoke(3L));
        assertEquals(9L, back.invoke(3L));
        assertEquals(calls + 2, Square.CALLS.get());
    }

    /** A compiled fn (as an AOT one is) that counts its calls. */
    static final class Square extends clojure.lang.AFunction {
        static final java.util.concurrent.atomic.AtomicLong CALLS = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public Object invoke(Object x) {
            CALLS.incrementAndGet();
            return (Long) x * (Long) x;
        }
    }

    /** An ArrayDeque compares by identity: its elements, in order, instead. */
    private static Object comparable(Object v) {
        return v instanceof java.util.ArrayDeque<?> d ? new java.util.ArrayList<>(d) : v;
    }

    @Test
    void aNonSerializableObjectIsNamedByItsType() {
        Object v = read("{:deep [1 2]}");
        Object withThread = clojure.lang.RT.assoc(v, clojure.lang.Keyword.intern("t"), new Thread());
        UnshareableValueException e = assertThrows(UnshareableValueException.class,
                                                   () -> ValueWriter.write(withThread, UNITS));
        assertEquals("java.lang.Thread", e.type());
    }

    /**
     * A spec travels as its fields, with the delays spec keeps its parts in: as they were,
     * realized or not, or realized with the exception their fn threw. No other delay travels.
     */
    @Test
    void aSpecTravelsWithItsDelaysAsTheyWere() throws Exception {
        clojure.lang.IFn eval = Clojure.var("clojure.core", "eval");
        Clojure.var("clojure.core", "require").invoke(Clojure.read("clojure.spec.alpha"));
        clojure.lang.IFn valid = Clojure.var("clojure.spec.alpha", "valid?");
        Object notUsed = eval.invoke(read("(clojure.spec.alpha/and int? even?)"));
        Object used = eval.invoke(read("(clojure.spec.alpha/or :n (clojure.spec.alpha/and int? pos?) :s string?)"));
        assertEquals(true, valid.invoke(used, 3));
        for (Object spec : new Object[] {notUsed, used}) {
            Object copy = roundTrip(spec);
            assertNotEquals(spec, copy);
            assertEquals(java.util.List.of(true, false, false),
                         java.util.List.of(valid.invoke(copy, 2), valid.invoke(copy, -3), valid.invoke(copy, read(":x"))));
        }
        Object broken = eval.invoke(read("(clojure.spec.alpha/and :entangle.values-test/not-defined)"));
        Exception thrown = assertThrows(Exception.class, () -> valid.invoke(broken, 1));
        Object brokenCopy = roundTrip(broken);
        Exception again = assertThrows(Exception.class, () -> valid.invoke(brokenCopy, 1));
        assertEquals(thrown.getMessage(), again.getMessage());
        UnshareableValueException e = assertThrows(UnshareableValueException.class,
                                                   () -> ValueWriter.write(eval.invoke(read("(delay 1)")), UNITS));
        assertEquals("clojure.lang.Delay", e.type());
    }

    @Test
    void aSerializableTypeThatValuesMayNotContainIsRefusedWhenWritten() throws Exception {
        // A URL's hashCode resolves its host: a known deserialization gadget (a URI travels).
        java.net.URL url = java.net.URI.create("http://example.com/").toURL();
        UnshareableValueException e = assertThrows(UnshareableValueException.class, () -> ValueWriter.write(url, UNITS));
        assertEquals("java.net.URL", e.type());
        assertEquals("a URL resolves its host as it is read; hold a java.net.URI instead", e.why());
        UnshareableValueException jdk = assertThrows(UnshareableValueException.class,
                                                     () -> ValueWriter.write(new StringBuilder("x"), UNITS));
        assertEquals("a JDK class that is not among the value types a shared value may hold, and"
            + " -Dentangle.shareable.classes does not name", jdk.why());
        UnshareableValueException array = assertThrows(UnshareableValueException.class,
                                                       () -> ValueWriter.write(new byte[100_000][1], UNITS, 1 << 16));
        assertEquals("byte[][]", array.type());
    }

    @Test
    void aStreamWrittenByAnotherProgramIsFilteredWhenRead() throws IOException {
        // What a tamperer could write: a well-formed stream holding a type values may not contain.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes) {
            @Override
            protected void annotateClass(Class<?> c) throws IOException {
                writeByte(ValueWriter.BY_NAME);
            }
        }) {
            out.writeObject(new java.util.HashMap<>(java.util.Map.of(java.net.URI.create("http://example.com/").toURL(), 1)));
        }
        RefusedException e = assertThrows(RefusedException.class, () -> ValueReader.read(bytes.toByteArray(), UNITS));
        assertEquals("it holds a java.net.URL, which a shared value may not contain (a URL resolves its host as it"
            + " is read; hold a java.net.URI instead)", e.getMessage());
    }

    @Test
    void bytesThatAreNotAValueAreRefused() {
        RefusedException e = assertThrows(RefusedException.class, () -> ValueReader.read(new byte[] {1, 2, 3}, UNITS));
        assertTrue(e.getMessage().startsWith("its bytes are not a value this member can read"), e.getMessage());
    }

    @Test
    void plainDataKeepsItsClassesAndMeta() throws Exception {
        clojure.lang.IFn eval = Clojure.var("clojure.core", "eval");
        clojure.lang.IFn meta = Clojure.var("clojure.core", "meta");
        for (String s : new String[] {
            "{:a [1 2 3] :b #{\"x\" :y} :c '(1 2) :d 1.5M :e 1/3 :f nil :g \\c :h 'a.b/c :i ##NaN :j -0.0 :k true}",
            "{:line (int 7) :n (array-map :k0 0 :k1 1 :k2 2 :k3 3 :k4 4 :k5 5 :k6 6 :k7 7 :k8 8 :k9 9)}",
            "{:small (hash-map :a 1) :big 123456789012345678901234567890N :s \"\u00e9\u4e2d\"}",
            "[(with-meta [1] {:m ^:x 'sym}) (with-meta '() {:e 1}) (with-meta {} {:f 2}) #{} :ns/kw]"}) {
            Object v = eval.invoke(code(s));
            byte[] bytes = ValueWriter.write(v, UNITS).bytes();
            assertEquals(PlainData.DATA, bytes[0], s);
            Object back = ValueReader.read(bytes, UNITS);
            assertEquals(Clojure.var("clojure.core", "pr-str").invoke(v), Clojure.var("clojure.core", "pr-str").invoke(back), s);
            assertEquals(classes(v), classes(back), s);
            assertEquals(meta.invoke(Clojure.var("clojure.core", "first").invoke(v)),
                         meta.invoke(Clojure.var("clojure.core", "first").invoke(back)), s);
        }
    }

    /** Forms, as the REPL reads them (Clojure.read is EDN). */
    private static Object code(String s) {
        return Clojure.var("clojure.core", "read-string").invoke(s);
    }

    /** The classes of a value and of everything in it, in order. */
    private static Object classes(Object v) {
        clojure.lang.IFn f = (clojure.lang.IFn) Clojure.var("clojure.core", "eval")
            .invoke(code("(fn [v] (mapv #(some-> % class .getName) (tree-seq coll? seq v)))"));
        return f.invoke(v);
    }

    @Test
    void varMetaIsPlainDataWithItsArglistsAsAList() throws Exception {
        clojure.lang.IFn eval = Clojure.var("clojure.core", "eval");
        Object m = eval.invoke(code("(do (defn plain-data-meta-probe \"Doc.\" ([x] x) ([x y] y))"
            + " (dissoc (meta #'plain-data-meta-probe) :ns :name))"));
        assertEquals(null, PlainData.write(eval.invoke(code("{:s (seq [1 2])}"))), "a seq in a value is not plain data");
        byte[] bytes = ValueWriter.writeMeta((clojure.lang.IPersistentMap) m, UNITS).bytes();
        assertEquals(PlainData.DATA, bytes[0]);
        clojure.lang.IPersistentMap back = ValueReader.readMeta(bytes, UNITS);
        assertEquals(m, back);
        assertEquals(Integer.class, back.valAt(read(":line")).getClass());
        assertEquals(read("([x] [x y])"), back.valAt(read(":arglists")));
    }

    @Test
    void cutOrMalformedPlainDataIsRefused() throws Exception {
        byte[] good = ValueWriter.write(read("{:a [1 2 \"three\"]}"), UNITS).bytes();
        for (int n = 1; n < good.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(good, n);
            RefusedException e = assertThrows(RefusedException.class, () -> ValueReader.read(cut, UNITS), "cut at " + n);
            assertTrue(e.getMessage().startsWith("its bytes are not a value this member can read"), e.getMessage());
        }
        byte[] huge = good.clone();
        huge[3] = 0x7f; // the map's count: far more entries than there are bytes
        assertThrows(RefusedException.class, () -> ValueReader.read(huge, UNITS));
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        assertThrows(RefusedException.class, () -> ValueReader.read(trailing, UNITS));
    }

    @Test
    void anAotFnTravelsByNameWithoutJavaSerialization() throws Exception {
        Object inc = ((clojure.lang.IDeref) Clojure.var("clojure.core", "inc")).deref();
        byte[] bytes = ValueWriter.write(inc, UNITS).bytes();
        assertEquals(FnValue.DIRECT, bytes[0]);
        Object back = ValueReader.read(bytes, UNITS);
        assertEquals(inc.getClass(), back.getClass());
        assertEquals(42L, ((clojure.lang.IFn) back).invoke(41L));
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 1);
        assertThrows(RefusedException.class, () -> ValueReader.read(cut, UNITS));
    }

    /** A value that cannot travel is named with its article: "holds a entangle.remote.RemoteFuture" read wrong. */
    @Test
    void aTypeThatCannotTravelIsNamedWithItsArticle() {
        assertEquals("a java.net.Socket", UnshareableValueException.withArticle("java.net.Socket"));
        assertEquals("an entangle.remote.RemoteFuture", UnshareableValueException.withArticle("entangle.remote.RemoteFuture"));
        assertEquals("an org.h2.jdbc.JdbcConnection", UnshareableValueException.withArticle("org.h2.jdbc.JdbcConnection"));
        assertEquals("a user.Conn", UnshareableValueException.withArticle("user.Conn"));
        assertTrue(entangle.sharing.Unshared.warning("#'user/f", "entangle.remote.RemoteFuture")
                       .startsWith("#'user/f holds an entangle.remote.RemoteFuture, which cannot be shared"));
    }
}
