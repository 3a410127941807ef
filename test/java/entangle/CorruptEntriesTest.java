package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import entangle.sharing.SharedVars;
import entangle.sharing.VarRecord;
import entangle.testing.ReplProcess.Result;
import entangle.testing.ReplProcess;
import entangle.testing.TwoMembers;
import entangle.unit.UnitStore;

/**
 * Bytes written straight into the cluster's maps, by a Hazelcast client that is not an
 * entangle member: corrupted units, tampered var records, garbage. Each is refused with a
 * message naming it, nothing is defined from it, and every member keeps working.
 */
class CorruptEntriesTest extends TwoMembers {
    private HazelcastInstance outsider;
    private IMap<String, byte[]> vars;
    private IMap<String, byte[]> units;

    @BeforeAll
    void start() {
        ClientConfig config = new ClientConfig();
        config.setClusterName(cluster.name());
        config.getNetworkConfig().addAddress("127.0.0.1:" + cluster.port());
        config.setProperty("hazelcast.logging.type", "none");
        outsider = HazelcastClient.newHazelcastClient(config);
        vars = outsider.getMap(VarRecord.MAP);
        units = outsider.getMap(UnitStore.MAP);
    }

    @AfterAll
    void stop() {
        if (outsider != null) outsider.shutdown();
    }

    private static byte[] flipped(byte[] bytes, int at) {
        byte[] out = bytes.clone();
        out[at] ^= 0x5a;
        return out;
    }

    @Test
    void aCorruptedUnitIsRefusedByAJoiningMemberAndNothingIsDefinedFromIt() throws Exception {
        a.eval("(defn victim [] :intact)");
        a.eval("(def healthy 7)");
        VarRecord record = VarRecord.decode("user/victim", vars.get("user/victim"));
        assertFalse(record.units().isEmpty());
        String unit = record.units().get(0);
        // A var record carries its units: corrupt the first, and seal the record again as one
        // who knows the format would, so that only the unit's own hash can tell.
        List<byte[]> bytes = new ArrayList<>(record.unitBytes());
        bytes.set(0, flipped(bytes.get(0), bytes.get(0).length / 2));
        vars.put("user/victim", new VarRecord(record.kind(), record.ns(), record.name(), record.version(), record.origin(),
            record.dynamic(), record.meta(), record.value(), record.units(), bytes, record.unshareableType(),
            record.source()).encode());

        ReplProcess c = cluster.start("c");
        String refusals = c.allErr();
        assertTrue(refusals.contains("entangle: #'user/victim from member ") && refusals.contains(
            "was refused: unit " + unit.substring(0, 12) + " was refused: its bytes do not match their SHA-256"
            + " (corrupted or tampered); nothing was defined from it."), refusals);
        assertEquals("nil", c.eval("(resolve 'victim)").value());
        assertEquals("7", c.eval("healthy").value());
        assertEquals("3", c.eval("(+ 1 2)").value());
        // The members that had it keep running it.
        assertEquals(":intact", a.eval("(victim)").value());
        assertEquals(":intact", b.eval("(victim)").value());
        c.close();
    }

    @Test
    void aCorruptedUnitInTheClassStoreIsRefusedWhereItIsRead() {
        a.eval("(require 'entangle.remote)");
        a.eval("(def ^:entangle/local job (let [n 5] (fn [] (* n 2))))");
        java.util.Set<String> before = new java.util.HashSet<>(units.keySet());
        a.eval("(count (entangle.remote/serialize job))"); // stores the fn's units
        java.util.Set<String> stored = new java.util.HashSet<>(units.keySet());
        stored.removeAll(before);
        assertFalse(stored.isEmpty());
        for (String h : stored) units.put(h, flipped(units.get(h), units.get(h).length / 2));

        String addressOfB = b.eval("(first (entangle.core/members))").value().replace("\"", "");
        Result r = a.eval("@(entangle.remote/submit-to-member \"" + addressOfB + "\" job)");
        assertTrue(r.err().contains("member " + addressOfB + " threw entangle.RefusedException: the fn was refused here: unit ")
            && r.err().contains("was refused: its bytes do not match their SHA-256 (corrupted or tampered)"), r.err());
        assertEquals("3", b.eval("(+ 1 2)").value());
    }

    @Test
    void aTamperedVarRecordIsRefusedLiveAndAtJoin() {
        // (Other tests' refusals may arrive on stderr at any time: values are read from stdout.)
        a.eval("(def balance 100)");
        assertEquals("100", b.eval("balance").value());
        byte[] good = vars.get("user/balance");
        // Changes a byte of the serialized value, without making the checksum match.
        vars.put("user/balance", flipped(good, good.length - 40));

        String expected = "entangle: #'user/balance was refused: its record does not match its checksum"
            + " (corrupted or tampered); nothing was defined from it.";
        assertTrue(awaitErr(b, expected), b.allErr());
        assertTrue(awaitErr(a, expected), a.allErr());
        assertEquals("100", b.eval("balance").value());
        assertEquals("100", a.eval("balance").value());

        ReplProcess c = cluster.start("c2");
        assertTrue(c.allErr().contains(expected), c.allErr());
        assertEquals("nil", c.eval("(resolve 'balance)").value());
        c.close();
        // A member that defines it again heals the entry.
        a.eval("(def balance 101)");
        assertEquals("101", b.eval("balance").value());
    }

    @Test
    void garbageUnderAVarKeyIsRefused() {
        vars.put("user/garbage", "not a record".getBytes());
        assertTrue(awaitErr(a, "entangle: #'user/garbage was refused: its record is truncated;"
            + " nothing was defined from it."), a.allErr());
        vars.put("user/garbage-2", "not a record at all, only some bytes long enough to have a header".getBytes());
        assertTrue(awaitErr(a, "entangle: #'user/garbage-2 was refused: its record is not in a format this member"
            + " reads; nothing was defined from it."), a.allErr());
        Result r = a.eval("[(resolve 'garbage) (resolve 'garbage-2)]");
        assertEquals("[nil nil]", r.value());
        // A record whose checksum is right but that names another var is refused too.
        byte[] other = vars.get("user/healthy-2");
        if (other == null) {
            a.eval("(def healthy-2 2)");
            other = vars.get("user/healthy-2");
        }
        vars.put("user/impostor", other);
        assertTrue(awaitErr(b, "entangle: #'user/impostor was refused: its record is malformed (it names #'user/healthy-2);"
            + " nothing was defined from it."), b.allErr());
        assertEquals("nil", b.eval("(resolve 'impostor)").value());
    }

    @Test
    void aJoinerOfThousandsOfDefinitionsGetsEveryIntactOneAndRefusesEachCorruptOne() {
        // More var records than a sync applies at once: it checks and applies them in chunks.
        int n = 3 * SharedVars.VAR_CHUNK - 100;
        a.eval("(dotimes [i " + n + "] (eval (list 'defn (symbol (str \"bulk-\" i)) [] i)))");
        assertEquals(String.valueOf(n - 1), b.eval("(bulk-" + (n - 1) + ")").value());
        byte[] good = vars.get("user/bulk-17");
        vars.put("user/bulk-17", flipped(good, good.length - 40));
        vars.put("user/bulk-" + (n - 1), "not a record".getBytes());

        ReplProcess c = cluster.start("c-bulk");
        assertEquals("[" + (n - 2) + " nil nil]", c.eval("[(count (filter (fn [i] (when-let [v (resolve (symbol (str \"bulk-\" i)))]"
            + " (= i (v)))) (range " + n + "))) (resolve 'bulk-17) (resolve 'bulk-" + (n - 1) + ")]").value());
        String err = c.allErr();
        assertTrue(err.contains("entangle: #'user/bulk-17 was refused: its record does not match its checksum"
            + " (corrupted or tampered); nothing was defined from it."), err);
        assertTrue(err.contains("entangle: #'user/bulk-" + (n - 1) + " was refused: its record is truncated;"
            + " nothing was defined from it."), err);
        c.close();
    }

    @Test
    void membersDoNotJavaDeserializeClojuresClassesSentToThem() throws Exception {
        // clojure.core's fns are Serializable, and Callable: sent as an executor's task by any
        // Hazelcast client, one would run on the member; chains of such objects run code as
        // they are read, before any check of who sent them.
        java.util.concurrent.Callable<?> task = (java.util.concurrent.Callable<?>) Class.forName("clojure.core$rand")
            .getConstructor().newInstance();
        java.util.concurrent.Future<?> f = outsider.getExecutorService("entangle.run").submit(task);
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
            java.util.concurrent.ExecutionException.class, () -> f.get(30, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(String.valueOf(e.getCause()).contains("Resolving class clojure.core$rand is not allowed"), e.toString());
        assertEquals("3", a.eval("(+ 1 2)").value());
    }

    private static boolean awaitErr(ReplProcess p, String text) {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            if (p.allErr().contains(text)) return true;
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
