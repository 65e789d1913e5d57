;; A hello-world wasi-http component (the `wasi:http/proxy` world) for `wasmtime serve`, written
;; by hand in the component text format, so that no wasm32-wasip2 toolchain is needed: `wasmtime
;; serve benches/wasi-http/hello.wat` reads it directly. It answers every request as the hello-world
;; CGI program of benches/serve.py does: status 200, `content-type: text/plain`, body
;; "hello world\n".
;;
;; It imports only what it calls, at version 0.2.0 of the WASI interfaces (hosts match any 0.2.x
;; semver-compatibly; wasmtime 48 ships 0.2.12), and types each function exactly as the WIT does:
;; a host checks the imported functions' types structurally, so the records and variants that
;; appear in them (stream-error, header-error, error-code and its payloads) are spelt out in full.
(component $hello
  ;; --- imports ---------------------------------------------------------------------------------

  ;; `error` is the payload of stream-error's `last-operation-failed`.
  (import "wasi:io/error@0.2.0" (instance $wasi-io-error
    (export "error" (type (sub resource)))))
  (alias export $wasi-io-error "error" (type $io-error))

  (import "wasi:io/streams@0.2.0" (instance $wasi-io-streams
    (alias outer $hello $io-error (type $io-error))
    (export "error" (type $error (eq $io-error)))
    (type $stream-error (variant
      (case "last-operation-failed" (own $error))
      (case "closed")))
    (export "stream-error" (type $stream-error-named (eq $stream-error)))
    (export "output-stream" (type $output-stream (sub resource)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $output-stream)) (param "contents" (list u8))
            (result (result (error $stream-error-named)))))))
  (alias export $wasi-io-streams "output-stream" (type $output-stream))

  (import "wasi:http/types@0.2.0" (instance $wasi-http-types
    (alias outer $hello $output-stream (type $output-stream))
    (export "output-stream" (type $output-stream-named (eq $output-stream)))
    (export "fields" (type $fields (sub resource)))
    (export "incoming-request" (type $incoming-request (sub resource)))
    (export "response-outparam" (type $response-outparam (sub resource)))
    (export "outgoing-response" (type $outgoing-response (sub resource)))
    (export "outgoing-body" (type $outgoing-body (sub resource)))

    (type $header-error (variant (case "invalid-syntax") (case "forbidden") (case "immutable")))
    (export "header-error" (type $header-error-named (eq $header-error)))

    ;; error-code, the failure type of response-outparam.set and outgoing-body.finish.
    (type $dns-error-payload (record
      (field "rcode" (option string))
      (field "info-code" (option u16))))
    (export "DNS-error-payload" (type $dns-error-payload-named (eq $dns-error-payload)))
    (type $tls-alert-received-payload (record
      (field "alert-id" (option u8))
      (field "alert-message" (option string))))
    (export "TLS-alert-received-payload"
      (type $tls-alert-received-payload-named (eq $tls-alert-received-payload)))
    (type $field-size-payload (record
      (field "field-name" (option string))
      (field "field-size" (option u32))))
    (export "field-size-payload" (type $field-size-payload-named (eq $field-size-payload)))
    (type $error-code (variant
      (case "DNS-timeout")
      (case "DNS-error" $dns-error-payload-named)
      (case "destination-not-found")
      (case "destination-unavailable")
      (case "destination-IP-prohibited")
      (case "destination-IP-unroutable")
      (case "connection-refused")
      (case "connection-terminated")
      (case "connection-timeout")
      (case "connection-read-timeout")
      (case "connection-write-timeout")
      (case "connection-limit-reached")
      (case "TLS-protocol-error")
      (case "TLS-certificate-error")
      (case "TLS-alert-received" $tls-alert-received-payload-named)
      (case "HTTP-request-denied")
      (case "HTTP-request-length-required")
      (case "HTTP-request-body-size" (option u64))
      (case "HTTP-request-method-invalid")
      (case "HTTP-request-URI-invalid")
      (case "HTTP-request-URI-too-long")
      (case "HTTP-request-header-section-size" (option u32))
      (case "HTTP-request-header-size" (option $field-size-payload-named))
      (case "HTTP-request-trailer-section-size" (option u32))
      (case "HTTP-request-trailer-size" $field-size-payload-named)
      (case "HTTP-response-incomplete")
      (case "HTTP-response-header-section-size" (option u32))
      (case "HTTP-response-header-size" $field-size-payload-named)
      (case "HTTP-response-body-size" (option u64))
      (case "HTTP-response-trailer-section-size" (option u32))
      (case "HTTP-response-trailer-size" $field-size-payload-named)
      (case "HTTP-response-transfer-coding" (option string))
      (case "HTTP-response-content-coding" (option string))
      (case "HTTP-response-timeout")
      (case "HTTP-upgrade-failed")
      (case "HTTP-protocol-error")
      (case "loop-detected")
      (case "configuration-error")
      (case "internal-error" (option string))))
    (export "error-code" (type $error-code-named (eq $error-code)))

    (export "[constructor]fields" (func (result (own $fields))))
    (export "[method]fields.append"
      (func (param "self" (borrow $fields)) (param "name" string) (param "value" (list u8))
            (result (result (error $header-error-named)))))
    (export "[static]response-outparam.set"
      (func (param "param" (own $response-outparam))
            (param "response" (result (own $outgoing-response) (error $error-code-named)))))
    (export "[constructor]outgoing-response"
      (func (param "headers" (own $fields)) (result (own $outgoing-response))))
    (export "[method]outgoing-response.body"
      (func (param "self" (borrow $outgoing-response)) (result (result (own $outgoing-body)))))
    (export "[method]outgoing-body.write"
      (func (param "self" (borrow $outgoing-body))
            (result (result (own $output-stream-named)))))
    (export "[static]outgoing-body.finish"
      (func (param "this" (own $outgoing-body)) (param "trailers" (option (own $fields)))
            (result (result (error $error-code-named)))))))
  (alias export $wasi-http-types "incoming-request" (type $incoming-request))
  (alias export $wasi-http-types "response-outparam" (type $response-outparam))

  ;; --- the core module -------------------------------------------------------------------------

  ;; The memory and its allocator live in a module of their own: the lowered imports need them
  ;; (canon lower `memory`, `realloc`) before the module that calls them is instantiated.
  (core module $memory-module
    (memory (export "memory") 1)
    ;; Only a host returning an error-code with a string calls this (outgoing-body.finish): a
    ;; bump allocator above the handler's data, trapping when the page is full. Each request
    ;; gets a fresh instance, so nothing is ever freed.
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param $old i32) (param $old-size i32) (param $align i32)
                             (param $size i32) (result i32)
      (local $at i32)
      (if (local.get $old) (then unreachable))  ;; never asked to grow: nothing to move
      (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                              (i32.sub (i32.const 0) (local.get $align))))
      (global.set $next (i32.add (local.get $at) (local.get $size)))
      (if (i32.gt_u (global.get $next) (i32.const 65536)) (then unreachable))
      (local.get $at)))
  (core instance $memory-instance (instantiate $memory-module))
  (alias core export $memory-instance "memory" (core memory $memory))
  (alias core export $memory-instance "realloc" (core func $realloc))

  (core module $handler-module
    (import "env" "memory" (memory 1))
    (import "http" "fields-new" (func $fields-new (result i32)))
    (import "http" "fields-append" (func $fields-append (param i32 i32 i32 i32 i32 i32)))
    (import "http" "response-new" (func $response-new (param i32) (result i32)))
    (import "http" "response-body" (func $response-body (param i32 i32)))
    ;; The outparam handle, then result<outgoing-response, error-code> flattened: its
    ;; discriminant, then 7 payload slots joined over both cases (the response handle; or
    ;; error-code's discriminant and widest payloads, where option<u64> puts an i64 third).
    (import "http" "outparam-set"
      (func $outparam-set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
    (import "http" "body-write" (func $body-write (param i32 i32)))
    (import "http" "body-finish" (func $body-finish (param i32 i32 i32 i32)))
    (import "http" "stream-write" (func $stream-write (param i32 i32 i32 i32)))
    (import "http" "drop-stream" (func $drop-stream (param i32)))
    (import "http" "drop-request" (func $drop-request (param i32)))

    (data (i32.const 0) "content-type")   ;; 12 bytes
    (data (i32.const 16) "text/plain")    ;; 10 bytes
    (data (i32.const 32) "hello world\n") ;; 12 bytes
    (data (i32.const 48) "content-length") ;; 14 bytes
    (data (i32.const 64) "12")             ;; 2 bytes
    ;; Results too wide for one core value come back through memory at 128 (8-aligned, the
    ;; alignment of error-code): the discriminant at 128, an own handle at 132.
    (global $ret i32 (i32.const 128))

    ;; Traps (a 500 from the host) unless the result at $ret is `ok`.
    (func $expect-ok
      (if (i32.load8_u (global.get $ret)) (then unreachable)))

    (func (export "handle") (param $request i32) (param $response-out i32)
      (local $fields i32) (local $response i32) (local $body i32) (local $stream i32)
      (call $drop-request (local.get $request))

      (local.set $fields (call $fields-new))
      (call $fields-append (local.get $fields) (i32.const 0) (i32.const 12) (i32.const 16)
                           (i32.const 10) (global.get $ret))
      (call $expect-ok)
      ;; A content-length, as wexe serve sends for a CGI program's output (without it the body
      ;; would go out chunked).
      (call $fields-append (local.get $fields) (i32.const 48) (i32.const 14) (i32.const 64)
                           (i32.const 2) (global.get $ret))
      (call $expect-ok)
      ;; The status code is 200 unless set.
      (local.set $response (call $response-new (local.get $fields)))
      (call $response-body (local.get $response) (global.get $ret))
      (call $expect-ok)
      (local.set $body (i32.load offset=4 (global.get $ret)))
      ;; Hand the response over before writing its body, as the WIT asks.
      (call $outparam-set (local.get $response-out) (i32.const 0) (local.get $response)
                          (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                          (i32.const 0))

      (call $body-write (local.get $body) (global.get $ret))
      (call $expect-ok)
      (local.set $stream (i32.load offset=4 (global.get $ret)))
      (call $stream-write (local.get $stream) (i32.const 32) (i32.const 12) (global.get $ret))
      (call $expect-ok)
      ;; The stream is the body's child: drop it before finishing the body (no trailers).
      (call $drop-stream (local.get $stream))
      (call $body-finish (local.get $body) (i32.const 0) (i32.const 0) (global.get $ret))
      (call $expect-ok)))

  (core func $fields-new (canon lower (func $wasi-http-types "[constructor]fields")))
  (core func $fields-append
    (canon lower (func $wasi-http-types "[method]fields.append") (memory $memory)))
  (core func $response-new
    (canon lower (func $wasi-http-types "[constructor]outgoing-response")))
  (core func $response-body
    (canon lower (func $wasi-http-types "[method]outgoing-response.body") (memory $memory)))
  (core func $outparam-set
    (canon lower (func $wasi-http-types "[static]response-outparam.set") (memory $memory)))
  (core func $body-write
    (canon lower (func $wasi-http-types "[method]outgoing-body.write") (memory $memory)))
  (core func $body-finish
    (canon lower (func $wasi-http-types "[static]outgoing-body.finish") (memory $memory)
                 (realloc $realloc)))
  (core func $stream-write
    (canon lower (func $wasi-io-streams "[method]output-stream.blocking-write-and-flush")
                 (memory $memory)))
  (core func $drop-stream (canon resource.drop $output-stream))
  (core func $drop-request (canon resource.drop $incoming-request))

  (core instance $handler-instance (instantiate $handler-module
    (with "env" (instance (export "memory" (memory $memory))))
    (with "http" (instance
      (export "fields-new" (func $fields-new))
      (export "fields-append" (func $fields-append))
      (export "response-new" (func $response-new))
      (export "response-body" (func $response-body))
      (export "outparam-set" (func $outparam-set))
      (export "body-write" (func $body-write))
      (export "body-finish" (func $body-finish))
      (export "stream-write" (func $stream-write))
      (export "drop-stream" (func $drop-stream))
      (export "drop-request" (func $drop-request))))))

  ;; --- the export ------------------------------------------------------------------------------

  (func $handle (param "request" (own $incoming-request))
                (param "response-out" (own $response-outparam))
    (canon lift (core func $handler-instance "handle")))
  (instance $incoming-handler
    (export "incoming-request" (type $incoming-request))
    (export "response-outparam" (type $response-outparam))
    (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $incoming-handler)))
