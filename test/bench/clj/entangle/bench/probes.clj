(ns entangle.bench.probes
  "What the benchmark harness (entangle.bench.Benchmarks) measures inside member JVMs, and in
  plain Clojure JVMs for comparison. Times are System/nanoTime, one clock for every process of
  the machine (CLOCK_MONOTONIC), so a time taken in one member compares with one taken in
  another. entangle's own namespaces are never shared: each JVM loads its own copy of this one.
  Every function returns data the harness reads back as EDN."
  (:import (java.lang.management ManagementFactory MemoryPoolMXBean)
           (java.util.concurrent ConcurrentHashMap CountDownLatch Semaphore TimeUnit)
           (java.util.function BiConsumer)))

(defn- member [] ((requiring-resolve 'entangle.core/member)))
(defn- hazelcast [] ((requiring-resolve 'entangle.core/hazelcast)))

(defn definition
  "The source of the i-th definition of `kind`, whose value at 0 is i, so that whoever receives
  it can tell which one it is. :one-line is user/bench-f, the smallest defn there is. :typical is
  user/bench-g, a defn of the size REPL work is made of: nine lines, the median among the 227
  defns of nREPL 1.0's own sources, after one of them (nrepl.util.completion/scoped-candidates),
  with the fns inside it that such code has (three of them, four classes in all); it answers a
  number with that number plus i."
  ([i] (definition :one-line i))
  ([kind i]
   (case kind
     :one-line (str "(defn bench-f [x] (+ x " i "))")
     :typical (str "(defn bench-g
  \"Completion candidates for a prefix scoped by a namespace or alias, as in foo/ba.\"
  [prefix]
  (if (number? prefix)
    (+ prefix " i ")
    (when-let [scope (first (.split ^String prefix \"/\"))]
      (let [scope (symbol scope)]
        (map #(update % :candidate (fn [c] (str scope \"/\" c)))
             (when-let [ns (or (find-ns scope) (get (ns-aliases *ns*) scope))]
               (map (fn [[k _]] {:candidate (name k) :type :var}) (ns-publics ns))))))))"))))

(def ^:private definition-var '{:one-line user/bench-f, :typical user/bench-g})

;; ------------------------------------------------------------------- P2, P3: definitions

(defonce ^{:doc "Definition number -> when it became callable here."} arrivals (ConcurrentHashMap.))

(defn watch-definitions!
  "On the receiving member: records when each definition of `kind` arrives (after a first one
  exists)."
  ([] (watch-definitions! :one-line))
  ([kind]
   (.clear arrivals)
   (add-watch (resolve (definition-var kind)) ::arrival
              (fn [_ _ _ f] (.put arrivals (f 0) (System/nanoTime))))
   :watching))

(defn define-loop
  "On the defining member: evaluates definitions `from`..`to` one at a time as the clustered
  REPL does (each returns once every member has it); returns [[i started returned] ...]."
  ([from to pause-ms] (define-loop :one-line from to pause-ms))
  ([kind from to pause-ms]
   (let [eval-code (requiring-resolve 'entangle.core/eval-code)]
     (vec (for [i (range from (inc to))]
            (let [t0 (System/nanoTime)
                  _ (eval-code (definition kind i) "user")
                  t1 (System/nanoTime)]
              (when (pos? pause-ms) (Thread/sleep (long pause-ms)))
              [i t0 t1]))))))

(defn arrived
  "The arrivals recorded here, as {i nanos}."
  [m]
  (into (sorted-map) m))

(defn plain-eval-loop
  "In a plain Clojure JVM: evaluates definitions `from`..`to` in user, `pause-ms` apart as
  define-loop does (an evaluation that follows a pause takes about twice as long as one that
  follows another at once: caches and idle cores go cold); returns each one's duration in
  nanoseconds."
  ([from to] (plain-eval-loop from to 0))
  ([from to pause-ms] (plain-eval-loop :one-line from to pause-ms))
  ([kind from to pause-ms]
   (binding [*ns* (the-ns 'user)]
     (vec (for [i (range from (inc to))]
            (let [t0 (System/nanoTime)
                  _ (eval (read-string (definition kind i)))
                  t (- (System/nanoTime) t0)]
              (when (pos? pause-ms) (Thread/sleep (long pause-ms)))
              t))))))

;; ------------------------------------------------------------------- P2: the floor

(defonce ^{:doc "Put number -> when its entry event arrived here."} floor-arrivals (ConcurrentHashMap.))

(defn listen-floor!
  "On the receiving member: records when each entry event of the map bench.floor arrives."
  []
  (.clear floor-arrivals)
  (.addEntryListener (.getMap (hazelcast) "bench.floor")
                     (reify com.hazelcast.map.listener.EntryAddedListener
                       (entryAdded [_ e] (.put floor-arrivals (.getValue e) (System/nanoTime))))
                     true)
  :listening)

(defn floor-loop
  "On the sending member: puts entries 1..n into bench.floor; returns [[i started] ...]."
  [n pause-ms]
  (let [m (.getMap (hazelcast) "bench.floor")]
    (vec (for [i (range 1 (inc n))]
           (let [t0 (System/nanoTime)]
             (.put m (str "k" i) (long i))
             (when (pos? pause-ms) (Thread/sleep (long pause-ms)))
             [i t0])))))

;; ------------------------------------------------------------------- P2: the naive way

(defonce ^{:doc "Definition number -> when its broadcast source was evaluated here."} naive-arrivals (ConcurrentHashMap.))

(defn- naive-ns []
  ;; An entangle.* namespace is never shared: the naive way must not ride on entangle's.
  (or (find-ns 'entangle.bench.naive)
      (binding [*ns* *ns*] (in-ns 'entangle.bench.naive) (refer-clojure) *ns*)))

(defn listen-naive!
  "On every member: evaluates each source text broadcast on the topic bench.naive, and records
  when it is defined here."
  []
  (.clear naive-arrivals)
  (let [ns (naive-ns)]
    (.addMessageListener (.getTopic (hazelcast) "bench.naive")
                         (reify com.hazelcast.topic.MessageListener
                           (onMessage [_ m]
                             (let [[i text] (read-string (.getMessageObject m))]
                               (binding [*ns* ns] (load-string text))
                               (.put naive-arrivals i (System/nanoTime)))))))
  :listening)

(defn naive-loop
  "On the defining member: broadcasts definitions 1..n of `kind` as source text; returns
  [[i started] ...]."
  ([n pause-ms] (naive-loop :one-line n pause-ms))
  ([kind n pause-ms]
   (let [t (.getTopic (hazelcast) "bench.naive")]
     (vec (for [i (range 1 (inc n))]
            (let [t0 (System/nanoTime)]
              (.publish t (pr-str [i (definition kind i)]))
              (when (pos? pause-ms) (Thread/sleep (long pause-ms)))
              [i t0]))))))

;; ------------------------------------------------------------------- P4: joining

(defn many-definitions-file
  "Writes a source file of namespace bench.many with n definitions; returns its path."
  [n]
  (let [f (java.io.File/createTempFile "entangle-bench-many" ".clj")]
    (.deleteOnExit f)
    (with-open [w (clojure.java.io/writer f)]
      (.write w "(ns bench.many)\n")
      (dotimes [i n]
        (.write w (str "(defn f" i " \"Definition " i ".\" [x] (+ x " i "))\n"))))
    (.getPath f)))

(defn timed-load
  "Loads a file as plain Clojure does; returns how long it took, in milliseconds."
  [path]
  (let [t0 (System/nanoTime)]
    (load-file path)
    (/ (- (System/nanoTime) t0) 1e6)))

(defn join-millis
  "How long this member took to join, by phase."
  []
  (into {} (.joinMillis (member))))

;; ------------------------------------------------------------------- P5: closures on members

(defn- run-window
  "Submits n tasks through `submit` (called with i, returning a CompletableFuture), at most
  `window` in flight; returns tasks per second."
  [n window submit]
  (let [sem (Semaphore. (int window))
        done (CountDownLatch. (int n))
        failures (atom 0)
        t0 (System/nanoTime)]
    (dotimes [i n]
      (.acquire sem)
      (.whenComplete ^java.util.concurrent.CompletableFuture (submit i)
                     (reify BiConsumer
                       (accept [_ _ e]
                         (when e (swap! failures inc))
                         (.release sem)
                         (.countDown done)))))
    (.await done)
    (when (pos? @failures) (throw (ex-info (str @failures " tasks failed") {})))
    (/ n (/ (- (System/nanoTime) t0) 1e9))))

(defn entangle-throughput
  "Runs n closures (each capturing its own number) round-robin on every member, with entangle.remote."
  [n window]
  (let [submit-to-member (requiring-resolve 'entangle.remote/submit-to-member)
        members (vec (.members (member)))]
    (run-window n window (fn [i] (submit-to-member (members (mod i (count members))) (let [x i] (fn [] (* x x))))))))

(defn hazelcast-throughput
  "Runs n precompiled Java Callables (entangle.bench.SquareTask) round-robin on every member,
  with Hazelcast's executor."
  [n window]
  (let [h (hazelcast)
        exec (.getExecutorService h "bench.plain")
        members (vec (.getMembers (.getCluster h)))]
    (run-window n window (fn [i] (.submitToMember exec (entangle.bench.SquareTask. i) (members (mod i (count members))))))))

;; ------------------------------------------------------------------- P6: metaspace

(defn metaspace-after-gc
  "Bytes of metaspace in use after full collections (which unload classes nothing reaches)."
  []
  (dotimes [_ 4] (System/gc) (Thread/sleep 200))
  (some (fn [^MemoryPoolMXBean p] (when (= "Metaspace" (.getName p)) (.getUsed (.getUsage p))))
        (ManagementFactory/getMemoryPoolMXBeans)))

(defn classes-loaded
  "Classes loaded now."
  []
  (.getLoadedClassCount (ManagementFactory/getClassLoadingMXBean)))

(defn metaspace-by-space-type
  "Metaspace in use by kind of class loader (jcmd's VM.metaspace by-spacetype), as
  {kind [loaders classes used-bytes]}: Standard loaders are where defined code lives (the
  application's and every unit's), Boot is the JDK's, ClassMirrorHolder holds hidden classes
  (lambda forms)."
  []
  (let [server (ManagementFactory/getPlatformMBeanServer)
        dcmd (javax.management.ObjectName. "com.sun.management:type=DiagnosticCommand")
        text (.invoke server dcmd "vmMetaspace" (object-array [(into-array String ["by-spacetype"])])
                      (into-array String ["[Ljava.lang.String;"]))
        bytes (fn [n unit] (long (* (Double/parseDouble n) ({"bytes" 1 "KB" 1024 "MB" 1048576 "GB" 1073741824} unit))))]
    (into (sorted-map)
          (for [[_ kind loaders classes body]
                (re-seq #"(?m)^(\w+) - (\d+) loaders?, (\d+) class(?:es)?.*\n((?:.*\n){3})" text)
                :let [[_ n unit] (re-find #"Both:.*?([\d.]+) (bytes|KB|MB|GB) \([^)]*\) used" body)]]
            [kind [(Long/parseLong loaders) (Long/parseLong classes) (bytes n unit)]]))))
