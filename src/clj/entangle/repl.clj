(ns entangle.repl
  "The clustered terminal REPL, `clojure -M:repl`: a plain Clojure REPL whose JVM is a member
  of an entangle cluster. Its prompt appears once the member has joined and holds every shared
  namespace; each evaluation returns once every member has what it defined. End of input or
  (System/exit 0) leaves the cluster cleanly. With --nrepl-port, an nREPL server with
  entangle's middleware runs beside it, and its port is in .nrepl-port in the current
  directory, where editors look for it, as nREPL's own command line leaves it."
  (:require [clojure.main :as main]
            [entangle.launch :as launch :refer [exit!]]
            [entangle.options :as options]))

(defn- reader
  "clojure.main/repl-read that also keeps, in `read`, the text of each form and where it
  starts ({:text :file :line :column}, as entangle.core/eval takes it): each var the form
  defines takes its own form as its source, found by its :line and :column."
  [last-read]
  (fn [request-prompt request-exit]
    (or ({:line-start request-prompt :stream-end request-exit}
         (main/skip-whitespace *in*))
        (let [^clojure.lang.LineNumberingPushbackReader in *in*
              line (.getLineNumber in)
              column (.getColumnNumber in)
              [form s] (read+string {:read-cond :allow} in)]
          (main/skip-if-eol in)
          (vreset! last-read {:text s :file *file* :line line :column column})
          form))))

(defn -main
  "Starts a member with the options in `args` (see --help), then the REPL."
  [& args]
  (let [{:keys [options exit message]} (options/parse args (System/getenv))]
    (when-let [problem (and (not message) (options/nrepl-problem options))]
      (exit! (:exit problem) (:message problem)))
    (when message (exit! exit message))
    ;; The REPL's own requires (doc, source, pprint...) belong to this JVM, as in any REPL;
    ;; they, and nREPL if it is to serve, load while the member joins.
    (let [member (launch/start! options #(do (binding [*ns* (the-ns 'user)]
                                                (apply require main/repl-requires))
                                              (when (:nrepl-port options)
                                                (require 'entangle.nrepl))))
          ;; Resolved only now, as the member's methods are (reflectively, once): they need the
          ;; compiled runtime, which this namespace loads before launch/start! checks it.
          stop! (requiring-resolve 'entangle.core/stop!)
          eval (requiring-resolve 'entangle.core/eval)
          last-read (volatile! nil)]
      (println (str "Clojure " (clojure-version) ", " (launch/joined member)))
      (when (:nrepl-port options)
        (let [serve! (requiring-resolve 'entangle.nrepl/serve!)
              started-message (requiring-resolve 'entangle.nrepl/started-message)
              write-port-file! (requiring-resolve 'entangle.nrepl/write-port-file!)
              server (try (serve! options)
                          (catch clojure.lang.ExceptionInfo e (exit! 1 (str "entangle: " (ex-message e)))))]
          (write-port-file! server)
          (println (started-message server))))
      (main/repl :init #(in-ns 'user)
                 :read (reader last-read)
                 :eval #(eval % (:text @last-read) @last-read clojure.core/eval))
      (stop!)
      (shutdown-agents)
      (System/exit 0))))
