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
   :log-file   "ENTANGLE_LOG_FILE"})

(def defaults
  "What each option is when neither the command line nor the environment sets it."
  {:cluster "entangle"
   :port    5701
   :members "127.0.0.1:5701-5710"
   :bind    "127.0.0.1"})

(defn- parse-port [s]
  (let [n (parse-long (str/trim s))]
    (if (and n (<= 1 n 65525)) n (throw (IllegalArgumentException. (str "'" s "' is not a port (1-65525)"))))))

(def spec
  "The options, in clojure.tools.cli's form."
  [[nil "--cluster NAME" "Hazelcast cluster name; members join only their own cluster"]
   [nil "--port N" "First port the member binds; it takes the first free one of the ten from N"
    :parse-fn parse-port]
   [nil "--members LIST" "Where to find other members: host, host:port or host:port-port, comma-separated"]
   [nil "--bind HOST" "Interface the member binds; loopback unless told otherwise"]
   [nil "--nrepl-port N" "Also serve nREPL on this port, bound to 127.0.0.1" :parse-fn parse-port]
   [nil "--log-file PATH" "Where Hazelcast's log goes; - for standard error"]
   ["-h" "--help" "Show this help and exit"]])

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
    "Defaults: --cluster entangle --port 5701 --members 127.0.0.1:5701-5710 --bind 127.0.0.1;"
    "the log goes to <java.io.tmpdir>/entangle/<cluster>-<pid>.log."
    (str "Each option can also be set by an environment variable: "
         (str/join ", " (map (fn [[k v]] (str v " (--" (name k) ")")) env-vars)) ".")]))

(defn- env-args [env]
  (mapcat (fn [[k var]] (when-let [v (get env var)] [[var (str "--" (name k)) v]])) env-vars))

(defn parse
  "Parses `args` and the environment map `env`. Returns {:options {...}} to go on, or
  {:exit code :message text} to stop: 0 with the usage for --help, 2 with one line naming
  the first bad option."
  [args env]
  (let [from-env (reduce (fn [acc [var flag value]]
                           (let [{:keys [options errors]} (cli/parse-opts [flag value] spec :no-defaults true)]
                             (if (seq errors)
                               (reduced {:error (str var ": " (first errors))})
                               (merge acc options))))
                         {} (env-args env))
        {:keys [options arguments errors summary]} (cli/parse-opts args spec :no-defaults true)]
    (cond
      (:help options) {:exit 0 :message (usage summary)}
      (seq errors) {:exit 2 :message (str "entangle: " (first errors) " (see --help)")}
      (seq arguments) {:exit 2 :message (str "entangle: unexpected argument \"" (first arguments) "\" (see --help)")}
      (:error from-env) {:exit 2 :message (str "entangle: " (:error from-env))}
      :else {:options (merge defaults from-env options)})))
