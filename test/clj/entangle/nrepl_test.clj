(ns entangle.nrepl-test
  "nREPL against real members, with nREPL's own client: two clustered REPLs that also serve
  nREPL (clojure -M:repl --nrepl-port 0), a headless member (clojure -M:nrepl), and a user's
  own nREPL stack with entangle's middleware added. clojure.test runs these in no fixed order:
  each test defines what it uses."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing use-fixtures]]
            [nrepl.core :as nrepl])
  (:import (entangle.testing Projects ReplProcess TestCluster)
           (java.nio.file Files)
           (java.nio.file.attribute FileAttribute)))

(def ^:private cluster nil)
(def ^:private a "A's REPL process" nil)
(def ^:private b "B's REPL process" nil)
(def ^:private ports {})

(defn- nrepl-port [^ReplProcess p]
  (parse-long (.group (.awaitOut p "nREPL server started on port (\\d+) on host") 1)))

(def ^:private temp-dirs "The directories `temp-dir` made, removed once the tests have run." (atom []))

(defn- with-members [t]
  (let [c (TestCluster.)
        start #(.start c % [] ["--nrepl-port" "0"])]
    (try
      (let [pa (start "a") pb (start "b")]
        (with-redefs [cluster c a pa b pb ports {:a (nrepl-port pa) :b (nrepl-port pb)}]
          (t)))
      (finally
        (.close c)
        (doseq [d @temp-dirs, f (reverse (file-seq d))] (io/delete-file f true))
        (reset! temp-dirs [])))))

(use-fixtures :once with-members)

(defn- session
  "A new nREPL session on `member` (:a or :b), a fn that closes its connection, and the
  connection's client (for messages to other sessions: the session fn sets :session itself)."
  [member]
  (let [conn (nrepl/connect :port (ports member))
        client (nrepl/client conn 60000)]
    [(nrepl/client-session client) #(.close ^java.io.Closeable conn) client]))

(defn- send! [session msg]
  (nrepl/combine-responses (nrepl/message session msg)))

(defn- value [^ReplProcess p code] (.value (.eval p code)))

(deftest defn-over-nrepl-on-a-is-callable-from-b's-repl-and-b's-nrepl
  (let [[sa close-a] (session :a) [sb close-b] (session :b)]
    (try
      (is (= ["#'user/over-nrepl"] (:value (send! sa {:op "eval" :code "(defn over-nrepl [x] (* 2 x))"}))))
      (is (= "42" (value b "(over-nrepl 21)")))
      (is (= ["84"] (:value (send! sb {:op "eval" :code "(over-nrepl 42)"}))))
      (testing "and the reverse: B's terminal defines, A's nREPL calls"
        (value b "(defn from-b-terminal [] :b)")
        (is (= [":b"] (:value (send! sa {:op "eval" :code "(from-b-terminal)"})))))
      (finally (close-a) (close-b)))))

(deftest load-file-on-a-shares-its-namespace
  (let [[sa close-a] (session :a) [sb close-b] (session :b)
        text "(ns loaded.over-nrepl)\n\n(defn area\n  \"Of a square.\"\n  [side]\n  (* side side))\n"]
    (try
      (let [r (send! sa {:op "load-file" :file text :file-path "/src/loaded/over_nrepl.clj"
                         :file-name "over_nrepl.clj"})]
        (is (= ["#'loaded.over-nrepl/area"] (:value r))))
      (is (= ["9"] (:value (send! sb {:op "eval" :code "(loaded.over-nrepl/area 3)"}))))
      (is (= "16" (value b "(loaded.over-nrepl/area 4)")))
      (is (= "\"(defn area\\n  \\\"Of a square.\\\"\\n  [side]\\n  (* side side))\""
             (value b "(:source (entangle.core/provenance #'loaded.over-nrepl/area))")))
      (finally (close-a) (close-b)))))

(deftest an-editors-eval-from-a-file-shares-the-code-it-sent-as-the-source
  ;; An editor evaluating a form from a file sends it with :file and :line; the buffer may not
  ;; be saved, so what the file holds on disk at that line is not what was defined.
  (let [[sa close-a] (session :a)
        f (Files/createTempFile "entangle-unsaved" ".clj" (make-array FileAttribute 0))
        path (str f)]
    (try
      (spit path "(ns user)\n\n(defn unsaved-area [r] :as-saved)\n")
      (is (= ["#'user/unsaved-area" "#'user/unsaved-added"]
             (:value (send! sa {:op "eval" :file path :line 3 :column 1
                                :code "(defn unsaved-area [r]\n  (* 3 r r))\n(defn unsaved-added [] :new)"}))))
      (is (= "12" (value b "(unsaved-area 2)")))
      (is (= "\"(defn unsaved-area [r]\\n  (* 3 r r))\""
             (value b "(:source (entangle.core/provenance #'user/unsaved-area))")))
      (is (= "\"(defn unsaved-added [] :new)\""
             (value b "(:source (entangle.core/provenance #'user/unsaved-added))")))
      (testing "code sent without a file: each var's source is its own form, not the whole code"
        (send! sa {:op "eval" :code "(def no-file-one 1) (def no-file-two 2)"})
        (is (= "\"(def no-file-two 2)\""
               (value b "(:source (entangle.core/provenance #'user/no-file-two))"))))
      (finally (close-a) (Files/deleteIfExists f)))))

(deftest sessions-keep-their-own-output
  (let [[s1 close-1] (session :a) [s2 close-2] (session :a)]
    (try
      (send! s1 {:op "eval" :code "(defn shout [s] (println (str s \"!\")) (binding [*out* *err*] (println \"to err\")) :shouted)"})
      (let [r1 (send! s1 {:op "eval" :code "(shout \"one\")"})
            r2 (send! s2 {:op "eval" :code "(shout \"two\")"})]
        (is (= "one!\n" (:out r1)))
        (is (= "to err\n" (:err r1)))
        (is (= "two!\n" (:out r2)))
        (is (= [":shouted"] (:value r2))))
      (value a "nil")
      (is (not (str/includes? (.allOut ^ReplProcess a) "one!")) "nothing on A's terminal")
      (finally (close-1) (close-2)))))

(deftest what-another-session-shares-of-an-eval-still-running-keeps-that-eval's-forms
  ;; An editor's two sessions on one member: an eval in the second shares what the first, still
  ;; running, has defined so far. (Before, those vars took the second's text as their source:
  ;; `e?`, the symbol at the first's column there, and the whole of it.)
  (let [[s1 close-1] (session :a) [s2 close-2] (session :a)
        source #(str "(with-out-str (clojure.repl/source " % "))")]
    (try
      (send! s2 {:op "eval" :code "(def ^:entangle/local release-first (promise))"})
      (let [first-eval (future (send! s1 {:op "eval" :code (str "(do (defn held-open [] 1) (def held-data {:n 1})"
                                                                " @release-first :released)")}))]
        (loop [tries 200]
          (when (and (pos? tries) (not= ["true"] (:value (send! s2 {:op "eval" :code "(some? (resolve 'held-data))"}))))
            (Thread/sleep 50)
            (recur (dec tries))))
        (is (= ["#'user/later-session"] (:value (send! s2 {:op "eval" :code "(defn later-session [] 2)"}))))
        (doseq [p [a b]]
          (is (= "\"(defn held-open [] 1)\\n\"" (value p (source "held-open"))))
          (is (= "\"(def held-data {:n 1})\\n\"" (value p (source "held-data"))))
          (is (= "\"(defn later-session [] 2)\\n\"" (value p (source "later-session")))))
        (send! s2 {:op "eval" :code "(deliver release-first :go)"})
        (is (= [":released"] (:value (deref first-eval 30000 nil)))))
      (finally (close-1) (close-2)))))

(deftest an-error-then-more-evals-in-the-same-session
  (let [[s close] (session :a)]
    (try
      (let [r (send! s {:op "eval" :code "(/ 1 0)"})]
        (is (contains? (:status r) "eval-error"))
        (is (= "class java.lang.ArithmeticException" (:ex r)))
        (is (= "class java.lang.ArithmeticException" (:root-ex r)))
        (is (str/includes? (:err r) "Divide by zero")))
      (is (= ["3"] (:value (send! s {:op "eval" :code "(+ 1 2)"}))))
      (testing "a value that stayed on another member gives its sentence over nREPL too"
        (value b "(def b-socket (java.net.ServerSocket. 0))")
        (let [r (send! s {:op "eval" :code "(.getLocalPort b-socket)"})]
          (is (contains? (:status r) "eval-error"))
          (is (str/includes? (:err r) "#'user/b-socket holds a java.net.ServerSocket on member"))))
      (finally (close)))))

(deftest interrupting-a-long-eval
  (let [[s close] (session :a)]
    (try
      (let [id "long-running"
            pending (future (doall (nrepl/message s {:op "eval" :id id :code "(do (Thread/sleep 60000) :never)"})))]
        (Thread/sleep 1000)
        (is (contains? (:status (send! s {:op "interrupt" :interrupt-id id})) "done"))
        (is (contains? (:status (nrepl/combine-responses (deref pending 30000 nil))) "interrupted")))
      (is (= [":after"] (:value (send! s {:op "eval" :code ":after"}))))
      (finally (close)))))

(deftest eval-on-answers-as-each-member-does-and-an-interrupt-cancels-the-rest
  ;; An editor's interrupt of an entangle/eval-on, by its message id as for an eval: nREPL's
  ;; session answered session-idle (the op did not run as the session's evaluation), and the
  ;; members went on evaluating until the op's 60 s ran out. The members' results came all at
  ;; the end, a quick member's behind a slow one's. And on a loaded machine the results of the
  ;; members that had not answered came after nREPL's interrupted and done (which it sends 100 ms
  ;; after it interrupts the op's thread), where a client no longer reads.
  (let [[s close] (session :a)
        address-of #(str/replace (value % "(first (entangle.core/members))") "\"" "")
        addr-a (address-of a) addr-b (address-of b)
        id "eval-on-to-interrupt"]
    (try
      ;; A counter of its own on each member.
      (send! s {:op "entangle/eval-on" :member "all" :code "(def ^:entangle/local eval-on-interrupted (atom 0))"})
      (let [started (System/nanoTime)
            responses (nrepl/message s {:op "entangle/eval-on" :id id :member "all"
                                        :code (str "(if (= \"" addr-a "\" (first (entangle.core/members))) :quick"
                                                   " (try (Thread/sleep 60000) :slept"
                                                   " (catch InterruptedException _ (swap! eval-on-interrupted inc) :interrupted)))")})
            first-response (deref (future (first responses)) 20000 nil)]
        (is (= [addr-a ":quick"] ((juxt :member :value) first-response)) "A's result, while the others sleep")
        (.awaitValue ^ReplProcess b "(some #(= \"entangle.cluster.RemoteEval\" (.getClassName ^StackTraceElement %)) (mapcat identity (vals (Thread/getAllStackTraces))))" "true")
        (let [r (send! s {:op "interrupt" :interrupt-id id})]
          (is (= #{"done"} (set (:status r))) (pr-str r)))
        (let [rs (deref (future (doall responses)) 20000 nil)
              by-member (into {} (keep (fn [r] (when (:member r) [(:member r) r]))) rs)]
          (is (some? rs) "the eval-on ended")
          (is (< (- (System/nanoTime) started) 30e9) "well before the op's 60 s")
          (is (= #{"interrupted" "done"} (set (:status (last rs)))) (pr-str rs))
          (is (= "java.lang.InterruptedException" (get-in by-member [addr-b :ex])) (pr-str (by-member addr-b)))
          (is (= (str "interrupted before member " addr-b " answered; the evaluation was cancelled there")
                 (get-in by-member [addr-b :err])))))
      (.awaitValue ^ReplProcess b "@eval-on-interrupted" "1")
      (is (= "1" (value b "@eval-on-interrupted")) "B's evaluation was interrupted")
      (is (= "0" (value a "@eval-on-interrupted")))
      (testing "the session goes on"
        (is (contains? (set (:status (send! s {:op "interrupt" :interrupt-id id}))) "session-idle"))
        (is (= [":after"] (:value (send! s {:op "eval" :code ":after"})))))
      (finally (close)))))

(deftest an-eval-waiting-for-a-stopped-member-says-so-in-its-session-while-it-waits
  ;; A third member, stopped (Ctrl-Z): the eval returns once the cluster has left it out, and
  ;; the session hears why it waits before it gets the value, not A's terminal.
  (let [^ReplProcess c (.start ^TestCluster cluster "c")
        c-address (value c "(symbol (.address (entangle.core/member)))")
        signal #(is (zero? (.waitFor (.start (ProcessBuilder. ["kill" % (str (.pid c))])))))
        [s close] (session :a)]
    (try
      (signal "-STOP")
      (let [responses (vec (nrepl/message s {:op "eval" :code "(defn while-c-is-stopped [] :over-nrepl)"}))
            err-at (first (keep-indexed #(when (:err %2) %1) responses))
            value-at (first (keep-indexed #(when (:value %2) %1) responses))]
        (is (some? err-at) (pr-str responses))
        (is (re-matches (re-pattern (str "entangle: waiting for member \\Q" c-address "\\E, silent for \\d+ s"
                                         " \\(stopped with Ctrl-Z, paused, or cut off\\): .*\n"))
                        (str (some-> err-at responses :err))))
        (is (and err-at value-at (< err-at value-at)) "told while it waits, before the value")
        (is (= "#'user/while-c-is-stopped" (some-> value-at responses :value))))
      (is (= ":over-nrepl" (value b "(while-c-is-stopped)")))
      (is (not (str/includes? (.allErr a) "waiting for member")) "nothing on A's terminal")
      (finally (close) (.kill9 c)))))

(deftest interrupting-an-eval-that-waits-for-a-stopped-member-ends-the-wait
  ;; Hazelcast's futures park again when interrupted: the interrupted eval went on waiting for
  ;; the stopped member, named it a few seconds later, and nREPL stopped its thread after 5 s.
  (let [^ReplProcess c (.start ^TestCluster cluster "c")
        c-address (value c "(symbol (.address (entangle.core/member)))")
        signal #(is (zero? (.waitFor (.start (ProcessBuilder. ["kill" % (str (.pid c))])))))
        conn (nrepl/connect :port (ports :a))
        client (nrepl/client conn 5000)
        s (nrepl/client-session client)
        id "waits-for-c"]
    (try
      (signal "-STOP")
      (let [pending (future (doall (nrepl/message s {:op "eval" :id id
                                                     :code "(defn interrupted-while-c-is-stopped [] :a)"})))]
        (Thread/sleep 1000)
        (is (contains? (:status (send! s {:op "interrupt" :interrupt-id id})) "done"))
        (let [until-done (deref pending 30000 nil)
              ;; what the eval sent after nREPL answered the interrupt: until 5 s pass without a message
              after (doall (filter #(= id (:id %)) (client)))
              err (apply str (keep :err (concat until-done after)))]
          (is (contains? (:status (nrepl/combine-responses until-done)) "interrupted"))
          (is (re-find (re-pattern (str "entangle: (?:these definitions are in place on this member but could not be"
                                        " shared with the cluster \\(interrupted while (?:writing user/interrupted-while-c-is-stopped"
                                        "|storing unit \\w+)\\); the next evaluation tries again"
                                        "|interrupted while waiting for member \\Q" c-address "\\E to apply these"
                                        " definitions: they are in the cluster's maps, where it reads them)"))
                       err)
              err)
          (is (not (str/includes? err "entangle: waiting for member")) err)))
      (signal "-CONT")
      (is (= ["#'user/after-the-interrupt"] (:value (send! s {:op "eval" :code "(defn after-the-interrupt [] :a)"}))))
      (is (= "[:a :a]" (value b "[(interrupted-while-c-is-stopped) (after-the-interrupt)]")))
      (finally (.close ^java.io.Closeable conn) (.kill9 c)))))

(deftest clone-close-and-describe-keep-working
  (let [[s close client] (session :a)]
    (try
      (send! s {:op "eval" :code "(def ^:dynamic *where* :outer)"})
      (let [cloned (:new-session (send! s {:op "clone"}))]
        (is (string? cloned))
        (is (= [":outer"] (:value (send! client {:op "eval" :session cloned :code "*where*"}))))
        (is (contains? (:status (send! client {:op "close" :session cloned})) "session-closed")))
      (let [ops (:ops (send! s {:op "describe" :verbose? "true"}))]
        (is (= #{} (set (remove #(contains? ops %) [:eval :load-file :interrupt :clone :close :entangle/members
                                                     :entangle/eval-on :entangle/provenance])))
            (str "ops: " (pr-str (keys ops))))
        (is (str/starts-with? (get-in ops [:entangle/eval-on :doc]) "Evaluates code on one member")))
      (finally (close)))))

(deftest cluster-ops-list-members-eval-on-them-and-say-where-a-var-was-defined
  (let [[s close] (session :a)
        address-of #(str/replace (value % "(first (entangle.core/members))") "\"" "")
        addr-a (address-of a) addr-b (address-of b)]
    (try
      ;; Other tests may have added members (a headless one, a user's own stack) before this one.
      (testing "members, with their nREPL ports"
        (let [members (:members (send! s {:op "entangle/members"}))
              member-b (first (filter #(= addr-b (:address %)) members))]
          (is (= addr-a (:address (first members))) (pr-str members))
          (is (= (str "nrepl://127.0.0.1:" (ports :b)) (:nrepl member-b)) (pr-str members))
          (is (= "true" (:self (first members))))
          (is (not= "true" (:self member-b)))))
      (testing "eval on every member: each member's value and output"
        (let [rs (nrepl/message s {:op "entangle/eval-on" :member "all"
                                   :code "(println \"hello from\" (first (entangle.core/members))) (first (entangle.core/members))"})
              by-member (into {} (keep (fn [r] (when (:member r) [(:member r) r]))) rs)]
          (is (every? (set (keys by-member)) [addr-a addr-b]) (pr-str (keys by-member)))
          (is (= (pr-str addr-b) (get-in by-member [addr-b :value])))
          (is (= (str "hello from " addr-b "\n") (get-in by-member [addr-b :out])))))
      (testing "eval on one member; what it defines is shared"
        (let [r (send! s {:op "entangle/eval-on" :member addr-b :code "(defn made-by-eval-on [] :yes)"})]
          (is (= ["#'user/made-by-eval-on"] (:value r))))
        (is (= ":yes" (value a "(made-by-eval-on)"))))
      (testing "an error on a member comes back"
        (let [r (send! s {:op "entangle/eval-on" :member addr-b :code "(throw (ex-info \"bad on b\" {}))"})]
          (is (= "clojure.lang.ExceptionInfo" (:ex r)))
          (is (str/includes? (:err r) "bad on b")))
        ;; As the REPL prints it: a compiler exception's own message is only where it failed.
        (let [r (send! s {:op "entangle/eval-on" :member addr-b :code "(do (println :ran) (no-such-fn 1))"})]
          (is (= "clojure.lang.Compiler$CompilerException" (:ex r)))
          (is (= ":ran\n" (:out r)))
          (is (= "Syntax error compiling at (REPL:1:20).\nUnable to resolve symbol: no-such-fn in this context\n"
                 (:err r)))))
      (testing "where a var was defined"
        (value b "(defn defined-on-b \"Here.\" [] 1)")
        (let [r (send! s {:op "entangle/provenance" :sym "defined-on-b"})]
          (is (= addr-b (:member r)))
          (is (= "user/defined-on-b" (:var r)))
          (is (= "(defn defined-on-b \"Here.\" [] 1)" (:source r)))
          (is (re-matches #"\d{4}-\d\d-\d\dT.*Z" (:time r)))))
      (finally (close)))))

(deftest a-cluster-op-without-its-required-parameter-or-with-one-not-a-string-is-an-error-naming-it
  (let [[s close] (session :a)]
    (try
      (is (= #{"error" "no-code" "done"} (set (:status (send! s {:op "entangle/eval-on"})))))
      ;; A parameter of another type than a string is named, not a ClassCastException's dump.
      (let [r (send! s {:op "entangle/eval-on" :code "(+ 1 2)" :member 5})]
        (is (= #{"error" "done"} (set (:status r))))
        (is (= "entangle/eval-on: member must be a string (a member's address, host:port, or \"all\"), not 5"
               (:err r))))
      (is (= "entangle/eval-on: code must be a string, not 5"
             (:err (send! s {:op "entangle/eval-on" :code 5}))))
      ;; Not no-info, the answer for a var no member defined.
      (is (= #{"error" "no-sym" "done"} (set (:status (send! s {:op "entangle/provenance"})))))
      (is (= #{"no-info" "done"} (set (:status (send! s {:op "entangle/provenance" :sym "never-defined-anywhere"})))))
      (finally (close)))))

(deftest eval-on-in-a-namespace-no-member-has-is-an-error-from-each-member
  ;; Not an evaluation in user instead: a def there would land in the wrong namespace.
  (let [[s close] (session :a)
        address-of #(str/replace (value % "(first (entangle.core/members))") "\"" "")]
    (try
      (let [rs (nrepl/message s {:op "entangle/eval-on" :member "all" :ns "no.such.namespace"
                                 :code "(def landed-somewhere :oops)"})
            by-member (into {} (keep (fn [r] (when (:member r) [(:member r) r]))) rs)]
        ;; Every member: A, B, and those other tests started.
        (is (every? (set (keys by-member)) [(address-of a) (address-of b)]))
        (doseq [[_ r] by-member]
          (is (= "java.lang.Exception" (:ex r)))
          (is (= "No namespace: no.such.namespace found" (:err r)))
          (is (nil? (:value r))))
        (is (some #{"done"} (:status (last rs)))))
      (is (= "nil" (value a "(resolve 'user/landed-somewhere)")))
      (is (= "nil" (value b "(resolve 'user/landed-somewhere)")))
      (finally (close)))))

(defn- temp-dir []
  (let [d (.toFile (Files/createTempDirectory "entangle-nrepl" (make-array FileAttribute 0)))]
    (swap! temp-dirs conj d)
    d))

(defn- headless
  "A headless member (clojure -M:nrepl) started in the project's directory, and its nREPL port."
  [name]
  (let [p (.adopt ^TestCluster cluster
                  (ReplProcess/service name ["clojure" "-M:nrepl"] (Projects/dir) (.environment ^TestCluster cluster name)))]
    [p (parse-long (.group (.awaitOut p "nREPL server started on port (\\d+) on host \\S+ - nrepl://") 1))]))

(deftest headless-member-serves-nrepl-and-writes-the-port-file
  (let [port-file (io/file (str (Projects/dir)) ".nrepl-port")
        [p port] (headless "headless")]
    ;; Before nREPL's line, the member it is and the cluster it joined, as a REPL's first line.
    (is (re-find (re-pattern (str "(?m)^entangle member 127\\.0\\.0\\.1:\\d+ of cluster "
                                  (java.util.regex.Pattern/quote (.name ^TestCluster cluster))
                                  " \\(\\d+ other members?\\)\n"))
                 (.allOut ^ReplProcess p)))
    (is (= (str port) (str/trim (slurp port-file))))
    (with-open [conn (nrepl/connect :port port)]
      (let [s (nrepl/client-session (nrepl/client conn 60000))]
        (is (= ["#'user/from-headless"] (:value (send! s {:op "eval" :code "(defn from-headless [] :headless)"}))))
        (is (= ":headless" (value b "(from-headless)")))))
    (testing "a second headless member in the same directory takes the port file over: the first
              leaves it to the second as it exits, and the second removes it"
      (let [[q port-2] (headless "headless-2")]
        (is (= (str port-2) (str/trim (slurp port-file))))
        (.close ^ReplProcess p)
        (is (= (str port-2) (when (.exists port-file) (str/trim (slurp port-file)))))
        (.close ^ReplProcess q)
        (is (not (.exists port-file)))))))

(def ^:private own-stack-deps
  "The README's -Sdeps for a user's own nREPL stack: entangle, and the cluster's Clojure pinned."
  (str "{:deps {io.github.entangle/entangle {:local/root \"" (Projects/dir) "\"}"
       " org.clojure/clojure {:mvn/version \"1.12.6\"}}}"))

(defn- own-stack
  "A user's own nREPL stack with entangle's middleware, in the environment `env`, and its port."
  [name env]
  (let [p (.adopt ^TestCluster cluster
                  (ReplProcess/service name ["clojure" "-Sdeps" own-stack-deps "-M" "-m" "nrepl.cmdline"
                                             "--middleware" "[entangle.nrepl/wrap-entangle]"]
                                       (.toPath (temp-dir)) env))]
    [p (parse-long (.group (.awaitOut p "nREPL server started on port (\\d+)") 1))]))

(deftest the-middleware-in-a-users-own-nrepl-stack
  (value b "(defn defined-before-joining [] :b)")
  (let [[_ port] (own-stack "own-stack" (.environment ^TestCluster cluster "own-stack"))]
    (with-open [conn (nrepl/connect :port port)]
      (let [s (nrepl/client-session (nrepl/client conn 120000))]
        ;; The first message that needs the member joins the cluster, with the options of the
        ;; ENTANGLE_* variables.
        (is (= ["#'user/from-own-stack"] (:value (send! s {:op "eval" :code "(defn from-own-stack [] :own)"}))))
        (is (= ":own" (value a "(from-own-stack)")))
        (let [r (send! s {:op "eval" :code "(defined-before-joining)"})]
          (is (= [":b"] (:value r)) (pr-str r)))
        ;; Run from a directory without deps.edn, the README's command runs the cluster's Clojure.
        (is (= [(value a "(pr-str (clojure-version))")] (:value (send! s {:op "eval" :code "(pr-str (clojure-version))"}))))))))

(deftest the-middleware-answers-a-message-when-it-cannot-join
  (testing "a bad ENTANGLE_* variable: describe answers; what needs the member gets the reason"
    (let [[_ port] (own-stack "own-stack-bad-env" (assoc (into {} (.environment ^TestCluster cluster "own-stack-bad-env"))
                                                         "ENTANGLE_PORT" "abc"))]
      (with-open [conn (nrepl/connect :port port)]
        (let [s (nrepl/client-session (nrepl/client conn 120000))]
          (is (contains? (:ops (send! s {:op "describe"})) :entangle/eval-on))
          (doseq [msg [{:op "eval" :code "(+ 1 2)"} {:op "load-file" :file "(ns x)" :file-path "/x.clj"}
                       {:op "entangle/members"} {:op "eval" :code "(+ 1 2)"}]]
            (let [r (send! s msg)]
              (is (= "entangle: ENTANGLE_PORT: 'abc' is not a port (1-65535)\n" (:err r)) (pr-str msg))
              (is (= #{"error" "done"} (:status r)) (pr-str msg))
              (is (nil? (:value r)))))))))
  (testing "a join that failed because its ports were in use is tried again by the next message"
    (let [base (TestCluster/freePortBlock)
          held (mapv #(java.net.ServerSocket. (int %) 1 (java.net.InetAddress/getByName "127.0.0.1"))
                     (range base (+ base 10)))
          env (assoc (into {} (.environment ^TestCluster cluster "own-stack-busy")) "ENTANGLE_PORT" (str base))
          [_ port] (own-stack "own-stack-busy" env)]
      (try
        (with-open [conn (nrepl/connect :port port)]
          (let [s (nrepl/client-session (nrepl/client conn 120000))
                r (send! s {:op "eval" :code "(defn from-a-busy-stack [] :joined)"})]
            (is (= (str "entangle: cannot bind a member to 127.0.0.1 ports " base "-" (+ base 9) ": all are in use"
                        " or the address is not this machine's (choose others with ENTANGLE_PORT or ENTANGLE_BIND)\n")
                   (:err r)))
            (is (= #{"error" "done"} (:status r)))
            (run! #(.close ^java.io.Closeable %) held)
            (is (= ["#'user/from-a-busy-stack"] (:value (send! s {:op "eval" :code "(defn from-a-busy-stack [] :joined)"}))))
            (is (= ":joined" (value a "(from-a-busy-stack)")))))
        (finally (run! #(.close ^java.io.Closeable %) held))))))

(deftest after-stop!-the-middleware-does-not-join-again
  ;; The middleware joins on the first message only: after the user left, an eval that joined
  ;; again (with the ENTANGLE_* variables, which need not be the options the member had) would
  ;; share what the user meant to keep.
  (let [[_ port] (own-stack "own-stack-leaving" (.environment ^TestCluster cluster "own-stack-leaving"))]
    (with-open [conn (nrepl/connect :port port)]
      (let [s (nrepl/client-session (nrepl/client conn 120000))
            ev #(send! s {:op "eval" :code %})]
        (is (= ["#'user/counter-before-leaving" "1"]
               (:value (ev "(def counter-before-leaving (atom 0)) (swap! counter-before-leaving inc)"))))
        (is (re-matches (re-pattern (str "\"entangle member 127\\.0\\.0\\.1:\\d+ of cluster "
                                         (.name ^TestCluster cluster) "\""))
                        (first (:value (ev "(str (entangle.core/member))")))))
        (is (= ["nil"] (:value (ev "(entangle.core/stop!)"))))
        (let [r (ev "(defn defined-after-leaving [] :alone) (defined-after-leaving)")]
          (is (= ["#'user/defined-after-leaving" ":alone"] (:value r)) (pr-str r))
          (is (nil? (:err r)) (pr-str r)))
        (is (= ["nil"] (:value (ev "(entangle.core/member)"))))
        (is (= "nil" (value a "(resolve 'user/defined-after-leaving)")))
        (let [r (ev "@counter-before-leaving")]
          (is (= (str "#'user/counter-before-leaving holds a cluster atom, whose value is the cluster's, and this JVM"
                      " left the cluster (entangle.core/stop!): join again (entangle.core/start!) to reach it, or"
                      " define #'user/counter-before-leaving again to make an atom of this JVM's own")
                 (some-> (:err r) str/split-lines last))
              (pr-str r)))
        (is (= "1" (value a "@counter-before-leaving")))
        (let [r (ev "((requiring-resolve 'entangle.remote/submit) (fn [] 1))")]
          (is (= (str "this JVM left the cluster (entangle.core/stop!); (entangle.core/start!) joins again")
                 (some-> (:err r) str/split-lines last))
              (pr-str r)))
        (let [r (send! s {:op "entangle/members"})]
          (is (= "entangle: this JVM left the cluster (entangle.core/stop!); (entangle.core/start!) joins again\n"
                 (:err r)))
          (is (= #{"error" "done"} (set (:status r)))))
        ;; As the sentence says: joined again, the cluster's atom is reached, and what was
        ;; defined while alone stays this JVM's.
        (is (= ["true"] (:value (ev "(some? (entangle.core/start-from-environment!))"))))
        (is (= ["2"] (:value (ev "(swap! counter-before-leaving inc)"))))
        (is (= "2" (value a "@counter-before-leaving")))
        (is (= ["#'user/defined-after-rejoining"] (:value (ev "(defn defined-after-rejoining [] :shared)")))))
      (is (= ":shared" (value a "(user/defined-after-rejoining)")))
      (is (= "nil" (value a "(resolve 'user/defined-after-leaving)"))))))

(deftest a-member-whose-hazelcast-shut-down-goes-on-alone-and-says-so
  ;; Hazelcast stopped under the member (the user's own (.shutdown (entangle.core/hazelcast))):
  ;; not a member whose every evaluation fails to share.
  (let [[^ReplProcess p port] (own-stack "own-stack-shut" (.environment ^TestCluster cluster "own-stack-shut"))
        said "entangle: this member's Hazelcast instance shut down, not by entangle.core/stop! (its log, "]
    (with-open [conn (nrepl/connect :port port)]
      (let [s (nrepl/client-session (nrepl/client conn 120000))
            ev #(send! s {:op "eval" :code %})]
        (is (= ["nil"] (:value (ev "(.shutdown (entangle.core/hazelcast))"))))
        (loop [i 0] (when (and (not (str/includes? (.allErr p) said)) (< i 300)) (Thread/sleep 100) (recur (inc i))))
        (is (str/includes? (.allErr p) (str said)) (.transcript p))
        (is (str/includes? (.allErr p) "says why): this JVM goes on alone, as after (entangle.core/stop!)")
            (.transcript p))
        (let [r (ev "(defn defined-after-the-shutdown [] :alone) (entangle.core/member)")]
          (is (= ["#'user/defined-after-the-shutdown" "nil"] (:value r)) (pr-str r))
          (is (nil? (:err r)) (pr-str r)))
        (is (= "nil" (value a "(resolve 'user/defined-after-the-shutdown)")))))))
