;; A command whose `_start` traps (integer divide by zero) two calls deep, with mangled names
;; (Rust legacy and C++) in the name section, for the trap report.
(module
  (func $_ZN4core9panicking5panic17h0123456789abcdefE (param i32) (result i32)
    (i32.div_u (i32.const 1) (local.get 0)))
  (func $_Z6middlei (param i32) (result i32)
    (call $_ZN4core9panicking5panic17h0123456789abcdefE (local.get 0)))
  (func (export "_start")
    (drop (call $_Z6middlei (i32.const 0)))))
