;; Imports `double` from the preloaded module `math`.
(module
  (import "math" "double" (func $double (param i32) (result i32)))
  (func (export "quad") (param i32) (result i32)
    (call $double (call $double (local.get 0)))))
