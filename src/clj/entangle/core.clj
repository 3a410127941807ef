(ns entangle.core
  "Clojure namespaces shared across a cluster of JVMs.

  A JVM joins with `start!` and is then a member: after each evaluation, `publish!` shares
  what it defined with every other member (entangle's REPL calls it for you), and what other
  members define arrives by itself. Every namespace is shared except Clojure's, entangle's,
  tooling namespaces, and those marked local; a var or namespace marked local (`local!`, or
  ^:entangle/local) keeps a value of its own on each member."
  (:refer-clojure :exclude [eval])
  (:require [clojure.string :as str]
            [entangle.options :as options])
  (:import (entangle Member MemberOptions)
           (entangle.sharing Provenance PublishResult ReadText Unshared)
           (java.nio.file Path)))

(defn- print-warning [msg]
  (binding [*out* *err*]
    (println (str "entangle: " msg))))

(def ^:dynamic *warn*
  "Called with each warning about the evaluation that just ran (a value that stays on this
  member, a cluster that could not be reached), and, from another thread with the
  evaluation's bindings, as soon as sharing its definitions waits long for a member that does
  not answer. Default: print it on *err*."
  print-warning)

(defn member
  "This JVM's member (an entangle.Member), or nil if it has not joined a cluster."
  []
  (Member/current))

(def ^:private option-kinds
  "What each option of `start!` must be: a predicate, and what a message says it must be."
  {:cluster          [string? "a string"]
   :bind             [string? "a string (a host name or address)"]
   :port             [int? "a whole number"]
   :members          [string? "a string (\"host:port-port,...\")"]
   :log-file         [string? "a string (a file's path, or \"-\")"]
   :client           [boolean? "true or false"]
   :hazelcast-config [string? "a string (a file's path)"]
   :secret-file      [string? "a string (a file's path)"]})

(defn- option-name
  "What a message calls option `k`: as the user set it, its flag or variable when `opts` came
  from the command line (entangle.options/parse), else its key."
  [opts k]
  (if (contains? opts ::options/variables) (options/label opts k) (str k)))

(defn- checked-options
  "`opts`, or an IllegalArgumentException naming the first thing in it `start!` refuses. The
  command line's other options (nREPL's, which the REPL serves itself) and its namespaced
  keys are let by."
  [opts]
  (options/checked-map opts option-kinds
                       {:example "a map, such as {:cluster \"shop\"}, or an entangle.MemberOptions"
                        :let-by? #(or (contains? options/env-vars %) (qualified-keyword? %))
                        :name-of #(option-name opts %)}))

(defn- member-options ^MemberOptions [opts]
  (let [{:keys [cluster port members bind log-file client hazelcast-config secret-file]} (checked-options opts)
        o (MemberOptions.)
        set (fn [k v f] (when (some? v)
                          (try (f v)
                               (catch IllegalArgumentException e
                                 ;; MemberOptions names the option itself (labels, below); a Path does not.
                                 (let [named (str (option-name opts k) ": ")]
                                   (throw (if (.startsWith (str (.getMessage e)) named)
                                            e
                                            (IllegalArgumentException. (str named (.getMessage e)) e))))))))]
    ;; Hints and refusals name an option as the user set it: its flag, its variable, or its key.
    (.labels o (assoc (into {} (for [k [:cluster :port :members :bind :client]] [(name k) (option-name opts k)]))
                      "hazelcastConfig" (option-name opts :hazelcast-config)
                      "secretFile" (option-name opts :secret-file)))
    (set :cluster cluster #(.cluster o %))
    (set :port port #(.port o (int %)))
    (set :members members #(.members o %))
    (set :bind bind #(.bind o %))
    (set :log-file log-file #(.logFile o (Path/of ^String % (make-array String 0))))
    (set :hazelcast-config hazelcast-config #(.hazelcastConfig o (Path/of ^String % (make-array String 0))))
    (set :secret-file secret-file #(.secretFile o (Path/of ^String % (make-array String 0))))
    (.client o (boolean client))
    o))

(declare provenance)

(defn- source-from-cluster [x]
  (when-let [v (try (resolve x) (catch Exception _ nil))]
    (when (var? v) (:source (provenance v)))))

(defn- teach-clojure-repl-source!
  "Makes clojure.repl/source find a shared var's source where it was defined: at a REPL on
  this or another member, or in a file another member loaded."
  []
  (require 'clojure.repl)
  (let [source-fn (resolve 'clojure.repl/source-fn)]
    (when-not (:entangle/source-fn (meta source-fn))
      (alter-var-root source-fn (fn [from-classpath]
                                  (fn [x] (or (from-classpath x) (source-from-cluster x)))))
      (alter-meta! source-fn assoc :entangle/source-fn true))))

(defonce ^:private joined-with
  (atom nil)) ; the options of the last start! that joined: what (start!) joins with again

(defn start!
  "Joins the cluster and returns this JVM's member once it holds every shared namespace.
  Options (all optional): :cluster (default \"entangle\"), :bind (default \"127.0.0.1\"),
  :port (first port to bind, default 5701; the first free one of ten is taken), :members
  (\"host:port-port,...\", default the ten ports from :port at :bind's address, or at
  127.0.0.1 if :bind is \"0.0.0.0\", every interface), :log-file (where Hazelcast logs;
  \"-\" for standard error), :client (true: connect as a Hazelcast client of the existing
  cluster at :members, instead of embedding a member), :hazelcast-config (a Hazelcast member,
  or with :client a client, configuration file that decides the cluster name and network in
  place of :cluster, :port, :members and :bind, which are refused beside it), :secret-file (a
  file, readable by its owner only, holding the cluster's secret: only members and clients
  that hold it are let in). `opts` may also be an entangle.MemberOptions. Definitions refused
  from the cluster are reported on System/err, whichever thread receives them. Throws
  entangle.MemberStartException, with a one-line message, if the member cannot start (a
  cluster that refused it included), and IllegalArgumentException, before anything starts, for
  a bad option: one it does not know (a misspelt :clustr), or a value of another kind (:port
  \"5701\").

  Without options, it joins with those this JVM last joined with (after `stop!`, the same
  cluster again, as the REPL's command line or the ENTANGLE_* variables set it), or with the
  defaults if it never joined.

  With `alongside`, a fn of no arguments, start! calls it while the cluster moves partitions
  to the new member, time it would otherwise spend waiting (entangle's REPL loads its tools
  so); what it loads or defines is this JVM's own, as what was loaded before start! is."
  ([] (start! (or @joined-with {})))
  ([opts] (start! opts nil))
  ([opts alongside]
   (let [m (Member/start (if (instance? MemberOptions opts) opts (member-options opts))
                         (reify java.util.function.Consumer
                           (accept [_ msg] (.println System/err (str "entangle: " msg))))
                         (when alongside (reify Runnable (run [_] (alongside)))))]
     (reset! joined-with opts)
     (teach-clojure-repl-source!)
     m)))

(defn start-from-environment!
  "Joins the cluster with the options of the ENTANGLE_* environment variables (the defaults
  where they are unset), as `start!` does; how a JVM started by other tools (an nREPL stack of
  the user's, a Java application) joins. Throws IllegalArgumentException naming a bad variable."
  []
  (let [{:keys [options message]} (options/parse [] (System/getenv))]
    ;; As start!'s own exceptions: the message without the REPL's "entangle: ".
    (when message (throw (IllegalArgumentException. ^String (str/replace-first message #"^entangle: " ""))))
    (start! (options/variables-only options))))

(declare ^:dynamic *evaluating* publish-so-far!)

(defn stop!
  "Leaves the cluster cleanly: the definitions stay with the other members. Inside an
  evaluation, what it has defined so far is shared first, as its end would have shared it."
  []
  (when-let [m (member)]
    (when *evaluating* (publish-so-far!))
    (.close ^Member m)))

(defn- read-text
  "The ReadText of `read`, a map {:text :file :line :column} (see `eval`), or nil."
  ^ReadText [{:keys [text file line column]}]
  (when (string? text)
    (let [from-1 #(if (and (integer? %) (pos? %)) (int %) 1)]
      (ReadText. (some-> file str) (from-1 line) (from-1 column) text))))

(defn publish!
  "Shares with every member what evaluation changed in shared namespaces since the last call,
  and returns once every member has it; warnings go to *warn*, as does, while it waits, a
  line naming a member that is slow to answer (with this thread's bindings, so that it
  reaches this evaluation's *err*). `form-text`, the text of the form just evaluated, is kept
  as the source of the vars it defined, unless `read` (see `eval`) holds their forms. Returns
  the entangle.sharing.PublishResult, or nil if this JVM is not a member."
  ([] (publish! nil nil))
  ([form-text] (publish! form-text nil))
  ([form-text read]
   (when-let [^Member m (member)]
     (let [notice (bound-fn* *warn*)
           ^PublishResult r (.share m form-text (read-text read)
                                    (reify java.util.function.Consumer (accept [_ msg] (notice msg))))]
       (doseq [w (.warnings r)] (*warn* w))
       r))))

;; The placeholder is an IDeref, and Clojure prints one by dereferencing it: inside printed
;; data that would be the whole error with its stack trace, where one short form says it all.
(defmethod print-method Unshared [^Unshared u ^java.io.Writer w]
  (.write w (.printed u)))

(defmethod print-dup Unshared [^Unshared u ^java.io.Writer w]
  (.write w (.printed u)))

(defn- unshared-var-in
  "The placeholder of the first var named in `form` whose value stayed on another member."
  [form]
  (->> (tree-seq coll? seq form)
       (filter symbol?)
       (keep #(try (resolve %) (catch Exception _ nil)))
       (filter var?)
       (map #(.getRawRoot ^clojure.lang.Var %))
       (filter #(instance? Unshared %))
       first))

(defn- touched-unshared? [^Throwable t]
  (some #(.contains (str (ex-message %)) "entangle.sharing.Unshared")
        (take-while some? (iterate ex-cause t))))

(defn- not-found-here?
  "True if `t` says that a var, namespace or class the code names is not on this member."
  [^Throwable t]
  (some #(or (instance? ClassNotFoundException %)
             (let [m (str (ex-message %))]
               (or (.startsWith m "Unable to resolve symbol:")
                   (.startsWith m "Unable to resolve var:")
                   (.startsWith m "No such var:")
                   (.startsWith m "No such namespace:"))))
        (take-while some? (iterate ex-cause t))))

(def ^:dynamic *evaluating*
  "While `eval` runs, {:text form-text :read read} of the form it evaluates, so that
  what shares definitions before the evaluation ends (sending a fn to other members) keeps
  their source. nil otherwise."
  nil)

(defn publish-so-far!
  "Shares what the running evaluation has defined so far (see `*evaluating*`), as its end
  would: called before a fn leaves this member, so that the vars it uses are defined where it
  runs."
  []
  (publish! (:text *evaluating*) (:read *evaluating*)))

(defn eval
  "Evaluates `form` as the clustered REPL does: then shares what it defined, even when it
  threw. Using a var whose value stayed on another member throws that var's explanation.
  `form-text` is the form's source text. `read`, if given, is the text the form was read
  from and where it sits, {:text text :file file :line line :column column}: the forms'
  :file (the value of *file* as they were read), and the line and column the text starts at
  (default 1 and 1). A var whose :file is `file` and whose :line falls in the text takes its
  source from there, not from the file on disk, which may not hold what was sent (an
  editor's unsaved buffer). `eval-fn` replaces clojure.core/eval."
  ([form] (eval form nil))
  ([form form-text] (eval form form-text nil clojure.core/eval))
  ([form form-text read eval-fn]
   (let [^Runnable done (some-> ^Member (member) (.evaluating form-text (read-text read)))
         v (try (binding [*evaluating* {:text form-text :read read}]
                  (eval-fn form))
                (catch Throwable t
                  ;; Offline, what the error names may be defined elsewhere since: say so.
                  (when-let [why (and (not-found-here? t) (some-> ^Member (member) .unreachableNow))]
                    (*warn* (str why ": what other members defined since is not here yet")))
                  ;; Interop on the placeholder fails in the reflector, naming its class:
                  ;; say what the user needs to know instead.
                  (if-let [^Unshared u (and (touched-unshared? t) (unshared-var-in form))]
                    (throw (.error u t))
                    (throw t)))
                (finally (try (some->> (some-> ^Member (member) .policy (.notSharedNotice *ns*)) *warn*)
                              (publish! form-text read)
                              (finally (some-> done .run)))))]
     (if (instance? Unshared v)
       ;; The form returned the var's placeholder: no frame of the user's code is left, and
       ;; the REPL would place the error in entangle's; with none, it names its own place.
       (throw (doto (.error ^Unshared v) (.setStackTrace (make-array StackTraceElement 0))))
       v))))

(defn- skip-to-form
  "Skips the whitespace, commas and comments before the next form in `reader`."
  [^clojure.lang.LineNumberingPushbackReader reader]
  (loop []
    (let [c (.read reader)]
      (cond (= c -1) nil
            (= c (int \;)) (do (.readLine reader) (recur))
            (or (Character/isWhitespace c) (= c (int \,))) (recur)
            :else (.unread reader c)))))

(defn- eval-forms
  "Evaluates the forms in `code` one after another in the current *ns*; the last value."
  [^String code]
  (let [reader (clojure.lang.LineNumberingPushbackReader. (java.io.StringReader. code))
        eof (Object.)]
    (loop [last nil]
      (skip-to-form reader)
      ;; The reader counts lines from the code's first: a var's :line and :column are in
      ;; `code`, whatever file *file* names (the file being loaded, if one is).
      (let [line (.getLineNumber reader)
            column (.getColumnNumber reader)
            [form text] (read+string {:eof eof :read-cond :allow} reader)]
        (if (identical? form eof)
          last
          (recur (eval form text {:text text :file *file* :line line :column column} clojure.core/eval)))))))

(defn eval-code
  "Evaluates every form in the string `code`, starting in namespace `ns` (the name of an
  existing namespace; nil for user), as the clustered REPL does: each form's definitions are
  shared, with its text as their source. Returns the value of the last form; throws what
  evaluation threw."
  [code ns]
  (binding [*ns* (the-ns (symbol (or ns "user")))]
    (eval-forms code)))

(defn eval-string
  "Evaluates every form in the string `code` in namespace `ns` (a name; nil for user) as the
  clustered REPL does, with *out* and *err* captured. Returns {:value (the last value, printed),
  :out, :err, :ns}, or {:ex (the exception's class), :err (the output, then the error as the
  REPL prints it: its phase and place, then its cause's message), :out}; a namespace this JVM
  does not have is such an error (\"No namespace: x found\"), as at nREPL, rather than an
  evaluation somewhere else."
  [code ns]
  (let [out (java.io.StringWriter.)
        err (java.io.StringWriter.)
        evaluating (volatile! false)]
    (binding [*ns* *ns*
              *out* out
              *err* err]
      (try
        (set! *ns* (the-ns (symbol (or ns "user"))))
        (vreset! evaluating true)
        (let [value (eval-forms code)]
          (flush)
          {:value (pr-str value) :out (str out) :err (str err) :ns (str (ns-name *ns*))})
        (catch Throwable t
          (flush)
          ;; A compiler exception's own message says only where: what went wrong is its
          ;; cause's, which the REPL prints after it. (clojure.main, loaded only here: a Java
          ;; host does not load it otherwise.)
          {:ex (.getName (class t))
           :err (str err (if @evaluating ((requiring-resolve 'clojure.main/err->msg) t) (ex-message t)))
           :out (str out)})))))

(defn- refuse
  "Throws the IllegalArgumentException by which `op` refuses its argument, saying `why`,
  before anything is marked."
  [op why]
  (throw (IllegalArgumentException. (str op ": " why))))

(defn- the-ns-for
  "The namespace `x` (one, or its name) names for `op`; `missing` is said after the name that
  no namespace has."
  [op x missing]
  (cond (instance? clojure.lang.Namespace x) x
        (simple-symbol? x) (or (find-ns x) (refuse op (str "no namespace " x missing)))
        (or (var? x) (qualified-symbol? x))
        (refuse op (str "takes a namespace or its name, not the var " x
                        " (a var is shared unless it or its namespace is marked local)"))
        :else (refuse op (str "not a namespace or namespace name: " (pr-str x)))))

(defn- the-var-or-ns-for
  "The var (one, or its qualified name) or namespace (one, or its name) `x` names for `op`."
  [op x]
  (cond (var? x) x
        (qualified-symbol? x) (or (when (find-ns (symbol (namespace x))) (find-var x))
                                  (refuse op (str "no var " x " (define it first, or define it with ^:entangle/local)")))
        (or (instance? clojure.lang.Namespace x) (symbol? x))
        (the-ns-for op x (str " (to keep one local from its start: (ns ^:entangle/local " x "))"))
        :else (refuse op (str "not a var, namespace or namespace name: " (pr-str x)))))

(defn local!
  "Marks a var (#'ns/name, or its qualified name) or a namespace (or its name) local to each
  member, on every member: it keeps a value of its own on each and is never shipped."
  [x]
  (alter-meta! (the-var-or-ns-for "local!" x) assoc :entangle/local true)
  (publish!)
  x)

(defn shared!
  "Opts a namespace (or its name) in that is not shared by default, such as a tooling one;
  lifts a local mark."
  [x]
  (let [ns (the-ns-for "shared!" x "")]
    (alter-meta! ns #(-> % (dissoc :entangle/local) (assoc :entangle/shared true)))
    (some-> ^Member (member) .policy (.markShared (str (ns-name ns)) true))
    (publish!)
    ns))

(defn members
  "The addresses of the cluster's members (host:port), this one first."
  []
  (some-> ^Member (member) .members vec))

(defn provenance
  "Where the current definition of `v` came from, as a map of :member (host:port) and
  :time (a java.util.Date) of the change that made it (a def, or an alter-var-root, a
  defmethod...), :version, and :source (the text of the form that defined it); nil if it was
  never shared. `v` is a var, or a symbol naming one as `resolve` does in *ns* (a qualified
  one may name a var this member does not have)."
  [v]
  (when-let [^Member m (member)]
    (let [v (or (when (symbol? v) (let [r (resolve v)] (when (var? r) r))) v)
          [ns-part name-part]
          (cond (var? v) [(str (.. ^clojure.lang.Var v ns name)) (str (.sym ^clojure.lang.Var v))]
                (symbol? v) [(or (namespace v) (str (ns-name *ns*))) (name v)]
                :else (throw (IllegalArgumentException.
                              (str "provenance takes a var or a symbol, not " (pr-str v)))))]
      (when-let [^Provenance p (.provenance m ns-part name-part)]
        {:member (.address (.origin p))
         :time (java.util.Date. (.time (.origin p)))
         :version (.version p)
         :source (.source p)}))))

(defn hazelcast
  "The member's com.hazelcast.core.HazelcastInstance, for what entangle does not cover. Its
  structures take the JDK's values as they are; put Clojure's (maps, records, fns) there as
  the bytes of entangle.remote/serialize, and read them with entangle.remote/deserialize:
  an embedded member's Hazelcast reads back no class of Clojure's, which can run code as it
  is read (\"Resolving class clojure.lang.PersistentArrayMap is not allowed\")."
  []
  (some-> ^Member (member) .hazelcast))
