'use strict';
/**
 * Entry file for the pthread pool workers of the multi-threaded wasm backend in Node.
 *
 * Why this file exists: tfjs-backend-wasm 4.22.0 hands Emscripten a blob: URL for the worker script, which Node's
 * worker_threads rejects (ERR_WORKER_PATH). src/wasm-threads.ts makes URL.createObjectURL return the path of
 * this file instead (only while the backend starts). Here we evaluate the package's own worker source
 * (`wasmWorkerContents`) at global scope, after pointing *its* URL.createObjectURL (used for the main-script Blob it
 * receives) at the package's real Emscripten glue file on disk. CommonJS on purpose: worker_threads loads it directly.
 */
const path = require('path');

const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const glue = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
const { wasmWorkerContents } = require(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js'));

// The worker source runs at global scope (indirect eval) and expects CommonJS globals.
globalThis.require = require;
globalThis.__filename = glue;
globalThis.__dirname = path.dirname(glue);
// The main thread posts the glue as a Blob; the worker turns it into an object URL and importScripts() it.
URL.createObjectURL = () => glue;
URL.revokeObjectURL = () => {};

// The package stores the source in a template literal, so its "\n" escapes arrived as real newlines inside string
// literals; the backend re-escapes them before building its Blob, and so must we.
(0, eval)(wasmWorkerContents.replace(/\n/g, '\\n'));
