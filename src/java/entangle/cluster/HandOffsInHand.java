package entangle.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import entangle.sharing.Batch;

/**
 * The keys of the hand-offs this member is applying. The entry events' backstop leaves a
 * record whose key is among them to the hand-off: a large one (a file of thousands of
 * definitions) takes seconds to apply, longer than the backstop's grace period, and the
 * backstop would otherwise apply the records it had not reached yet a second time, one at a
 * time, each in a loader of its own where the hand-off gives siblings one.
 */
final class HandOffsInHand {
    private final ConcurrentHashMap<String, Integer> keys = new ConcurrentHashMap<>();

    /** Runs {@code apply}, the application of {@code records}, with their keys in hand. */
    void apply(Batch records, Runnable apply) {
        List<String> ids = new ArrayList<>(records.size());
        records.forEach((map, key, record) -> ids.add(id(map, key)));
        for (String id : ids) keys.merge(id, 1, Integer::sum);
        try {
            apply.run();
        } finally {
            for (String id : ids) keys.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** True while a hand-off being applied here holds {@code key} of {@code map}. */
    boolean holds(String map, String key) {
        return keys.containsKey(id(map, key));
    }

    private static String id(String map, String key) {
        return map + '\u0000' + key;
    }
}
