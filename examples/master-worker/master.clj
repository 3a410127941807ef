(ns example.master
  "The master of the master/worker example: queues jobs, closures written at the REPL, for
  workers that started before their code existed, and collects what the workers returned.
  Load it at a clustered REPL with (load-file \"examples/master-worker/master.clj\")."
  (:require [entangle.core :as entangle]
            [entangle.remote :as remote]))

(defn- queue
  "The Hazelcast queue `name` (looked up on each use: a queue's proxy cannot be shared)."
  [name]
  (.getQueue (entangle/hazelcast) name))

(defn submit!
  "Queues job `id`: a worker will call `f`, a fn of no arguments."
  [id f]
  (.offer (queue "example.work") (remote/serialize {:id id :run f})))

(defn results
  "Takes `n` results as workers send them, waiting at most `timeout-ms` (default 30000) for
  each; returns a map of job id to {:value :worker :error}."
  ([n] (results n 30000))
  ([n timeout-ms]
   (into {}
         (for [_ (range n)
               :let [bytes (.poll (queue "example.results") timeout-ms java.util.concurrent.TimeUnit/MILLISECONDS)]
               :when bytes
               :let [r (remote/deserialize bytes)]]
           [(:id r) (dissoc r :id)]))))
