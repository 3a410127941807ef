(ns shop.prices
  "A namespace of the project: each member loads it from its own classpath.")

(def vat-percent 20)

(defn with-vat
  "A net price in cents, with VAT."
  [net]
  (+ net (quot (* net vat-percent) 100)))
