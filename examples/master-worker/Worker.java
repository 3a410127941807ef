import java.util.Map;

import com.hazelcast.collection.IQueue;

import clojure.lang.IFn;
import clojure.lang.Keyword;
import clojure.lang.RT;
import entangle.Entangle;

/**
 * A worker of the master/worker example: takes jobs from the Hazelcast queue "example.work",
 * runs them, and offers what each returned (or threw) to the queue "example.results".
 *
 * <p>A job is a map {:id id :run f}, serialized by entangle (entangle.remote/serialize), whose
 * fn was written at a REPL, maybe long after this worker started: its classes come from the
 * cluster, its captured values with it, and the vars it calls are the cluster's.
 *
 * <pre>
 * java -Djdk.attach.allowAttachSelf=true -XX:+EnableDynamicAgentLoading -cp "$(clojure -Spath)" examples/master-worker/Worker.java
 * </pre>
 *
 * The worker joins the cluster as the ENTANGLE_* environment variables say.
 */
public class Worker {
    private static final Keyword ID = Keyword.intern("id");
    private static final Keyword RUN = Keyword.intern("run");

    public static void main(String[] args) throws InterruptedException {
        Entangle cluster = Entangle.join();
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
        IQueue<byte[]> work = cluster.hazelcast().getQueue("example.work");
        IQueue<byte[]> results = cluster.hazelcast().getQueue("example.results");
        System.out.println("worker " + cluster.address() + " is waiting for work");
        while (true) {
            byte[] bytes = work.take();
            Object id = null;
            Object value = null;
            String error = null;
            try {
                Map<?, ?> job = (Map<?, ?>) cluster.deserialize(bytes);
                id = job.get(ID);
                value = ((IFn) job.get(RUN)).invoke();
            } catch (RuntimeException e) {
                error = e.toString();
            }
            results.offer(cluster.serialize(RT.map(ID, id, Keyword.intern("worker"), cluster.address(),
                                                   Keyword.intern("value"), value, Keyword.intern("error"), error)));
        }
    }
}
