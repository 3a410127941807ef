(ns entangle.package
  "Builds what `clojure -M:repl` and `clojure -M:nrepl` run, so that a member's prompt comes
  quickly: target/repl/entangle.jar holds the Java runtime (target/classes), entangle's
  namespaces and tools.cli compiled ahead of time, and their sources; target/repl/entangle.jsa
  is a class-data sharing archive of the classes a member loads up to its prompt, which the
  aliases name with -XX:SharedArchiveFile. The JVM maps the archive only for the exact
  classpath and JVM it was made with, and quietly starts without it otherwise.

  Maven runs it after compiling (mvn compile, mvn test; .ci/setup too), from the project
  directory: `clojure -M -m entangle.package`. It does nothing when both files are newer than
  their inputs (entangle.build/inputs and target/classes) and the archive was made by the JVM
  it runs on (entangle.jsa.jvm beside it names that JVM)."
  (:require [clojure.edn :as edn]
            [clojure.java.io :as io]
            [clojure.string :as str]
            [entangle.build :as build])
  (:import (java.io File)
           (java.lang ProcessBuilder$Redirect)
           (java.net InetAddress ServerSocket)
           (java.nio.file Files StandardCopyOption)
           (java.util.jar JarEntry JarOutputStream Manifest)))

(def aot-namespaces
  "Compiled ahead of time: what a member loads before its prompt. entangle.nrepl is not:
  compiled code that implements nREPL's protocols would not see them, loaded from source."
  '[entangle.repl entangle.headless entangle.core entangle.remote])

(defn- aot-class?
  "Whether `path`, a class file the compilation wrote, goes into the jar: entangle's own and
  tools.cli's, not those of other libraries that compiling loaded on the way."
  [path]
  (or (str/starts-with? path "entangle/") (str/starts-with? path "clojure/tools/cli")))

(defn- start-process
  "Starts `command` in `dir`, its output and errors both to `log`."
  ^Process [command ^File dir ^File log]
  (-> (ProcessBuilder. ^java.util.List (vec command))
      (.directory dir)
      (.redirectErrorStream true)
      (.redirectOutput (ProcessBuilder$Redirect/to log))
      (.start)))

(defn- run-process!
  "Runs `command` in `dir` with `input` on its standard input; returns its output, or throws
  naming `what` with the output's end."
  [what command ^File dir input ^File log]
  (let [p (start-process command dir log)]
    (with-open [in (.getOutputStream p)] (spit in input))
    (let [status (.waitFor p)
          out (slurp log)]
      (when-not (zero? status)
        (throw (ex-info (str what " failed (exit " status "); the end of its output, in " log ":\n"
                             (subs out (max 0 (- (count out) 3000))))
                        {:status status})))
      out)))

(defn- java-command []
  (str (io/file (System/getProperty "java.home") "bin" "java")))

(defn- compile-ahead! [^File root ^File out]
  (run-process! "compiling entangle's namespaces ahead of time"
        [(java-command) "-cp" (str out File/pathSeparator (System/getProperty "java.class.path"))
         "clojure.main" "-e"
         (pr-str `(binding [*compile-path* ~(str out)]
                    (doseq [n# '~aot-namespaces] (compile n#))))]
        root "" (io/file (.getParentFile out) "compile.log")))

(defn- relative [^File root ^File f]
  (str/replace (str (.relativize (.toPath root) (.toPath f))) File/separatorChar \/))

(defn- write-jar!
  "Writes `jar` from `dirs` ([dir keep?] pairs); each entry keeps its file's time, which is
  how Clojure chooses between a namespace's class and its source."
  [^File jar dirs]
  (with-open [out (JarOutputStream. (io/output-stream jar)
                                    (doto (Manifest.)
                                      (-> .getMainAttributes (.putValue "Manifest-Version" "1.0"))))]
    (doseq [[^File dir keep?] dirs
            ^File f (sort (filter #(.isFile ^File %) (file-seq dir)))
            :let [path (relative dir f)]
            :when (keep? path)]
      (.putNextEntry out (doto (JarEntry. ^String path) (.setTime (.lastModified f))))
      (io/copy f out)
      (.closeEntry out))))

(defn- repl-alias [^File root]
  (get-in (edn/read-string (slurp (io/file root "deps.edn"))) [:aliases :repl]))

(defn- free-port []
  (with-open [s (ServerSocket. 0 1 (InetAddress/getLoopbackAddress))] (.getLocalPort s)))

(defn- await-prompt!
  "Waits until the output of member `p`, in `log`, shows its prompt; throws if it exits first."
  [^Process p ^File log]
  (let [deadline (+ (System/currentTimeMillis) 120000)]
    (loop []
      (cond (str/includes? (slurp log) "user=> ") nil
            (not (.isAlive p)) (throw (ex-info (str "the first member of the archiving cluster exited; see " log) {}))
            (> (System/currentTimeMillis) deadline) (throw (ex-info (str "the first member of the archiving cluster gave no prompt; see " log) {}))
            :else (do (Thread/sleep 50) (recur))))))

(defn- write-archive!
  "Starts two members as `clojure -M:repl` does, in a cluster of their own, and ends the
  second's input at its prompt: as the second JVM exits, it writes the classes it loaded to
  `archive`. The second joins the first because that is the start a prompt waits for longest
  (a member alone loads fewer classes)."
  [^File root ^File archive]
  (let [dir (.getParentFile archive)
        ;; The CLI may say things on standard error first (Debian's: no S3 transport).
        classpath (last (str/split-lines (run-process! "clojure -Spath -M:repl" ["clojure" "-Spath" "-M:repl"] root ""
                                                       (io/file dir "classpath.log"))))
        opts (remove #(str/starts-with? % "-XX:SharedArchiveFile=") (:jvm-opts (repl-alias root)))
        cluster (str "entangle-archive-" (random-uuid))
        [first-port second-port] [(free-port) (free-port)]
        member (fn [port log]
                 ["-cp" classpath "clojure.main" "-m" "entangle.repl" "--cluster" cluster "--port" (str port)
                  "--members" (str "127.0.0.1:" first-port ",127.0.0.1:" second-port)
                  "--log-file" (str (io/file dir log))])
        first-log (io/file dir "archive-first.log")
        first (start-process (concat [(java-command)] opts (member first-port "archive-first-member.log"))
                             root first-log)
        tmp (io/file (str archive ".tmp"))]
    (try
      (await-prompt! first first-log)
      (.delete tmp)
      (run-process! "a member's start, to archive its classes"
                    (concat [(java-command) (str "-XX:ArchiveClassesAtExit=" tmp)] opts
                            (member second-port "archive-member.log"))
                    root "(System/exit 0)\n" (io/file dir "archive.log"))
      (finally
        (.close (.getOutputStream first))
        (when-not (.waitFor first 30 java.util.concurrent.TimeUnit/SECONDS) (.destroyForcibly first))))
    (when-not (.isFile tmp)
      (throw (ex-info (str "the JVM wrote no class-data archive (" tmp "); see " (io/file dir "archive.log")) {})))
    (Files/move (.toPath tmp) (.toPath archive)
                (into-array [StandardCopyOption/REPLACE_EXISTING StandardCopyOption/ATOMIC_MOVE]))))

(defn- jvm-identity
  "The JVM this runs on, which is the one the archive is made with: the JVM maps an archive
  only into the JVM that made it, so after a JDK upgrade it must be made again."
  []
  (str/join "\n" (map #(str % "=" (System/getProperty %)) ["java.home" "java.vm.vendor" "java.vm.version"])))

(defn package!
  "Builds target/repl/entangle.jar and target/repl/entangle.jsa in project directory `root`
  unless both are newer than their inputs and the archive was made by this JVM. Returns
  :built or :current."
  [^File root]
  (let [dir (io/file root "target" "repl")
        jar (io/file root build/repl-jar)
        archive (io/file dir "entangle.jsa")
        made-by (io/file dir "entangle.jsa.jvm")
        classes (io/file root "target" "classes")
        inputs (concat (build/inputs root) (build/files-ending classes ""))]
    (if (and (.isFile jar) (.isFile archive) (not (build/newer-than inputs jar))
             (>= (.lastModified archive) (.lastModified jar))
             (.isFile made-by) (= (slurp made-by) (jvm-identity)))
      :current
      (let [aot (io/file dir "aot")
            tmp-jar (io/file (str jar ".tmp"))]
        (when-not (io/resource "entangle/Member.class")
          (throw (ex-info "target/classes holds no compiled Java runtime: run mvn compile" {})))
        (doseq [^File f (reverse (file-seq aot))] (.delete f))
        (.mkdirs aot)
        (compile-ahead! root aot)
        (write-jar! tmp-jar [[classes #(not (str/ends-with? % ".clj"))]
                             [aot aot-class?]
                             [(io/file root "src" "clj") #(str/ends-with? % ".clj")]])
        (Files/move (.toPath tmp-jar) (.toPath jar)
                    (into-array [StandardCopyOption/REPLACE_EXISTING StandardCopyOption/ATOMIC_MOVE]))
        (.delete made-by)
        (write-archive! root archive)
        (spit made-by (jvm-identity))
        :built))))

(defn -main
  "Builds the :repl alias's jar and archive in the current directory; prints what it did."
  [& _]
  (try
    (let [t0 (System/nanoTime)
          result (package! (.getCanonicalFile (io/file ".")))]
      (println (if (= result :built)
                 (format "entangle.package: built %s and target/repl/entangle.jsa in %.1f s"
                         build/repl-jar (/ (- (System/nanoTime) t0) 1e9))
                 (str "entangle.package: " build/repl-jar " is current")))
      (shutdown-agents)
      (System/exit 0))
    (catch clojure.lang.ExceptionInfo e
      (binding [*out* *err*] (println (str "entangle.package: " (ex-message e))))
      (System/exit 1))))
