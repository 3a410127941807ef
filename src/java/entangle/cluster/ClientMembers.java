package entangle.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;

import com.hazelcast.collection.IQueue;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.topic.ITopic;

import entangle.sharing.Batch;
import entangle.sharing.SharedVars;

/**
 * The members connected as Hazelcast clients, and how the others reach them. A client holds
 * none of the cluster's data and cannot be sent an executor task, so the hand-off that lets an
 * evaluation return only once every member has its definitions goes to clients through a topic,
 * and each client acknowledges on the writer's own queue. Clients list themselves in a map
 * whose entries expire unless renewed, so a client that dies stops being waited for within
 * {@link #LEASE_MS}.
 */
final class ClientMembers implements AutoCloseable {
    /** The map in which each client member lists itself: id to address. */
    static final String REGISTRY = "entangle.clients";
    /** The topic that hands records to client members. */
    static final String TOPIC = "entangle.handoff";
    private static final String ACKS = "entangle.acks.";
    static final long LEASE_MS = 6_000;
    /** How often a client renews its listing. */
    static final long RENEW_EVERY_MS = LEASE_MS / 3;

    private final HazelcastInstance hazelcast;
    private final String selfId;
    private final UnconfirmedRecords unconfirmed;
    private final IMap<String, String> registry;
    private final ITopic<byte[]> topic;
    private final AtomicLong handOffs = new AtomicLong();
    /**
     * The listing as this member last heard of it, kept by entry events: reading the map itself
     * would be a query of every partition at every hand-off. A client that has just listed
     * itself gets its first hand-offs from the entry events it subscribed to before its sync.
     */
    private final Map<String, String> known = new ConcurrentHashMap<>();
    /** When this member last heard each client list itself or renew its listing (System.nanoTime). */
    private final Map<String, Long> lastHeard = new ConcurrentHashMap<>();
    /** The clients each hand-off in progress still waits for (see {@link #disconnected}). */
    private final Set<Set<String>> waits = ConcurrentHashMap.newKeySet();
    private volatile boolean watching;
    /** Of a client member: what it lists itself as while its connection is up, or null. */
    private volatile String listed;
    private com.hazelcast.topic.MessageListener<byte[]> receiver;
    private volatile IQueue<String> acks;
    private ScheduledExecutorService renewer;
    private ExecutorService applier;
    private volatile UUID subscription;
    private final HandOffsInHand inHand;

    ClientMembers(HazelcastInstance hazelcast, String selfId, UnconfirmedRecords unconfirmed, HandOffsInHand inHand) {
        this.hazelcast = hazelcast;
        this.selfId = selfId;
        this.unconfirmed = unconfirmed;
        this.inHand = inHand;
        this.registry = hazelcast.getMap(REGISTRY);
        this.topic = hazelcast.getTopic(TOPIC);
    }

    /**
     * As a client member: receives hand-offs for {@code shared} from now on, then lists this
     * client (so that no writer waits for it before it can answer) and keeps the listing alive.
     */
    void join(SharedVars shared, String address) {
        applier = Executors.newSingleThreadExecutor(daemon("entangle-client-handoff"));
        receiver = m -> {
            byte[] message = m.getMessageObject();
            applier.execute(() -> receive(shared, message));
        };
        subscription = topic.addMessageListener(receiver);
        registry.set(selfId, address, LEASE_MS, TimeUnit.MILLISECONDS);
        listed = address;
        renewer = Executors.newSingleThreadScheduledExecutor(daemon("entangle-client-lease"));
        renewer.scheduleAtFixedRate(() -> {
            String listing = listed;
            if (listing == null) return; // the connection is down, or not yet listening again
            try {
                registry.set(selfId, listing, LEASE_MS, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                HazelcastLogging.entangle().log(Level.FINE, "renewing this client's listing failed", e);
            }
        }, RENEW_EVERY_MS, RENEW_EVERY_MS, TimeUnit.MILLISECONDS);
    }

    /** As a client member whose connection to the cluster is down: stops renewing its listing. */
    void connectionLost() {
        if (subscription != null) listed = null;
    }

    /**
     * As a client member whose connection is back: listens for hand-offs again, then lists
     * itself again. Hazelcast registers the client's listeners with the servers again by itself,
     * but asynchronously, and a listing renewed before that made writers wait for hand-offs this
     * client never heard (15 s, once its only server was replaced); subscribing again here is
     * done when it returns. Returns at once for a client that is not a member (never joined).
     */
    void connectionBack(String address) {
        if (subscription == null) return;
        try {
            topic.removeMessageListener(subscription);
            subscription = topic.addMessageListener(receiver);
            registry.set(selfId, address, LEASE_MS, TimeUnit.MILLISECONDS);
        } finally {
            listed = address; // if this failed, the renewals try again
        }
    }

    private void receive(SharedVars shared, byte[] message) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(message))) {
            String writer = in.readUTF();
            long seq = in.readLong();
            Batch records = Batch.readFrom(in);
            if (writer.equals(selfId)) return;
            unconfirmed.handedOff(writer, records);
            inHand.apply(records, () -> shared.apply(records, false));
            hazelcast.<String>getQueue(ACKS + writer).offer(seq + "|" + selfId);
        } catch (IOException | RuntimeException e) {
            HazelcastLogging.entangle().log(Level.WARNING, "a hand-off could not be applied; the entry events bring it", e);
        }
    }

    /** Starts keeping the listing this member hands off to up to date; idempotent. */
    void watch() {
        if (watching) return;
        synchronized (this) {
            if (watching) return;
            registry.addEntryListener(new Listing(), true);
            known.putAll(registry);
            long now = System.nanoTime(); // listed, so heard from within its lease: given the benefit of the doubt
            for (String id : known.keySet()) lastHeard.putIfAbsent(id, now);
            if (!(hazelcast instanceof com.hazelcast.client.impl.clientside.HazelcastClientProxy)) {
                hazelcast.getClientService().addClientListener(new com.hazelcast.client.ClientListener() {
                    @Override public void clientConnected(com.hazelcast.client.Client c) {}
                    @Override public void clientDisconnected(com.hazelcast.client.Client c) { disconnected(c.getUuid().toString()); }
                });
            }
            watching = true;
        }
    }

    /**
     * A client whose connection to this member closed (its JVM killed, or ended) is unlisted at
     * once, rather than when its lease runs out, so that no writer waits for it: a client
     * connects to every member, so the writer hears of it whichever member it reached first. One
     * that only lost this connection lists itself again at its next renewal; what it missed
     * meanwhile, the entry events bring it.
     */
    private void disconnected(String client) {
        if (!hazelcast.getLifecycleService().isRunning()) return; // this member is leaving, not its clients
        forget(client);
        registry.removeAsync(client);
    }

    /** Hands off to {@code client} no more, and stops waiting for it in the hand-offs in progress. */
    private void forget(String client) {
        known.remove(client);
        lastHeard.remove(client);
        boolean waited = false;
        for (Set<String> waiting : waits) waited |= waiting.remove(client);
        // Wakes the waiter, which may have no one left to wait for: no hand-off has number 0.
        if (waited) acks().offer("0|" + client);
    }

    private final class Listing implements com.hazelcast.map.listener.EntryAddedListener<String, String>,
                                           com.hazelcast.map.listener.EntryUpdatedListener<String, String>,
                                           com.hazelcast.map.listener.EntryRemovedListener<String, String>,
                                           com.hazelcast.map.listener.EntryExpiredListener<String, String>,
                                           com.hazelcast.map.listener.EntryEvictedListener<String, String> {
        @Override public void entryAdded(com.hazelcast.core.EntryEvent<String, String> e) { heard(e.getKey(), e.getValue()); }
        @Override public void entryUpdated(com.hazelcast.core.EntryEvent<String, String> e) { heard(e.getKey(), e.getValue()); }
        @Override public void entryRemoved(com.hazelcast.core.EntryEvent<String, String> e) { left(e.getKey()); }
        @Override public void entryExpired(com.hazelcast.core.EntryEvent<String, String> e) { left(e.getKey()); }
        @Override public void entryEvicted(com.hazelcast.core.EntryEvent<String, String> e) { left(e.getKey()); }

        private void heard(String client, String address) {
            lastHeard.put(client, System.nanoTime());
            known.put(client, address);
        }

        private void left(String client) {
            forget(client);
            unconfirmed.writerLeft(client);
        }
    }

    /** How long since this member last heard client {@code id} renew its listing, in milliseconds; -1 if it never did. */
    private long silentMs(String id) {
        Long at = lastHeard.get(id);
        return at == null ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - at);
    }

    /** True if the client member {@code id} is listed, as this member last heard. */
    boolean listed(String id) {
        watch();
        return known.containsKey(id);
    }

    /** The client members, id to address, as this member last heard them listed. */
    Map<String, String> listed() {
        // As the listing's events left it here: reading the listing itself waits for the member
        // that owns its partition, stopped or not.
        watch();
        return new LinkedHashMap<>(known);
    }

    /**
     * Hands {@code records} to every client member but this one and waits until each has
     * applied them, has left, or {@code timeoutMs} has passed. Returns the clients it handed
     * them to.
     */
    Set<String> handOff(Batch records, long timeoutMs, AwaitedMembers awaited) {
        return handOffExcept(records, Set.of(), timeoutMs, awaited);
    }

    /** As {@link #handOff}, to the client members not in {@code excluded} only. */
    Set<String> handOffExcept(Batch records, Set<String> excluded, long timeoutMs, AwaitedMembers awaited) {
        watch();
        Set<String> to = new HashSet<>(known.keySet());
        to.remove(selfId);
        to.removeAll(excluded);
        if (!to.isEmpty()) handOffTo(to, records, timeoutMs, awaited);
        return to;
    }

    private void handOffTo(Set<String> clients, Batch records, long timeoutMs, AwaitedMembers awaited) {
        Set<String> waiting = ConcurrentHashMap.newKeySet();
        waiting.addAll(clients);
        for (String id : clients) awaited.client(known.getOrDefault(id, id), id, waiting, () -> silentMs(id));
        long seq = handOffs.incrementAndGet();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(selfId);
            out.writeLong(seq);
            records.writeTo(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        IQueue<String> queue = acks();
        waits.add(waiting);
        topic.publish(bytes.toByteArray());
        try {
            waitFor(waiting, queue, seq, timeoutMs);
        } finally {
            waits.remove(waiting);
        }
    }

    /** Waits until every client in {@code waiting} has acknowledged hand-off {@code seq}, has left, or the time is up. */
    private void waitFor(Set<String> waiting, IQueue<String> queue, long seq, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try {
            while (!waiting.isEmpty() && !Thread.currentThread().isInterrupted()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    HazelcastLogging.entangle().warning("client members " + waiting + " did not acknowledge a hand-off within "
                        + timeoutMs + " ms");
                    return;
                }
                String ack = queue.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
                if (ack == null) {
                    // A client that died stops renewing its listing: stop waiting for it.
                    waiting.retainAll(registry.getAll(waiting).keySet());
                    continue;
                }
                int bar = ack.indexOf('|');
                // Acknowledgements of an earlier hand-off that timed out are stale.
                if (bar > 0 && ack.substring(0, bar).equals(Long.toString(seq))) waiting.remove(ack.substring(bar + 1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private IQueue<String> acks() {
        IQueue<String> q = acks;
        if (q == null) {
            q = hazelcast.getQueue(ACKS + selfId);
            acks = q;
        }
        return q;
    }

    /** Stops listing this client and receiving hand-offs, and drops this writer's queue. */
    @Override
    public void close() {
        if (renewer != null) renewer.shutdownNow();
        try {
            if (subscription != null) topic.removeMessageListener(subscription);
            if (renewer != null) registry.delete(selfId);
            if (acks != null) acks.destroy();
        } catch (RuntimeException e) {
            // leaving anyway: the listing expires by itself
        }
        if (applier != null) applier.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
