#!/usr/bin/env node
// decode.mjs reads QR codes from PNG files with the door pages' own decoder
// (server/static/decoder.js, the same file, options and zxing-wasm build
// the pages embed), so that a wear suite measures what a door sees.
//
//   node web/decode.mjs [--decoder zxing|jsqr] FILE.png...
//
// prints one JSON line per file, in order:
//
//   {"file":"a.png","text":"eyJ…","ok":true,"ms":1.42}
//
// text is the decoded string ("" when none), ok whether a code was read, ms
// the time the decoder took on the image (the PNG's own decoding is not
// counted; the WebAssembly module is compiled before the first file). A
// file that cannot be read as a PNG gets "ok":false and an "error", and
// the exit status is 1. zxing is the default. Needs "npm ci" in web/ (make
// web): zxing-wasm, jsqr and pngjs come from web/node_modules.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import vm from "node:vm";

const require = createRequire(import.meta.url);
const here = (path) => new URL(path, import.meta.url).pathname; // beside this file, from any working folder

// loadDecoder runs the pages' scripts in this process, as the browser does:
// the zxing-wasm reader script (the file make web copies to
// server/static/vendor/zxing-reader.js), jsQR, then decoder.js; and readies
// the named decoder. The .wasm comes from the same package.
export async function loadDecoder(which) {
  if (which !== "zxing" && which !== "jsqr") throw new Error(`--decoder ${which}: use zxing or jsqr`);
  if (!globalThis.LaminateDecoder) {
    const run = (path) => vm.runInThisContext(readFileSync(path, "utf8"), { filename: path });
    run(here("node_modules/zxing-wasm/dist/iife/reader/index.js"));
    run(here("node_modules/jsqr/dist/jsQR.js"));
    run(here("../server/static/decoder.js"));
  }
  const D = globalThis.LaminateDecoder;
  const wasmBinary = which === "zxing" ? readFileSync(here("node_modules/zxing-wasm/dist/reader/zxing_reader.wasm")) : undefined;
  await D.load(which, wasmBinary ? { wasmBinary } : undefined);
  await D.decode({ data: new Uint8ClampedArray(4 * 8 * 8), width: 8, height: 8 }); // first-call setup, not timed
  return D;
}

// readPNG decodes a PNG into RGBA bytes (pngjs turns grey, palette and 16-bit
// images into 8-bit RGBA).
export function readPNG(path) {
  const { PNG } = require("pngjs");
  const png = PNG.sync.read(readFileSync(path));
  return { data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), width: png.width, height: png.height };
}

// decodeFile reads one file and returns its JSON line's fields.
export async function decodeFile(D, file) {
  let img;
  try {
    img = readPNG(file);
  } catch (e) {
    return { file, text: "", ok: false, ms: 0, error: `${file}: not a readable PNG (${e.message})` };
  }
  const t0 = performance.now();
  const text = await D.decode(img);
  const ms = Math.round((performance.now() - t0) * 100) / 100;
  return { file, text, ok: text !== "", ms };
}

async function main(argv) {
  let which = "zxing";
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--decoder") which = argv[++i];
    else if (argv[i].startsWith("--decoder=")) which = argv[i].slice("--decoder=".length);
    else if (argv[i] === "-h" || argv[i] === "--help") files.length = 0, i = argv.length;
    else files.push(argv[i]);
  }
  if (!files.length) {
    process.stderr.write("usage: node web/decode.mjs [--decoder zxing|jsqr] FILE.png...\n");
    return 2;
  }
  let D;
  try {
    D = await loadDecoder(which);
  } catch (e) {
    process.stderr.write(`decode.mjs: ${e.message}${which === "zxing" ? " (run make web, or npm ci in web/)" : ""}\n`);
    return 2;
  }
  let status = 0;
  for (const f of files) {
    const line = await decodeFile(D, f);
    if (line.error) status = 1;
    process.stdout.write(JSON.stringify(line) + "\n");
  }
  return status;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1] === new URL(import.meta.url).pathname) {
  process.exitCode = await main(process.argv.slice(2));
}
