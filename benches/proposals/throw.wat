;; Exceptions: `run(n)` throws n exceptions, each from ten wasm frames below the `try_table`
;; that catches it, and returns the sum of their payloads (n * 10). Our own kernel.
(module
  (tag $boom (param i32))
  ;; Recurses `depth` frames (non-tail calls, so every frame is real), then throws `depth0`.
  (func $dive (param $depth i32) (param $payload i32) (result i32)
    (if (i32.eqz (local.get $depth))
      (then (throw $boom (local.get $payload))))
    (i32.add
      (call $dive (i32.sub (local.get $depth) (i32.const 1)) (local.get $payload))
      (i32.const 1)))
  (func (export "run") (param $n i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum
          (i32.add (local.get $sum)
            (block $caught (result i32)
              (try_table (catch $boom $caught)
                (drop (call $dive (i32.const 10) (i32.const 10))))
              (i32.const 0))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum)))
