(ns entangle.options
  "The clustered REPL's options: the command line first, then environment variables, then
  defaults. Pure: `parse` returns data that says what to do, the caller does it."
  (:require [clojure.string :as str]
            [clojure.tools.cli :as cli]))

(def env-vars
  "The environment variable that sets each option when the command line does not."
  {:cluster    "ENTANGLE_CLUSTER"
   :port       "ENTANGLE_PORT"
   :members    "ENTANGLE_MEMBERS"
   :bind       "ENTANGLE_BIND"
   :nrepl-port "ENTANGLE_NREPL_PORT"
   :nrepl-bind "ENTANGLE_NREPL_BIND"
   :log-file   "ENTANGLE_LOG_FILE"
   :client     "ENTANGLE_CLIENT"
   :hazelcast-config "ENTANGLE_HAZELCAST_CONFIG"
   :secret-file "ENTANGLE_SECRET_FILE"})

(def defaults
  "What each option is when neither the command line nor the environment sets it. --members
  has none here: unset, a member looks at the ten ports from its --port at its --bind
  (MemberOptions), so the same command in two terminals joins one cluster whatever its port."
  {:cluster "entangle"
   :port    5701
   :bind    "127.0.0.1"
   :nrepl-bind "127.0.0.1"})

(def ^:private replaced-by-a-file
  "The options a --hazelcast-config file decides in their place (as MemberOptions.check)."
  [:cluster :port :members :bind])

(defn- parse-port [s]
  ;; A member binds the first free port of the ten from N (MemberOptions/PORT_COUNT; this
  ;; namespace loads before entangle's classes are checked, so it names none of them).
  (let [n (parse-long (str/trim s))
        highest (- 65536 10)]
    (cond
      (not (and n (<= 1 n 65535))) (throw (IllegalArgumentException. (str "'" s "' is not a port (1-65535)")))
      (> n highest) (throw (IllegalArgumentException.
                            (str "'" s "' is too high: a member may take any of the ten ports from it (1-" highest ")")))
      :else n)))

(defn- parse-nrepl-port [s]
  (let [n (parse-long (str/trim s))]
    (if (and n (<= 0 n 65535))
      n
      (throw (IllegalArgumentException. (str "'" s "' is not a port (0 for any free one, or 1-65535)"))))))

(def spec
  "The options, in clojure.tools.cli's form."
  [[nil "--cluster NAME" "Hazelcast cluster name; members join only their own cluster"]
   [nil "--port N" "First port the member binds; it takes the first free one of the ten from N"
    :parse-fn parse-port]
   [nil "--members LIST" "Where to find other members: host, host:port or host:port-port, comma-separated; a host alone: the ten ports from --port"]
   [nil "--bind HOST" "Interface the member binds; loopback unless told otherwise; 0.0.0.0 for every one"]
   [nil "--nrepl-port N" "Also serve nREPL on this port (0: any free one), and write the port to .nrepl-port in the current directory" :parse-fn parse-nrepl-port]
   [nil "--nrepl-bind HOST" "Interface the nREPL server binds; loopback unless told otherwise"]
   [nil "--log-file PATH" "Where Hazelcast's log goes; - for standard error"]
   [nil "--client" "Connect as a Hazelcast client to the existing cluster at --members, instead of embedding a member"]
   [nil "--hazelcast-config FILE" "Hazelcast configuration (XML or YAML; a client one with --client) in place of --cluster, --port, --members and --bind, which are refused beside it"]
   [nil "--secret-file FILE" "File holding the cluster's secret (readable by its owner only): only members and clients that hold it join"]
   ["-h" "--help" "Show this help and exit"]])

(defn- wrap
  "`text` in lines of at most `width` characters (94, as the rest of the help), broken at
  spaces, each line after the first beginning with `indent`."
  ([text] (wrap text 94 ""))
  ([text width indent]
   (->> (str/split text #" ")
        (reduce (fn [lines word]
                  (let [line (peek lines)]
                    (if (and line (<= (+ (count line) 1 (count word)) width))
                      (conj (pop lines) (str line " " word))
                      (conj lines (str (when line indent) word)))))
                [])
        (str/join \newline))))

(defn- summarize
  "The options' part of the help, as clojure.tools.cli lays it out (switches, then what each
  does), with each description wrapped beside its switches rather than running on for a
  hundred and fifty columns."
  [specs]
  (let [switches (for [{:keys [short-opt long-opt required]} specs]
                   (str "  " (if short-opt (str short-opt ", ") "    ") long-opt (when required (str " " required))))
        column (+ 2 (apply max (map count switches)))
        indent (apply str (repeat column \space))]
    (str/join \newline
              (map (fn [switch {:keys [desc]}]
                     (wrap (str switch (subs indent (count switch)) desc) 94 indent))
                   switches specs))))

(defn usage
  "The text --help prints."
  [summary]
  (str/join
   \newline
   ["Usage: clojure -M:repl [options]"
    ""
    "A Clojure REPL whose JVM is a member of an entangle cluster: what you define here is"
    "callable on every member, and what any member defines is callable here."
    ""
    "Options:"
    summary
    ""
    "Defaults: --cluster entangle --port 5701 --bind 127.0.0.1 --nrepl-bind 127.0.0.1 (no nREPL"
    "server unless --nrepl-port is given, except with -M:nrepl); --members: the ten ports from"
    "--port at --bind's address (127.0.0.1:5701-5710; loopback if --bind is 0.0.0.0), so the same"
    "command in another terminal joins the first. The log goes to"
    "<java.io.tmpdir>/entangle-<user>/<cluster>-<pid>.log, readable by you alone (<cluster>: the"
    "one a --hazelcast-config file names, with one)."
    (wrap (str "Each option can also be set by an environment variable: "
               (str/join ", " (for [[_ long-opt] spec
                                    :let [k (keyword (re-find #"[^- ]+(?:-[^- ]+)*" long-opt))]
                                    :when (env-vars k)]
                                (str (env-vars k) " (--" (name k) ")")))
               "."))]))

(defn checked-map
  "`opts` (nil or a map of options), or an IllegalArgumentException naming the first thing in
  it that is refused, each message beginning with `prefix`: anything but a map (`example`
  says what one looks like), a key neither in `kinds` nor let by `let-by?`, or a value the
  predicate of its key refuses (`kinds`: key -> [pred, what it must be]; `name-of` names the
  key). A misspelt option would otherwise be one left out, with nothing said."
  [opts kinds {:keys [prefix example let-by? name-of] :or {prefix "" let-by? (constantly false) name-of str}}]
  (when-not (or (nil? opts) (map? opts))
    (throw (IllegalArgumentException. (str prefix "the options must be " example ", not " (pr-str opts)))))
  (when-let [unknown (seq (remove #(or (contains? kinds %) (let-by? %)) (keys opts)))]
    (throw (IllegalArgumentException.
            (str prefix "unknown option" (when (next unknown) "s") " " (str/join ", " (map pr-str unknown))
                 "; the options are " (str/join ", " (sort (keys kinds)))))))
  (doseq [[k v] opts
          :let [[ok? what] (kinds k)]
          :when (and ok? (some? v) (not (ok? v)))]
    (throw (IllegalArgumentException. (str prefix (name-of k) ": must be " what ", not " (pr-str v)))))
  opts)

(defn label
  "What a message about option `k` of `options` (a map `parse` returned) calls it: the
  environment variable its value came from, or else its flag. A user who set a variable
  looks for that name, not for a flag they never typed."
  [options k]
  (get-in options [::variables k] (str "--" (name k))))

(defn variables-only
  "`options`, as `parse` returned them, for a JVM whose options come from its environment
  alone (an nREPL stack of the user's, a Java application): `label` names every option by
  its variable, since there is no command line to give a flag on."
  [options]
  (assoc options ::variables env-vars))

(defn nrepl-problem
  "Why the nREPL server of `options` cannot be served, or nil: {:exit 2 :message line} if its
  --nrepl-bind does not resolve (a bad value, refused as --bind's is, with or without
  --nrepl-port), {:exit 1 :message line} if it is not this machine's or its --nrepl-port is in
  use. Checked before the member joins, so that a bad value fails fast instead of after a
  join."
  [{:keys [nrepl-port nrepl-bind] :as options}]
  (let [hint " (give a host name or IP address of this machine)"
        address (try (java.net.InetAddress/getByName nrepl-bind)
                     (catch java.net.UnknownHostException _ nil))
        bind (fn [port] (with-open [_ (java.net.ServerSocket. (int port) 1 address)] nil))
        refused (fn [exit message] (when message {:exit exit :message message}))]
    (cond
      (not address)
      (refused 2 (str "entangle: " (label options :nrepl-bind) ": '" nrepl-bind "' does not resolve" hint))

      nrepl-port
      ;; Port 0 binds any free port: a failure there is the address's, whatever the port.
      (refused 1 (or (try (bind 0)
                          (catch java.io.IOException e
                            (str "entangle: " (label options :nrepl-bind) ": cannot serve nREPL on " nrepl-bind ": "
                                 (ex-message e) hint)))
                     (when (pos? nrepl-port)
                       (try (bind nrepl-port)
                            (catch java.io.IOException e
                              (str "entangle: cannot serve nREPL on " nrepl-bind ":" nrepl-port ": " (ex-message e)
                                   " (choose another port with --nrepl-port)")))))))))

(def ^:private flags
  "Options that take no value: their environment variable is true or false."
  #{:client})

(defn- env-args [env]
  (mapcat (fn [[k var]]
            (when-let [v (get env var)]
              (if (flags k)
                (case (str/lower-case (str/trim v))
                  ("true" "1" "yes") [[var (str "--" (name k))]]
                  ("false" "0" "no" "") []
                  [[var (str "--" (name k)) ::not-a-boolean]])
                [[var (str "--" (name k)) v]])))
          env-vars))

(defn- refusal
  "The option and the reason in tools.cli's error for a value a parse-fn refused, \"Error while
  parsing option \\\"--port x\\\": java.lang.IllegalArgumentException: 'x' is not a port\", or
  nil for another error. The messages give them as the runtime's refusals are given (\"--port:
  'x' is not a port\"): the reason names the value, and a class name says nothing to a user."
  [error]
  (next (re-matches #"(?s)Error while parsing option \"(\S+) .*\": java\.lang\.IllegalArgumentException: (.*)"
                    error)))

(defn parse
  "Parses `args` and the environment map `env`. Returns {:options {...}} to go on, or
  {:exit code :message text} to stop: 0 with the usage for --help, 2 with one line naming
  the first bad option. The options hold :entangle.options/variables, the variable of each
  option that one set and `args` did not, for `label`."
  [args env]
  (let [from-env (reduce (fn [acc [var flag & value]]
                           (if (= [::not-a-boolean] value)
                             (reduced {:error (str var ": '" (get env var) "' is not true or false")})
                             (let [{:keys [options errors]} (cli/parse-opts (into [flag] value) spec :no-defaults true)]
                               (if (seq errors)
                                 (reduced {:error (str var ": " (or (second (refusal (first errors))) (first errors)))})
                                 (merge acc options)))))
                         {} (env-args env))
        {:keys [options arguments errors summary]} (cli/parse-opts args spec :no-defaults true :summary-fn summarize)]
    (cond
      (:help options) {:exit 0 :message (usage summary)}
      (seq errors) {:exit 2 :message (str "entangle: " (if-let [[option why] (refusal (first errors))] (str option ": " why) (first errors))
                                         " (see --help)")}
      (seq arguments) {:exit 2 :message (str "entangle: unexpected argument \"" (first arguments) "\" (see --help)")}
      (:error from-env) {:exit 2 :message (str "entangle: " (:error from-env))}
      ;; Some values are checked only later, where the member starts (MemberOptions): the
      ;; variables say there which name to report them under (see `label`).
      :else (let [;; A file decides these in their place: their defaults and variables are
                  ;; left out (a deployment may set both), one typed is kept for the member to
                  ;; refuse (MemberOptions.check), since the user meant it.
                  unset (if (:hazelcast-config (merge from-env options))
                          #(apply dissoc % replaced-by-a-file)
                          identity)
                  from-env (unset from-env)]
              {:options (assoc (merge (unset defaults) from-env options)
                               ::variables (select-keys env-vars (remove (set (keys options)) (keys from-env))))}))))
