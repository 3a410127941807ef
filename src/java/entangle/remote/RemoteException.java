package entangle.remote;

import java.util.List;

import clojure.lang.IExceptionInfo;
import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.PersistentArrayMap;

/**
 * A fn sent to another member threw there (or could not run there). The message names the
 * member and the exception. The remote exception itself, as far as it can be rebuilt here (its
 * class name, message and stack trace, and its causes in turn), is {@link #remote()}, attached
 * as a suppressed exception so that a stack trace prints it and the REPL still reports this
 * one as the root cause. For Clojure, {@code ex-data} is
 * {@code {:member "host:port", :class "…", :data (the remote ex-data)}}.
 */
public final class RemoteException extends RuntimeException implements IExceptionInfo {
    private final String member;
    private final String remoteClass;
    private final Remote remote;
    private final IPersistentMap data;

    RemoteException(String member, List<Outcome.Thrown> chain, Object remoteData) {
        super("member " + member + " threw " + chain.get(0).className()
                  + (chain.get(0).message() == null ? "" : ": " + chain.get(0).message()));
        this.remote = Remote.of(chain, 0);
        addSuppressed(remote);
        this.member = member;
        this.remoteClass = chain.get(0).className();
        this.data = PersistentArrayMap.EMPTY
            .assoc(Keyword.intern("member"), member)
            .assoc(Keyword.intern("class"), remoteClass)
            .assoc(Keyword.intern("data"), remoteData);
    }

    /** The address (host:port) of the member where the fn ran. */
    public String member() { return member; }

    /** The exception the fn threw on its member, with that member's stack trace. */
    public Remote remote() { return remote; }

    /** The class name of the exception the fn threw there. */
    public String remoteClass() { return remoteClass; }

    @Override
    public IPersistentMap getData() { return data; }

    /**
     * An exception that happened on another member, rebuilt here from its class name, message
     * and stack trace (its class may not exist on this member).
     */
    public static final class Remote extends RuntimeException {
        private final String className;

        private Remote(Outcome.Thrown t, Remote cause) {
            super(t.message(), cause, false, true);
            this.className = t.className();
            setStackTrace(t.trace());
        }

        static Remote of(List<Outcome.Thrown> chain, int from) {
            return from >= chain.size() ? null : new Remote(chain.get(from), of(chain, from + 1));
        }

        /** The class name of the remote exception. */
        public String className() { return className; }

        @Override
        public String toString() {
            return getMessage() == null ? className : className + ": " + getMessage();
        }
    }
}
