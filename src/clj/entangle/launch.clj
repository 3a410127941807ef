(ns entangle.launch
  "What `clojure -M:repl` (entangle.repl) and `clojure -M:nrepl` (entangle.headless) do before
  their own work: check that what they run is current, start the member, and otherwise exit
  with one line that says why. Loaded before entangle's Java runtime is known to be compiled
  (a project that names entangle's checkout runs it from source), so it names none of the
  runtime's classes: where the runtime is missing, the user reads what to build, not a
  ClassNotFoundException."
  (:require [entangle.build :as build]))

(defn exit!
  "Prints `message`, to standard error unless `code` is 0, and exits the JVM with `code`."
  [code message]
  (binding [*out* (if (zero? code) *out* *err*)]
    (println message)
    (flush))
  (System/exit code))

(defn- refusal
  "The message of `e` if it is a MemberStartException (the member could not join), else nil."
  [^Throwable e]
  (when (= "entangle.MemberStartException" (.getName (class e)))
    (ex-message e)))

(defn start!
  "Checks that the runtime is current (see entangle.build), then starts a member with
  `options` as entangle.core/start! does, calling `on-join` while it joins, and returns the
  member (an entangle.Member). Exits with the reason if it cannot: 2 for an option Hazelcast
  refuses, 1 for anything else that stops the member."
  [options on-join]
  (try
    (build/ensure-current!)
    (catch clojure.lang.ExceptionInfo e (exit! 1 (str "entangle: " (ex-message e)))))
  (let [start-member! (requiring-resolve 'entangle.core/start!)]
    (try
      (start-member! options on-join)
      (catch IllegalArgumentException e (exit! 2 (str "entangle: " (ex-message e))))
      (catch RuntimeException e
        (if-let [message (refusal e)]
          (exit! 1 (str "entangle: " message))
          (throw e))))))

(defn joined
  "What a member says once it has joined: \"entangle member 127.0.0.1:5702 of cluster shop (1
  other member)\", its address, its cluster and how many others it has."
  [member]
  (let [others (dec (count (.members member)))]
    (str "entangle " (when (.isClient member) "client ") "member " (.address member)
         " of cluster " (.cluster member) " ("
         (if (zero? others) "no other members" (str others " other member" (when (> others 1) "s")))
         ")")))
