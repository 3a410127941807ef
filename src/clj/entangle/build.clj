(ns entangle.build
  "Keeps entangle's compiled Java runtime current when entangle runs from its own source tree
  (as `clojure -M:repl` does): the classes in target/classes are recompiled from src/java,
  in this JVM, when a source is newer than them. A jar of entangle has no src/java and is
  left alone."
  (:require [clojure.java.io :as io]
            [clojure.string :as str])
  (:import (java.io File StringWriter)
           (javax.tools ToolProvider)))

(defn- java-files [^File dir]
  (filter #(str/ends-with? (.getName ^File %) ".java") (file-seq dir)))

(defn- class-files [^File dir]
  (filter #(str/ends-with? (.getName ^File %) ".class") (file-seq (io/file dir "entangle"))))

(defn source-tree
  "The {:src :classes} of the source tree this JVM runs from, or nil: a classpath entry that
  is a target/classes directory with ../../src/java beside it."
  []
  (some (fn [entry]
          (let [classes (.getAbsoluteFile (io/file entry))
                src (io/file classes ".." ".." "src" "java")]
            (when (and (.isDirectory classes) (= "classes" (.getName classes))
                       (= "target" (.getName (.getParentFile classes))) (.isDirectory src))
              {:src (.getCanonicalFile src) :classes classes})))
        (str/split (System/getProperty "java.class.path") (re-pattern File/pathSeparator))))

(defn stale?
  "True if some source in `src` is newer than the oldest class in `classes`, or there are none."
  [src classes]
  (let [classes (class-files classes)]
    (or (empty? classes)
        (> (reduce max 0 (map #(.lastModified ^File %) (java-files src)))
           (reduce min Long/MAX_VALUE (map #(.lastModified ^File %) classes))))))

(defn- compile! [^File src ^File classes]
  (let [javac (or (ToolProvider/getSystemJavaCompiler)
                  (throw (ex-info "src/java changed and this Java has no compiler: run mvn compile" {})))
        out (StringWriter.)
        args (concat ["-d" (str classes) "-cp" (System/getProperty "java.class.path")
                      "--release" "17" "-nowarn" "-encoding" "UTF-8"]
                     (map str (java-files src)))
        status (.run javac nil out out (into-array String args))]
    (when-not (zero? status)
      (throw (ex-info (str "compiling src/java failed:\n" out) {})))))

(defn ensure-current!
  "Recompiles src/java into target/classes if this JVM runs from the source tree and they are
  stale. Throws ex-info with a message for the user if it cannot."
  []
  (when-let [{:keys [src classes]} (source-tree)]
    (when (stale? src classes)
      (binding [*out* *err*]
        (println "entangle: src/java changed since it was compiled; compiling it into target/classes"))
      (compile! src classes)))
  (when-not (io/resource "entangle/Member.class")
    (throw (ex-info (str "entangle's Java runtime is not compiled: run .ci/setup (or mvn compile)"
                         " in the entangle directory") {}))))
