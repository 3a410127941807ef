(ns entangle.headless
  "A member without a terminal REPL, serving nREPL: `clojure -M:nrepl`. It prints the member it
  is and its cluster, then nREPL's usual \"nREPL server started on port ...\" line, writes
  .nrepl-port in the current directory (editors find it there), and runs until it is stopped;
  a stop (Ctrl-C, SIGTERM) leaves the cluster cleanly."
  (:require [entangle.launch :as launch :refer [exit!]]
            [entangle.options :as options]))

(defn -main
  "Starts a member with the options in `args` (see --help) and an nREPL server on
  --nrepl-port (default: any free port)."
  [& args]
  (let [{:keys [options exit message]} (options/parse args (System/getenv))
        ;; It always serves nREPL, so its address is checked before the join whatever the port.
        options (some-> options (update :nrepl-port #(or % 0)))]
    (when-let [problem (and (not message) (options/nrepl-problem options))]
      (exit! (:exit problem) (:message problem)))
    (when message (exit! exit (.replace ^String message "clojure -M:repl" "clojure -M:nrepl")))
    ;; nREPL loads from source while the member joins.
    (println (launch/joined (launch/start! options #(require 'entangle.nrepl))))
    (let [serve! (requiring-resolve 'entangle.nrepl/serve!)
          started-message (requiring-resolve 'entangle.nrepl/started-message)
          write-port-file! (requiring-resolve 'entangle.nrepl/write-port-file!)
          server (try (serve! options)
                      (catch clojure.lang.ExceptionInfo e (exit! 1 (str "entangle: " (ex-message e)))))]
      (write-port-file! server)
      (println (started-message server))
      (flush)
      ;; The server's threads keep the JVM up; Hazelcast's shutdown hook leaves the cluster.
      @(promise))))
