#!/usr/bin/env node
// wearset.mjs cuts every QR code out of rasterised sheets and writes worn
// copies of each crop, to compare the door's decoders (web/decode.mjs) on
// what a lanyard does to a pass. A measuring tool, not part of the pages.
//
//   node web/wearset.mjs --out DIR [--prefix NAME] PAGE.png...
//   node web/wearset.mjs --score DIR RESULTS.jsonl...
//
// The sheets come from "laminate render" and "pdftoppm -png -r 150". Each
// code is found with zxing-wasm, cut out with its quiet zone, turned grey
// and written as DIR/NAME-N-WEAR.png for every wear below; DIR/manifest.jsonl
// gets one line per file: {"file","text","wear"} (text is what the clean
// code holds). Wear is applied in this order: scale, rotation, blur,
// fading, noise. Noise comes from a fixed seed, so a set is reproducible.
//
// --score reads web/decode.mjs output for DIR's files and prints, per
// results file and NAME, the codes read right (text as in the manifest),
// the median and 90th percentile decode time, and the misses per wear.
import { mkdirSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import vm from "node:vm";

const require = createRequire(import.meta.url);
const { PNG } = require("pngjs");
const here = (path) => new URL(path, import.meta.url).pathname;

// WEARS: each a list of steps. Pixel sizes are at 150 dpi, where a 0.45 mm
// sticker module is 2.7 px and a 0.77 mm badge module 4.5 px.
export const WEARS = {
  clean: {},
  "blur0.8": { blur: 0.8 },
  "blur1.2": { blur: 1.2 },
  "blur1.6": { blur: 1.6 },
  "blur2.0": { blur: 2.0 },
  "scale75": { scale: 0.75 },
  "scale50": { scale: 0.5 },
  "noise12": { noise: 12 },
  "noise24": { noise: 24 },
  "fade": { fade: 0.35 },
  "rot7": { rotate: 7 },
  "scale75-blur0.8": { scale: 0.75, blur: 0.8 },
  "blur0.8-noise12": { blur: 0.8, noise: 12 },
  "fade-noise12": { fade: 0.35, noise: 12 },
  "rot7-blur0.8": { rotate: 7, blur: 0.8 },
};

function grey(png) {
  const g = new Float32Array(png.width * png.height);
  for (let i = 0; i < g.length; i++) g[i] = 0.299 * png.data[4 * i] + 0.587 * png.data[4 * i + 1] + 0.114 * png.data[4 * i + 2];
  return { w: png.width, h: png.height, g };
}

function crop(img, x0, y0, w, h) {
  const out = new Float32Array(w * h).fill(255);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const sx = x0 + x, sy = y0 + y;
    if (sx >= 0 && sy >= 0 && sx < img.w && sy < img.h) out[y * w + x] = img.g[sy * img.w + sx];
  }
  return { w, h, g: out };
}

// sample is bilinear, white outside.
function sample(img, x, y) {
  const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
  const at = (a, b) => (a < 0 || b < 0 || a >= img.w || b >= img.h ? 255 : img.g[b * img.w + a]);
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

// scale averages source pixels over each destination pixel (as a camera
// further away does), then nothing finer survives.
function scale(img, f) {
  const w = Math.max(1, Math.round(img.w * f)), h = Math.max(1, Math.round(img.h * f)), out = new Float32Array(w * h);
  const step = 1 / f;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let s = 0, n = 0;
    for (let sy = Math.floor(y * step); sy < Math.min(img.h, Math.ceil((y + 1) * step)); sy++)
      for (let sx = Math.floor(x * step); sx < Math.min(img.w, Math.ceil((x + 1) * step)); sx++) { s += img.g[sy * img.w + sx]; n++; }
    out[y * w + x] = n ? s / n : 255;
  }
  return { w, h, g: out };
}

function rotate(img, deg) {
  const a = (deg * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a), cx = img.w / 2, cy = img.h / 2, out = new Float32Array(img.w * img.h);
  for (let y = 0; y < img.h; y++) for (let x = 0; x < img.w; x++) {
    const dx = x - cx, dy = y - cy;
    out[y * img.w + x] = sample(img, cx + c * dx + s * dy, cy - s * dx + c * dy);
  }
  return { w: img.w, h: img.h, g: out };
}

// blur is a separable Gaussian of sigma px (defocus).
function blur(img, sigma) {
  const r = Math.ceil(3 * sigma), k = [];
  let sum = 0;
  for (let i = -r; i <= r; i++) { const v = Math.exp(-(i * i) / (2 * sigma * sigma)); k.push(v); sum += v; }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const pass = (src, horiz) => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < img.h; y++) for (let x = 0; x < img.w; x++) {
      let v = 0;
      for (let i = -r; i <= r; i++) {
        const sx = horiz ? Math.min(img.w - 1, Math.max(0, x + i)) : x, sy = horiz ? y : Math.min(img.h - 1, Math.max(0, y + i));
        v += k[i + r] * src[sy * img.w + sx];
      }
      out[y * img.w + x] = v;
    }
    return out;
  };
  return { w: img.w, h: img.h, g: pass(pass(img.g, true), false) };
}

// fade pulls dark towards paper white: ink at 1-f of its contrast.
function fade(img, f) {
  return { w: img.w, h: img.h, g: img.g.map((v) => 255 - (255 - v) * (1 - f)) };
}

// noise adds Gaussian sensor noise of sigma grey levels (a fixed seed).
function noise(img, sigma, seed) {
  let s = seed >>> 0 || 1;
  const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return ((s >>> 0) + 0.5) / 4294967296; };
  return { w: img.w, h: img.h, g: img.g.map((v) => v + sigma * Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd())) };
}

export function wear(img, steps, seed) {
  if (steps.scale) img = scale(img, steps.scale);
  if (steps.rotate) img = rotate(img, steps.rotate);
  if (steps.blur) img = blur(img, steps.blur);
  if (steps.fade) img = fade(img, steps.fade);
  if (steps.noise) img = noise(img, steps.noise, seed);
  return img;
}

function writeGrey(path, img) {
  const png = new PNG({ width: img.w, height: img.h, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const data = Buffer.alloc(img.w * img.h);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(img.g[i])));
  png.data = data;
  writeFileSync(path, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

function score(dir, results) {
  const want = new Map(readFileSync(join(dir, "manifest.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((m) => [m.file, m]));
  for (const f of results) {
    const by = new Map();
    for (const r of readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l))) {
      const m = want.get(r.file);
      if (!m) continue;
      const name = m.file.slice(dir.length).replace(/^\/*/, "").split("-")[0];
      if (!by.has(name)) by.set(name, { ok: 0, n: 0, ms: [], missed: {} });
      const s = by.get(name);
      s.n++; s.ms.push(r.ms);
      if (r.ok && r.text === m.text) s.ok++; else s.missed[m.wear] = (s.missed[m.wear] || 0) + 1;
    }
    for (const [name, s] of by) {
      s.ms.sort((a, b) => a - b);
      const q = (p) => s.ms[Math.min(s.ms.length - 1, Math.floor(s.ms.length * p))];
      console.log(`${f} ${name}: ${s.ok}/${s.n} read, median ${q(0.5)} ms, p90 ${q(0.9)} ms, missed ${JSON.stringify(s.missed)}`);
    }
  }
}

async function main(argv) {
  if (argv[0] === "--score" && argv.length > 2) { score(argv[1], argv.slice(2)); return 0; }
  let out = "", prefix = "code";
  const pages = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") out = argv[++i];
    else if (argv[i] === "--prefix") prefix = argv[++i];
    else pages.push(argv[i]);
  }
  if (!out || !pages.length) { process.stderr.write("usage: node web/wearset.mjs --out DIR [--prefix NAME] PAGE.png...\n"); return 2; }
  vm.runInThisContext(readFileSync(here("node_modules/zxing-wasm/dist/iife/reader/index.js"), "utf8"));
  const Z = globalThis.ZXingWASM;
  await Z.prepareZXingModule({ overrides: { wasmBinary: readFileSync(here("node_modules/zxing-wasm/dist/reader/zxing_reader.wasm")) }, fireImmediately: true });
  mkdirSync(out, { recursive: true });
  let n = 0;
  for (const page of pages) {
    const png = PNG.sync.read(readFileSync(page));
    const img = grey(png);
    const found = await Z.readBarcodes({ data: new Uint8ClampedArray(png.data), width: png.width, height: png.height }, { formats: ["QRCode"], maxNumberOfSymbols: 0 });
    for (const f of found) {
      const p = f.position, xs = [p.topLeft.x, p.topRight.x, p.bottomLeft.x, p.bottomRight.x], ys = [p.topLeft.y, p.topRight.y, p.bottomLeft.y, p.bottomRight.y];
      const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
      const m = Math.round((x1 - x0) * 0.12); // the quiet zone (4 of ~70 modules) and a little of what is around it
      const c = crop(img, Math.round(x0) - m, Math.round(y0) - m, Math.round(x1 - x0) + 2 * m, Math.round(y1 - y0) + 2 * m);
      n++;
      for (const [name, steps] of Object.entries(WEARS)) {
        const file = join(out, `${prefix}-${n}-${name}.png`);
        writeGrey(file, wear(c, steps, n * 7919 + name.length));
        appendFileSync(join(out, "manifest.jsonl"), JSON.stringify({ file, text: f.text, wear: name }) + "\n");
      }
    }
  }
  process.stderr.write(`wearset: ${n} codes x ${Object.keys(WEARS).length} wears in ${out}\n`);
  return n ? 0 : 1;
}

if (process.argv[1] === here("wearset.mjs")) process.exitCode = await main(process.argv.slice(2));
