;; A command that never ends: for checking that Ctrl-C (SIGINT) ends a program run as ./loop.wasm.
(module
  (func (export "_start")
    (loop $forever (br $forever))))
