package entangle.cluster;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import clojure.lang.Symbol;

/**
 * Code to evaluate on one member, sent by another: evaluated there as that member's REPL would
 * (definitions it makes are shared), with its output captured. Returns the printed value and
 * output, or the error ("value", "out", "err", "ex", "ns").
 */
public final class RemoteEval implements Callable<HashMap<String, String>>, IdentifiedDataSerializable {
    private String code;
    private String ns;

    public RemoteEval() {}

    RemoteEval(String code, String ns) {
        this.code = code;
        this.ns = ns;
    }

    @Override
    public HashMap<String, String> call() {
        IFn evalString = (IFn) Clojure.var("clojure.core", "requiring-resolve").invoke(Symbol.intern("entangle.core", "eval-string"));
        HashMap<String, String> out = new HashMap<>();
        for (Object o : (Iterable<?>) evalString.invoke(code, ns)) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            out.put(((clojure.lang.Named) e.getKey()).getName(), String.valueOf(e.getValue()));
        }
        return out;
    }

    @Override
    public int getFactoryId() { return EntangleSerialization.FACTORY_ID; }

    @Override
    public int getClassId() { return EntangleSerialization.REMOTE_EVAL; }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeString(code);
        out.writeString(ns);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        code = in.readString();
        ns = in.readString();
    }
}
