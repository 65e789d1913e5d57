;; Tail calls: `run(n)` decides the parity of n by n mutual tail calls between $even and $odd
;; (a constant-stack loop only with tail calls: n frames deep otherwise), and returns 1 for even.
(module
  (func $even (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 1))
      (else (return_call $odd (i32.sub (local.get $n) (i32.const 1))))))
  (func $odd (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (return_call $even (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "run") (param $n i32) (result i32)
    (call $even (local.get $n))))
