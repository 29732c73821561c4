// The door pages' QR decoder (server/static/decoder.js, run by
// web/decode.mjs as the pages run it) on codes cut from real printed
// passes: testdata/decoder/*.png are 150 dpi crops of a 2 in round sticker
// (0.45 mm modules, 2.7 px) and a 4x3 badge (0.77 mm, 4.5 px) made with
// "laminate render", "pdftoppm -r 150" and web/wearset.mjs; codes.json
// holds what each code says. The worn copies are made here with
// wearset.mjs's own wear. Run by "make jstest" (needs "make web": npm ci in
// web/); skipped without web/node_modules, except in CI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";

const here = (p) => new URL(p, import.meta.url).pathname;
const ready = existsSync(here("node_modules/zxing-wasm/package.json")) && existsSync(here("node_modules/pngjs/package.json"));
if (!ready && process.env.LAMINATE_CI) throw new Error("web/node_modules missing: run make web (npm ci in web/) before make jstest");
const skip = ready ? false : "web/node_modules missing: run make web";

const CODES = JSON.parse(readFileSync(here("../testdata/decoder/codes.json"), "utf8"));
// Wear a door meets: zxing reads every one of these on both codes; jsQR
// 1.4.0 (the pages' decoder before issue 12) misses the sticker at a slight
// blur, at 75% scale and tilted with blur.
const WORN = ["clean", "blur0.8", "blur1.2", "scale75", "scale50", "noise24", "fade-noise12", "rot7", "rot7-blur0.8"];

async function worn() {
  const { readPNG } = await import("./decode.mjs");
  const { WEARS, wear } = await import("./wearset.mjs");
  const out = [];
  for (const [file, text] of Object.entries(CODES)) {
    const rgba = readPNG(here("../testdata/decoder/" + file));
    const g = new Float32Array(rgba.width * rgba.height);
    for (let i = 0; i < g.length; i++) g[i] = rgba.data[4 * i];
    for (const name of WORN) {
      const w = wear({ w: rgba.width, h: rgba.height, g }, WEARS[name], 1);
      const data = new Uint8ClampedArray(4 * w.w * w.h);
      for (let i = 0; i < w.g.length; i++) { data.fill(Math.max(0, Math.min(255, Math.round(w.g[i]))), 4 * i, 4 * i + 3); data[4 * i + 3] = 255; }
      out.push({ name: `${file}/${name}`, text, img: { data, width: w.w, height: w.h } });
    }
  }
  return out;
}

test("zxing reads every worn code and more than jsQR", { skip }, async () => {
  const { loadDecoder } = await import("./decode.mjs");
  const cases = await worn();
  // One decoder a process, as in a page: zxing here, jsQR in a child.
  const D = await loadDecoder("zxing");
  assert.equal(D.engine(), "zxing");
  for (const c of cases) assert.equal(await D.decode(c.img), c.text, `zxing on ${c.name}`);
  // jsQR through the command line, on the same images written as PNG.
  const dir = mkdtempSync(join(tmpdir(), "laminate-decode-"));
  const { PNG } = (await import("node:module")).createRequire(import.meta.url)("pngjs");
  const files = cases.map((c, i) => {
    const f = join(dir, `${i}.png`);
    const png = new PNG({ width: c.img.width, height: c.img.height });
    png.data = Buffer.from(c.img.data.buffer);
    writeFileSync(f, PNG.sync.write(png));
    return f;
  });
  const lines = execFileSync(process.execPath, [here("decode.mjs"), "--decoder", "jsqr", ...files], { encoding: "utf8" }).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, cases.length);
  const jsqr = lines.filter((l, i) => l.ok && l.text === cases[i].text).length;
  const missed = cases.filter((c, i) => !lines[i].ok).map((c) => c.name);
  console.log(`worn codes read: zxing ${cases.length}/${cases.length}, jsQR ${jsqr}/${cases.length} (jsQR missed ${missed.join(", ")})`);
  assert.ok(jsqr < cases.length, "jsQR should miss some worn sticker codes that zxing reads");
  for (const l of lines) assert.ok(l.ok ? l.text.length > 0 : l.text === "", `jsqr line ${JSON.stringify(l).slice(0, 80)}`);
});

test("decode.mjs: one JSON line a file, in order, with an error for a bad file", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "laminate-decode-"));
  const blank = join(dir, "blank.png"), junk = join(dir, "junk.png");
  writeFileSync(junk, "not a png");
  // A white 16x16 PNG: no code in it.
  execFileSync(process.execPath, ["-e", `const {PNG}=require(${JSON.stringify(here("node_modules/pngjs"))});const p=new PNG({width:16,height:16});p.data.fill(255);require("fs").writeFileSync(${JSON.stringify(blank)},PNG.sync.write(p))`]);
  const sticker = here("../testdata/decoder/sticker-2in.png");
  const r = spawnSync(process.execPath, [here("decode.mjs"), "--decoder", "zxing", sticker, blank, junk, join(dir, "missing.png")], { encoding: "utf8" });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.file, l.ok]), [[sticker, true], [blank, false], [junk, false], [join(dir, "missing.png"), false]]);
  assert.equal(lines[0].text, CODES["sticker-2in.png"]);
  assert.equal(typeof lines[0].ms, "number");
  assert.ok(lines[0].ms >= 0);
  assert.equal(lines[1].text, "");
  assert.equal(lines[1].error, undefined);
  assert.match(lines[2].error, /junk\.png: not a readable PNG/);
  assert.match(lines[3].error, /missing\.png/);

  const bad = spawnSync(process.execPath, [here("decode.mjs"), "--decoder", "zbar", sticker], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--decoder zbar: use zxing or jsqr/);
  const none = spawnSync(process.execPath, [here("decode.mjs")], { encoding: "utf8" });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /usage: node web\/decode.mjs/);
});
