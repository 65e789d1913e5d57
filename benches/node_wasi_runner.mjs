// Runs a wasm32-wasi command program on node's WASI (node:wasi, preview1), like
// `wasmtime run PROG ARGS...`: `node node_wasi_runner.mjs PROG.wasm ARGS...`. The program sees
// argv [PROG.wasm, ARGS...], no environment and no preopened directories; the process exits
// with the program's exit code.
import { readFile } from 'node:fs/promises';
import { argv, exit } from 'node:process';
import { WASI } from 'node:wasi';

const [path, ...args] = argv.slice(2);
if (!path) {
  console.error('usage: node node_wasi_runner.mjs PROG.wasm [ARGS...]');
  exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [path, ...args], env: {}, preopens: {},
                        returnOnExit: true });
const module = await WebAssembly.compile(await readFile(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
