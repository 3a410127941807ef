(ns entangle.remote
  "Runs fns on other members: a closure written at the REPL a moment ago, with the values it
  captured, runs on one member, on every member, or on the member that owns a key, and its
  value, or its exception naming the member, comes back in a future.

    (require '[entangle.remote :as remote])
    (let [n 6] @(remote/submit #(* n 7)))                ;=> 42
    (remote/submit-to-members #(System/getProperty \"user.name\"))
    ;=> {\"127.0.0.1:5701\" #<RemoteFuture ...>, \"127.0.0.1:5702\" #<RemoteFuture ...>}

  Embedded members run the fns sent to them (Hazelcast sends no task to a member connected as
  a client); any member can send one. What the current evaluation has defined so far is shared
  before a fn leaves, so the vars it calls are defined where it runs.

  The futures are entangle.remote.RemoteFuture, a java.util.concurrent.CompletableFuture:
  deref (with a timeout too), realized?, future-done? and future-cancel work as on Clojure's
  futures, and future-cancel interrupts the fn on its member. A fn that threw makes deref throw
  (wrapped in an ExecutionException, as for any future) an entangle.remote.RemoteException,
  whose message names the member and the exception, whose ex-data is {:member :class :data},
  and which carries the remote stack trace."
  (:require [entangle.core :as entangle]
            [entangle.options :as options])
  (:import (entangle Member)
           (entangle.remote RemoteExecution RemoteFuture)
           (java.util.concurrent TimeUnit)))

(defn- remote ^RemoteExecution []
  (if-let [^Member m (entangle/member)]
    (.remote m)
    (throw (IllegalStateException.
            (if-let [left (Member/left)]
              ;; left says it: "this JVM left the cluster (entangle.core/stop!)", "this member's Hazelcast ..."
              (str left "; (entangle.core/start!) joins again")
              "this JVM is not a member of an entangle cluster; join with (entangle.core/start!)")))))

(def ^:private option-kinds
  "The options every fn here takes after `f`, as entangle.options/checked-map reads them."
  {:timeout-ms [#(and (integer? %) (<= 1 % Long/MAX_VALUE)) "a positive whole number of milliseconds"]})

(defn- checked
  "`opts`, or an IllegalArgumentException naming what it refuses, thrown before the fn is sent."
  [opts]
  (options/checked-map opts option-kinds {:prefix "entangle.remote: " :example "a map, such as {:timeout-ms 500}"}))

(defn- with-options
  "Applies the options to a future: :timeout-ms cancels the call after that many milliseconds."
  ^RemoteFuture [^RemoteFuture f {:keys [timeout-ms]}]
  (when timeout-ms (.withTimeout f (long timeout-ms) TimeUnit/MILLISECONDS))
  f)

(defn submit
  "Runs `f`, a fn of no arguments, on one member chosen at random, and returns a future of its
  value. Options: :timeout-ms, after which the call is cancelled on its member and the future
  fails with a TimeoutException that names the member. A fn that needs arguments, and options
  that are not these, are refused before anything is sent."
  ([f] (submit f {}))
  ([f opts]
   (checked opts)
   (entangle/publish-so-far!)
   (with-options (.submit (remote) f) opts)))

(defn submit-to-member
  "Runs `f` on the member at `member` (\"host:port\", as entangle.core/members lists it), and
  returns a future of its value. Options as `submit`."
  ([member f] (submit-to-member member f {}))
  ([member f opts]
   (when-not (string? member)
     (throw (IllegalArgumentException. (RemoteExecution/notAnAddress (pr-str member)))))
   (checked opts)
   (entangle/publish-so-far!)
   (with-options (.submitToMember (remote) member f) opts)))

(defn submit-to-members
  "Runs `f` on every member that runs fns (the embedded ones), and returns a map of member
  address to the future of its value there. Options as `submit`."
  ([f] (submit-to-members f {}))
  ([f opts]
   (checked opts)
   (entangle/publish-so-far!)
   (into {} (map (fn [[member fut]] [member (with-options fut opts)])) (.submitToMembers (remote) f))))

(defn submit-to-key-owner
  "Runs `f` on the member that owns `key` in Hazelcast's partitioning (the member that holds
  the key's entry in any Hazelcast map, so that `f` works on local data), and returns a
  future of its value. Options as `submit`."
  ([key f] (submit-to-key-owner key f {}))
  ([key f opts]
   (checked opts)
   (entangle/publish-so-far!)
   (with-options (.submitToKeyOwner (remote) key f) opts)))

(defn serialize
  "The bytes of `value` (a fn with its captured values, or data), for a Hazelcast structure of
  your own, such as a queue of work that other members take from; `deserialize` reads them on
  any member. Shares what the current evaluation has defined so far, as `submit` does."
  ^bytes [value]
  (entangle/publish-so-far!)
  (.serialize (remote) value))

(defn deserialize
  "The value `serialize` wrote, read on this member: classes by the unit they came from,
  nothing that a shared value may not contain."
  [^bytes bytes]
  (.deserialize (remote) bytes))
