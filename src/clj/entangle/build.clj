(ns entangle.build
  "Keeps what a member runs current with entangle's source tree. `clojure -M:repl` and
  `clojure -M:nrepl` run target/repl/entangle.jar (see entangle.package), which cannot be
  rebuilt by the JVM that runs it: when a source is newer, they stop and say what to run.
  Run from the source directories instead (src/clj and target/classes on the classpath, as
  `clojure -Spath` gives), the classes in target/classes are recompiled from src/java, in
  this JVM, when a source is newer than them. A jar of entangle from elsewhere is left alone."
  (:require [clojure.java.io :as io]
            [clojure.string :as str])
  (:import (java.io File StringWriter)
           (javax.tools ToolProvider)))

(def repl-jar
  "Where entangle.package puts the jar the :repl and :nrepl aliases run, from the project
  directory."
  "target/repl/entangle.jar")

(defn files-ending
  "The files under `dir` whose names end with `suffix`."
  [^File dir suffix]
  (filter #(and (.isFile ^File %) (str/ends-with? (.getName ^File %) suffix)) (file-seq dir)))

(defn- class-files [^File dir]
  (files-ending (io/file dir "entangle") ".class"))

(defn- classpath []
  (map #(.getAbsoluteFile (io/file %))
       (str/split (System/getProperty "java.class.path") (re-pattern File/pathSeparator))))

(defn- project-of
  "The project directory of `entry` if `entry` is `path` (relative to it) inside entangle's
  source tree, else nil."
  [^File entry path]
  (let [depth (count (str/split path #"/"))
        root (nth (iterate #(some-> ^File % .getParentFile) entry) depth)]
    (when (and root (= (.getCanonicalFile entry) (.getCanonicalFile (io/file root path)))
               (.isDirectory (io/file root "src" "java")))
      (.getCanonicalFile ^File root))))

(defn source-tree
  "The {:src :classes} of the source tree this JVM runs from, or nil: a classpath entry that
  is a target/classes directory with ../../src/java beside it."
  []
  (some (fn [^File classes]
          (when-let [root (and (.isDirectory classes) (project-of classes "target/classes"))]
            {:src (io/file root "src" "java") :classes classes}))
        (classpath)))

(defn inputs
  "What entangle.package builds the jar from, in project directory `root`: the sources in
  src/clj and src/java, and deps.edn (it decides the versions compiled into the jar)."
  [^File root]
  (concat (files-ending (io/file root "src" "clj") ".clj")
          (files-ending (io/file root "src" "java") ".java")
          [(io/file root "deps.edn")]))

(defn newer-than
  "The first of `files` modified after `target` (a file), or nil."
  [files ^File target]
  (let [t (.lastModified target)]
    (first (filter #(> (.lastModified ^File %) t) files))))

(defn stale?
  "True if some source in `src` is newer than the oldest class in `classes`, or there are none."
  [src classes]
  (let [classes (class-files classes)]
    (or (empty? classes)
        (> (reduce max 0 (map #(.lastModified ^File %) (files-ending src ".java")))
           (reduce min Long/MAX_VALUE (map #(.lastModified ^File %) classes))))))

(defn- compile! [^File src ^File classes]
  (let [javac (or (ToolProvider/getSystemJavaCompiler)
                  (throw (ex-info "src/java changed and this Java has no compiler: run mvn compile" {})))
        out (StringWriter.)
        args (concat ["-d" (str classes) "-cp" (System/getProperty "java.class.path")
                      "--release" "17" "-nowarn" "-encoding" "UTF-8"]
                     (map str (files-ending src ".java")))
        status (.run javac nil out out (into-array String args))]
    (when-not (zero? status)
      (throw (ex-info (str "compiling src/java failed:\n" out) {})))))

(defn- ensure-jar-current! [^File jar ^File root]
  (when-let [changed (newer-than (inputs root) jar)]
    (throw (ex-info (str (.relativize (.toPath root) (.toPath (.getCanonicalFile ^File changed)))
                         " changed after " repl-jar " was built: rebuild it with mvn -q compile"
                         " (in " root "; .ci/setup runs it too)")
                    {:changed changed}))))

(defn- checkout
  "The directory of the entangle checkout this JVM loads entangle's namespaces from (as a
  project that names it runs them), or nil."
  []
  (let [url (io/resource "entangle/build.clj")]
    (when (= "file" (some-> url .getProtocol))
      (project-of (io/file (.toURI url)) "src/clj/entangle/build.clj"))))

(defn ensure-current!
  "Checks that what this JVM runs from entangle's source tree is current: the jar of the
  :repl alias (throws if a source is newer), or target/classes (recompiled if stale). Throws
  ex-info with a message for the user if it cannot."
  []
  (if-let [[jar root] (some #(when-let [root (project-of % repl-jar)] [% root]) (classpath))]
    (ensure-jar-current! jar root)
    (when-let [{:keys [src classes]} (source-tree)]
      (when (stale? src classes)
        (binding [*out* *err*]
          (println "entangle: src/java changed since it was compiled; compiling it into target/classes"))
        (compile! src classes))))
  (when-not (io/resource "entangle/Member.class")
    (throw (ex-info (str "entangle's Java runtime is not compiled: run mvn -q compile (or .ci/setup)"
                         " in " (or (some-> (checkout) str) "the entangle directory")) {}))))
