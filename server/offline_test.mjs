// The door page's offline engine (static/offline.js) against the answers
// Go wrote into testdata/offline/vectors.json (verifier/vectors_test.go):
// tokens, bundles, the bundle's freshness, scan sequences and the access
// policy. Run by "make jstest" with Node's own test runner (Node 20+: its
// WebCrypto has Ed25519 and ECDSA P-256); no browser, no npm packages.
// server/offline_browser_test.go checks the same file in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const read = (path) => readFileSync(new URL(path, import.meta.url), "utf8");

// offline.js is a classic script that attaches LaminateOffline to window;
// Node's globals already have what it uses (crypto.subtle, TextEncoder,
// TextDecoder).
globalThis.window = globalThis;
vm.runInThisContext(read("./static/offline.js"), { filename: "server/static/offline.js" });
const L = globalThis.LaminateOffline;
const V = JSON.parse(read("../testdata/offline/vectors.json"));

// mismatches collects differences and fails once with the first few, so
// one changed rule does not hide behind the first case it breaks.
function mismatches(t) {
  const bad = [];
  return {
    check(name, got, want) {
      try { assert.deepStrictEqual(got, want); } catch (e) { bad.push(`${name}:\n  js ${JSON.stringify(got)}\n  go ${JSON.stringify(want)}`); }
    },
    done(n) {
      if (bad.length) assert.fail(`${bad.length} of ${n} differ from Go (testdata/offline/vectors.json):\n${bad.slice(0, 15).join("\n")}`);
      t.diagnostic(`${n} vectors agree`);
    },
  };
}

async function mainBundle() {
  return L.openBundle(V.bundle, await L.importJWKS(V.keysets.door));
}

// sorted is a text's parameters as Go writes them: keys in order, {} for none.
function sorted(p) {
  const out = {};
  for (const k of Object.keys(p || {}).sort()) out[k] = p[k];
  return out;
}

// An answer as the vectors hold it (empty strings for what is absent),
// with its texts as keys and parameters (verifier.TextKeys).
function answer(a) {
  return {
    decision: a.decision, code: a.code, reason: a.reason, next_step: a.next_step || "", status: a.status, phase: a.phase,
    pass: a.pass ? { serial: a.pass.serial, type: a.pass.type, label: a.pass.label, role: a.pass.role, name: a.pass.name, org: a.pass.org, event: a.pass.event } : null,
    reason_key: a.reason_key || "", reason_params: sorted(a.reason_params), next_key: a.next_key || "", next_params: sorted(a.next_params),
  };
}

test("the bundle carries the service's door rules", async () => {
  const b = await mainBundle();
  assert.equal(b.door.cloneWindow, 30000, "clone window: the service's (30 s in the vectors), not a default of the page's");
  assert.equal(b.door.leeway, 120000);
  assert.equal(b.door.types.get("AFTER_SHOW").label, "After Show");
});

test("tokens: verdicts and door answers", async (t) => {
  const b = await mainBundle(), m = mismatches(t);
  for (const tk of V.tokens) {
    const vd = await L.verifyToken(b, tk.token, tk.at);
    m.check(tk.name + " (verdict)", {
      authentic: vd.authentic, status: vd.status, message: vd.message, next_step: vd.next_step || "", serial: vd.serial || "", kid: vd.kid || "",
      message_key: vd.message_key, message_params: sorted(vd.message_params),
    }, tk.verdict);
    const a = L.doorDecision(b, vd, { gate: "north", zone: tk.zone, direction: "in", at: tk.at }, null);
    m.check(tk.name + " (door)", answer(a), tk.door);
  }
  m.done(V.tokens.length * 2);
});

test("QR transport forms decode to the JWS Go rebuilt, or are refused", (t) => {
  const m = mismatches(t);
  for (const tr of V.transport) m.check(tr.name, L.fromTransport(L.normalize(tr.form)) || "", tr.token);
  m.done(V.transport.length);
  assert.ok(V.transport.some((tr) => tr.token !== ""), "no compact form decodes");
});

test("bundles: accepted or refused, and why", async (t) => {
  const m = mismatches(t);
  for (const bc of V.bundles) {
    const pinned = await L.importJWKS(V.keysets[bc.pinned]);
    let got;
    try {
      const b = await L.openBundle(bc.jws, pinned);
      got = L.bundleState(b, bc.at) === "fresh" ? "accepted" : "stale";
    } catch (e) {
      got = e instanceof L.BundleError ? e.code : "thrown: " + e.message;
    }
    m.check(bc.name, got, bc.want);
  }
  m.done(V.bundles.length);
});

test("bundles: freshness", async (t) => {
  const b = await mainBundle(), m = mismatches(t);
  for (const s of V.states) m.check(new Date(s.at).toISOString(), L.bundleState(b, s.at), s.want);
  m.done(V.states.length);
});

test("scan sequences: anti-passback with the bundle's clone window", async (t) => {
  const b = await mainBundle(), m = mismatches(t);
  let n = 0;
  for (const seq of V.doors) {
    let last = null; // the last scan this door admitted, as scan.js remembers it
    for (const [i, s] of seq.steps.entries()) {
      const req = { gate: s.gate, zone: s.zone, direction: s.direction, at: s.at };
      const a = L.doorDecision(b, await L.verifyToken(b, seq.token, s.at), req, last);
      if (a.decision === "admit") last = req;
      m.check(`${seq.name} step ${i} (${s.gate} ${s.zone} ${s.direction})`, answer(a), s.want);
      n++;
    }
  }
  m.done(n);
});

test("policy: every holder, zone and moment", async (t) => {
  const b = await mainBundle(), P = V.policy, m = mismatches(t);
  let n = 0;
  for (const pe of P.events) {
    const ev = L.prepareEvent(pe.event, b.door);
    P.holders.forEach((h, hi) => {
      const line = pe.decisions[hi];
      let k = 0;
      for (const z of P.zones) {
        for (const at of P.moments) {
          const d = L.decide(ev, { event: h.event || ev.id, type: h.type, role: h.role || "" }, z, at);
          const got = `${d.allowed}|${d.code}|${d.phase}|${d.reason}|${d.next_step || ""}|${d.reason_key}|${JSON.stringify(sorted(d.reason_params))}|${d.next_key || ""}|${JSON.stringify(sorted(d.next_params))}`;
          const want = P.answers[parseInt(line.slice(2 * k, 2 * k + 2), 36)];
          m.check(`${ev.id} ${h.type}${h.role ? "/" + h.role : ""}${h.event ? "@" + h.event : ""} ${z} at ${new Date(at).toISOString()}`, got, want);
          k++; n++;
        }
      }
      assert.equal(2 * k, line.length, `${ev.id} holder ${hi}: ${line.length / 2} answers, ${k} asked`);
    });
  }
  m.done(n);
});

// The texts come from the bundle, not from the page: a bundle with other
// phase texts and next steps (signed, accepted) changes what the door says.
test("texts come from the bundle", async () => {
  const bc = V.bundles.find((x) => x.name === "accepted/door-other-texts");
  const b = await L.openBundle(bc.jws, await L.importJWKS(V.keysets[bc.pinned]));
  const tok = V.tokens.find((x) => x.name === "valid/aaa"), early = V.tokens.find((x) => x.name === "not-yet-valid/today");
  const req = { gate: "north", zone: "stage", direction: "in", at: tok.at };
  assert.equal(L.doorDecision(b, await L.verifyToken(b, tok.token, tok.at), req, null).reason, "AAA pass: stage, Show läuft");
  assert.match(L.doorDecision(b, await L.verifyToken(b, early.token, early.at), req, null).next_step, /^Nicht vor \d\d:\d\d$/);
});
