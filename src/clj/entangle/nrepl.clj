(ns entangle.nrepl
  "nREPL middleware that makes an editor's connection to any member a connection to the
  cluster: every eval and load-file is shared as an eval at the clustered REPL is, and the
  cluster ops list the members, evaluate on chosen members, and say where a var was defined.

  Add `entangle.nrepl/wrap-entangle` to an nREPL stack (nrepl.cmdline --middleware, an
  editor's jack-in middleware list). In a JVM that has not joined a cluster yet, the first
  message that needs the cluster (an eval, a load-file, a cluster op) joins it, with the
  options of the ENTANGLE_* environment variables; if it cannot, that message is answered with
  the reason, and the next one tries again. After this JVM's member has left the cluster
  (entangle.core/stop!), no message joins it again."
  (:refer-clojure :exclude [eval])
  (:require [clojure.string :as str]
            [entangle.core :as entangle]
            [nrepl.middleware :refer [set-descriptor!]]
            [nrepl.middleware.interruptible-eval :as interruptible-eval]
            [nrepl.middleware.load-file]
            [nrepl.cmdline :as cmdline]
            [nrepl.misc :refer [response-for]]
            [nrepl.server :as server]
            [nrepl.transport :as t]))

(def ^:dynamic *eval-on-timeout-ms*
  "How long entangle/eval-on waits for each member's result, in milliseconds; an evaluation
  with no result by then is cancelled on its member. Default: 60000."
  60000)

(defn eval
  "The eval fn entangle's middleware gives nREPL's interruptible-eval: evaluates `form` as the
  clustered REPL does (the eval fn the message named, if any, then sharing what it defined).
  Each definition's source is its form in the text sent: the file's for a load-file, the
  code's for an eval (placed at the message's :file and :line, where an editor sends them)."
  [form]
  (let [msg interruptible-eval/*msg*
        eval-fn (or (some-> (::inner-eval msg) symbol find-var) clojure.core/eval)
        document (::document msg)]
    (if document
      (entangle/eval form nil {:text document :file (::document-path msg) :line 1 :column 1} eval-fn)
      ;; nREPL binds *file* to the message's :file, and starts its reader at :line and :column.
      (entangle/eval form (:code msg) {:text (:code msg) :file *file* :line (:line msg) :column (:column msg)}
                     eval-fn))))

(def ^:private member-ops
  "The ops that need this JVM to be a member; the others (describe, clone, interrupt...) are
  this JVM's own, and are answered whether or not it could join."
  #{"eval" "load-file" "entangle/members" "entangle/eval-on" "entangle/provenance"})

(defn- join-problem
  "Joins the cluster, with the options of the ENTANGLE_* variables, unless this JVM is a
  member or has left the cluster. Returns nil once it is one, or the one-line reason it could
  not join. A failed join is not remembered: the next message that needs the member tries
  again, so that a transient failure (its ports in use, no member reachable yet) does not
  last as long as the server. A member that left (entangle.core/stop!, a client whose
  configuration says not to reconnect) is not replaced: an eval then runs in this JVM alone,
  and a cluster op gets the reason."
  [op]
  (when-not (entangle/member)
    (if-let [left (entangle.Member/left)]
      (when-not (#{"eval" "load-file"} op)
        (str "entangle: " left "; (entangle.core/start!) joins again"))
      (locking #'join-problem
        (when-not (or (entangle/member) (entangle.Member/left))
          (try
            (entangle/start-from-environment!)
            nil
            (catch Exception e
              ;; A bad variable's message already starts "entangle: "; the others are a
              ;; MemberStartException's or a bad option's one line.
              (let [m (str (or (ex-message e) e))]
                (if (str/starts-with? m "entangle: ") m (str "entangle: " m))))))))))

(defn- respond [msg & kvs]
  (t/send (:transport msg) (apply response-for msg kvs)))

(defn- members-op [msg]
  (respond msg :members (mapv (fn [m] (into {} m)) (.memberInfo ^entangle.Member (entangle/member)))
           :status :done))

(defn- reporting-first
  "Wraps `interrupt`, the :interrupt fn of a session's meta (nREPL's session-exec, which the
  session middleware calls for an interrupt op), so that interrupting a running
  entangle/eval-on of `eval-ons` (by message id, of this session) first has it report the
  members that have not answered, and only then interrupts its thread. nREPL answers
  interrupted and done 100 ms after it interrupts the thread, and a client reads a message's
  replies until done: the members' results, sent later on a loaded machine, never reached it."
  [interrupt eval-ons]
  (fn [exec-id]
    (when-let [{:keys [state stop ^java.util.concurrent.CountDownLatch reported]}
               (if exec-id (get @eval-ons exec-id) (first (vals @eval-ons)))]
      (when (compare-and-set! state :running :stopping)
        (.complete ^java.util.concurrent.CompletableFuture stop nil)
        (.await reported 10 java.util.concurrent.TimeUnit/SECONDS)))
    (interrupt exec-id)))

(defn- eval-ons-of
  "The running entangle/eval-ons of `session` by message id (an atom), its interrupt made to
  report them first (see reporting-first) the first time."
  [session]
  (or (::eval-ons (meta session))
      (locking session
        (or (::eval-ons (meta session))
            (let [eval-ons (atom {})]
              (alter-meta! session #(assoc % ::eval-ons eval-ons :interrupt (reporting-first (:interrupt %) eval-ons)))
              eval-ons)))))

(defn- eval-on-op
  "Runs as the session's evaluation does (nREPL's exec: one at a time with its evals, on its
  thread), so that nREPL's interrupt with this message's id reaches it: evalOn then cancels
  what still runs on the members and reports it (before nREPL interrupts the thread: see
  reporting-first), and nREPL answers interrupted and done in place of the done sent here."
  [{:keys [code member ns id session] :as msg}]
  (let [[k v] (first (remove (comp #(or (nil? %) (string? %)) val) (select-keys msg [:code :member :ns])))]
    (cond
      k (respond msg :err (str "entangle/eval-on: " (name k) " must be a string"
                               (when (= k :member) " (a member's address, host:port, or \"all\")")
                               ", not " (pr-str v))
                 :status #{:error :done})
      (not code) (respond msg :status #{:error :no-code :done})
      :else
      (let [{:keys [exec]} (meta session)
            eval-ons (eval-ons-of session)
            running {:state (atom :running) :stop (java.util.concurrent.CompletableFuture.)
                     :reported (java.util.concurrent.CountDownLatch. 1)}]
        (exec id
              #(try
                 (swap! eval-ons assoc id running)
                 (.evalOn ^entangle.Member (entangle/member) (or member "all") code
                          (or ns (some-> session deref (get #'*ns*) str))
                          *eval-on-timeout-ms*
                          (reify java.util.function.BiConsumer
                            (accept [_ address result]
                              (respond msg (assoc (into {} result) "member" address))))
                          (:stop running))
                 (catch Exception e
                   (respond msg :err (ex-message e) :status #{:error}))
                 (finally
                   ;; The interrupt evalOn kept: nREPL's interrupt is over with this thread.
                   (Thread/interrupted)
                   (swap! eval-ons dissoc id)
                   (.countDown ^java.util.concurrent.CountDownLatch (:reported running))
                   (when-not (compare-and-set! (:state running) :running :done)
                     ;; Reported as interrupted: nREPL interrupts this thread next, and answers
                     ;; interrupted and done once it has, as long as this still runs.
                     (try (Thread/sleep 10000) (catch InterruptedException _)))))
              #(respond msg :status :done))))))

(defn- provenance-op [{:keys [sym ns] :as msg}]
  (if-not sym
    ;; As eval-on without code: no-info would say that a var has none.
    (respond msg :status #{:error :no-sym :done})
    (let [v (try (ns-resolve (the-ns (symbol (or ns "user"))) (symbol sym)) (catch Exception _ nil))
          p (when (var? v) (entangle/provenance v))]
      (if p
        (respond msg :var (str (symbol v)) :member (:member p) :version (:version p)
                 :time (str (.toInstant ^java.util.Date (:time p))) :source (or (:source p) "")
                 :status :done)
        (respond msg :status #{:no-info :done})))))

(defn wrap-entangle
  "Shares every eval and load-file with the cluster, and handles the cluster ops
  entangle/members, entangle/eval-on and entangle/provenance. It sits above load-file and
  eval, and names its eval fn in the message; load-file turns the message into an eval and
  keeps that, with the file's text for the sources. A message that needs the member, sent
  when this JVM cannot join, is answered with the reason in :err (one line, \"entangle: ...\")
  and the status error and done."
  [handler]
  (fn [{:keys [op] :as msg}]
    (if-let [problem (and (member-ops op) (join-problem op))]
      ;; As nREPL answers a message it cannot act on (no code, an unknown namespace): one
      ;; reply that is both the error and the end. Otherwise the exception would go to the
      ;; server's log, and the editor would wait for an answer that never comes.
      (respond msg :err (str problem \newline) :status #{:error :done})
      (case op
        "eval" (handler (assoc msg :eval "entangle.nrepl/eval" ::inner-eval (:eval msg)))
        "load-file" (handler (assoc msg :eval "entangle.nrepl/eval" ::inner-eval (:eval msg)
                                    ::document (:file msg) ::document-path (:file-path msg)))
        "entangle/members" (members-op msg)
        "entangle/eval-on" (eval-on-op msg)
        "entangle/provenance" (provenance-op msg)
        (handler msg)))))

(set-descriptor! #'wrap-entangle
  {:requires #{"clone"}
   :expects #{"eval" "load-file"}
   :handles {"entangle/members"
             {:doc "Lists the members of the cluster, this one first."
              :requires {}
              :returns {"members" "A list of maps with \"address\" (host:port), \"id\", \"self\", \"kind\" (\"member\", or \"client\" for a member connected as a Hazelcast client) and, for a member that serves nREPL, \"nrepl\" (its nrepl:// URI)."}}
             "entangle/eval-on"
             {:doc "Evaluates code on one member, or on every member, as that member's REPL would; definitions it makes are shared. Sends one message per member, as each answers, then done; a member that has not answered in 60 s is reported as such, and its evaluation there is cancelled (its thread interrupted); a member connected as a client, which runs no code sent to it, answers so at once (ex java.lang.UnsupportedOperationException). An interrupt with this message's id as interrupt-id cancels the evaluations still running, which are then reported as interrupted, and the status is interrupted and done."
              :requires {"code" "The code to evaluate."}
              :optional {"member" "The member's address (host:port), or \"all\" (the default)."
                         "ns" "The namespace to evaluate in (default: the session's)."}
              :returns {"member" "The member's address."
                        "value" "The last value, printed."
                        "out" "What the code printed on *out*."
                        "err" "What it printed on *err*, or the error."
                        "ex" "The class of the exception, if it threw."}}
             "entangle/provenance"
             {:doc "Says where the current definition of a var was made."
              :requires {"sym" "The var's symbol, qualified or not."}
              :optional {"ns" "The namespace to resolve it in (default: user)."}
              :returns {"var" "The var." "member" "The address of the member that defined it."
                        "time" "When, as an ISO-8601 instant." "version" "Its version in the cluster's order."
                        "source" "The source text of the defining form."}}}})

(defn serve!
  "Starts an nREPL server with entangle's middleware at `nrepl-bind`:`nrepl-port` (0: any free
  port), tells the cluster about it (entangle/members lists it), and returns it. The message
  for the user is (started-message server), in the form editors parse. Throws
  ex-info with a one-line message if the address and port cannot be bound."
  [{:keys [nrepl-port nrepl-bind] :or {nrepl-bind "127.0.0.1"}}]
  (let [s (try
            (server/start-server :port nrepl-port :bind nrepl-bind
                                 :handler (server/default-handler #'wrap-entangle))
            ;; The port in use, or an address that does not resolve or is not this machine's
            ;; (options/nrepl-problem checks both before the join; this is for what changed
            ;; since, and for callers that did not check).
            (catch java.io.IOException e
              (throw (ex-info (str "cannot serve nREPL on " nrepl-bind ":" nrepl-port ": " (ex-message e)
                                   (if (str/includes? (str (ex-message e)) "in use")
                                     " (choose another port with --nrepl-port)"
                                     " (give a host name or IP address of this machine with --nrepl-bind)"))
                              {} e))))]
    (.advertiseNrepl ^entangle.Member (entangle/member) (str "nrepl://" nrepl-bind ":" (:port s)))
    s))

(defn started-message
  "nREPL's own \"nREPL server started on port ...\" line, which CIDER and other tools parse."
  [server]
  (cmdline/server-started-message server {:transport #'t/bencode}))

(defn write-port-file!
  "Writes .nrepl-port in the current directory, where editors find the server, and removes it
  when the JVM exits, as nREPL's own command line does; but not once another server has
  written its own port there (a second member started in the same directory), which would
  leave that one's editors nothing to find."
  [server]
  (let [port (str (:port server))
        file (java.io.File. ".nrepl-port")]
    (spit file port)
    (.addShutdownHook (Runtime/getRuntime)
                      (Thread. #(when (= port (try (str/trim (slurp file)) (catch java.io.IOException _ nil)))
                                  (.delete file))
                               "entangle-nrepl-port-file"))))
