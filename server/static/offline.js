// Laminate offline door engine: what a door needs to decide with no
// network. It opens a signed offline bundle (README "Offline bundles") with
// keys pinned while online, verifies pass tokens with the bundle's keys
// (WebCrypto: Ed25519, or ECDSA P-256 for ES256), and decides as the server
// does: verifier.Verifier.Verify, then pass.Event.Decide, then the door's
// anti-passback. No DOM and no storage here: scan.js shows the answers and
// keeps the queue.
//
// The rules' parameters come from the bundle's door rules (verifier.DoorRules:
// clock leeway, clone window, pass types and labels, phase texts, next
// steps), never from this file: a bundle without them is refused. What
// stays here is the format (sizes, algorithms, typ) and the code of the
// rules. server/offline_test.mjs checks this file with Node against the
// answers Go wrote into testdata/offline/vectors.json, and
// server/offline_browser_test.go runs it in Chromium against Go itself.
(function (global) {
  "use strict";

  const MAX_TOKEN = 2048;              // verifier.MaxTokenSize
  const MAX_BUNDLE = 1 << 20;          // verifier.MaxBundleSize
  const ALGS = ["EdDSA", "ES256"];     // never "none", never HMAC
  const BUNDLE_TYP = "laminate-bundle+jwt"; // verifier.BundleHeaderType: a bundle's header typ (a pass has none)
  const ZERO = -62135596800000;        // Go's zero time (0001-01-01 UTC), in ms
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]; // Go's time names
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // ---- text forms --------------------------------------------------------

  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const b64val = new Int8Array(256).fill(-1);
  for (let i = 0; i < 64; i++) b64val[B64.charCodeAt(i)] = i;

  // normalize applies the scanner tolerances of verifier.Normalize: leading
  // spaces, trailing spaces, CR and LF go; nothing else changes.
  function normalize(raw) { return raw.replace(/^ +/, "").replace(/[ \r\n]+$/, ""); }

  // The numeric transport form (pass/transport.go): two digits per
  // character, value c-45, as SMART Health Cards do.
  function isNumericForm(s) { return s.length > 0 && s.length % 2 === 0 && /^[0-9]+$/.test(s); }
  function decodeNumeric(s) {
    let out = "";
    for (let i = 0; i < s.length; i += 2) {
      const v = (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
      if (v > 77) return null;
      out += String.fromCharCode(45 + v);
    }
    return out;
  }

  // The compact transport form (pass/compact.go): "91", then one decimal
  // number whose bits, behind a leading 1, are alg (1), kid (36), the
  // claims as tagged fields in JSON order, and the 64-byte signature. The
  // JWS is rebuilt byte for byte; null for anything EncodeCompact would not
  // write.
  const MAX_COMPACT = 2048; // pass.MaxCompactDigits
  const TAGS = ["", "iss", "sub", "ev", "pt", "n", "o", "r", "nbf", "exp", "ph"];
  const PT = ["AAA", "VIP", "AFT", "WRK", "LOC", "PHO", "MEG", "STF"];
  const CALGS = ["EdDSA", "ES256"];
  const TEXT6 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz -";
  const SERIAL = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"; // pass.SerialAlphabet
  function isCompactForm(s) { return s.length > 0 && s[0] === "9" && /^[0-9]+$/.test(s); }
  function plainJSONText(s) { return !/[\u0000-\u001f"\\\u2028\u2029]/.test(s); }
  const MAX_TEXT = 31 + 511;
  // textMode is pass.textMode: the cheapest spelling of a text.
  function textMode(t) {
    const cps = [...t].map((c) => c.codePointAt(0));
    if (cps.every((c) => c < 128 && TEXT6.includes(String.fromCharCode(c)))) return { mode: "six", win: 0 };
    let win = 0, fits = true;
    for (const c of cps) { if (c < 0x80) continue; if (win === 0) win = c >> 7; else if (c >> 7 !== win) fits = false; }
    if (fits && win !== 0 && 14 + 8 * cps.length <= 8 * ascii.encode(t).length) return { mode: "window", win };
    return { mode: "bytes", win: 0 };
  }
  function decodeCompact(s) {
    if (s.length > MAX_COMPACT || !isCompactForm(s) || !s.startsWith("91") || s.length < 3 || s[2] === "0") return null;
    const bits = BigInt(s.slice(2)).toString(2);
    let pos = 1, bad = false; // below the leading 1
    const read = (n) => {
      if (pos + n > bits.length) { bad = true; pos = bits.length; return 0; }
      const v = parseInt(bits.slice(pos, pos + n), 2); pos += n; return v;
    };
    const bytes = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = read(8); return b; };
    const alg = CALGS[read(1)];
    let kid = "";
    for (let i = 0; i < 6; i++) kid += B64[read(6)];
    const fields = [], seen = new Set();
    for (;;) {
      const tag = read(4);
      if (tag === 0 || bad) break;
      if (tag >= TAGS.length || seen.has(tag)) return null;
      seen.add(tag);
      let v;
      if (tag === 8 || tag === 9) { // nbf, exp: 32 bits
        const n = read(16) * 65536 + read(16);
        if (n === 0) return null;
        v = String(n);
      } else if (tag === 2) { // sub: seven symbols in 35 bits, check recomputed
        let n = BigInt(read(3)) << 32n | BigInt(read(16)) << 16n | BigInt(read(16));
        const data = [];
        for (let i = 0; i < 7; i++) { data.unshift(Number(n % 31n)); n /= 31n; }
        if (n !== 0n) return null;
        let sum = 0; data.forEach((d, i) => { sum += (i + 1) * d; });
        v = JSON.stringify(data.map((d) => SERIAL[d]).join("") + SERIAL[((31 - sum % 31) * 4) % 31]);
      } else if (tag === 4) {
        v = JSON.stringify(PT[read(3)]);
      } else if (tag === 10) {
        v = JSON.stringify(b64encode(bytes(8)));
      } else { // text: mode ("1" 6-bit, "01" window, "00" UTF-8), length 5 (+9) bits
        let mode = "six", win = 0;
        if (read(1) === 0) { mode = "bytes"; if (read(1) === 1) { mode = "window"; win = read(14); } }
        let n = read(5);
        if (n === 31) n += read(9);
        if (bad || n * 6 > bits.length - pos) return null;
        let t = "";
        if (mode === "six") { for (let i = 0; i < n; i++) t += TEXT6[read(6)]; } else if (mode === "window") {
          for (let i = 0; i < n; i++) {
            const c = read(8), cp = c < 0x80 ? win * 128 + c : c & 0x7f;
            if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
            t += String.fromCodePoint(cp);
          }
        } else {
          try { t = utf8.decode(bytes(n)); } catch (e) { return null; }
        }
        if (bad || !plainJSONText(t) || ascii.encode(t).length > MAX_TEXT) return null;
        const m = textMode(t); // one spelling: the mode the encoder would choose
        if (m.mode !== mode || m.win !== win) return null;
        v = '"' + t + '"';
      }
      fields.push('"' + TAGS[tag] + '":' + v);
    }
    const sig = bytes(64);
    if (bad || pos !== bits.length) return null;
    const hdr = '{"alg":"' + alg + '","kid":"' + kid + '"}';
    return b64encode(ascii.encode(hdr)) + "." + b64encode(ascii.encode("{" + fields.join(",") + "}")) + "." + b64encode(sig);
  }

  // fromTransport turns what a QR code or a scanner gave (a JWS, or its
  // compact or numeric form) into the JWS; null for a bad transport form.
  function fromTransport(s) {
    if (isCompactForm(s)) return decodeCompact(s);
    if (isNumericForm(s)) return decodeNumeric(s);
    return s;
  }

  // canonicalCompact is verifier.canonicalCompact: three segments of
  // base64url and nothing else, unused low bits zero, so one pass cannot be
  // written as several byte strings.
  function canonicalCompact(token) {
    let dots = 0, start = 0;
    for (let i = 0; i <= token.length; i++) {
      if (i < token.length && token.charCodeAt(i) !== 46) {
        const c = token.charCodeAt(i);
        if (c > 255 || b64val[c] < 0) return false;
        continue;
      }
      if (i < token.length) dots++;
      const n = i - start, last = n ? b64val[token.charCodeAt(i - 1)] : 0;
      start = i + 1;
      if (n === 0) continue;
      if (n % 4 === 1 || (n % 4 === 2 && (last & 0x0f)) || (n % 4 === 3 && (last & 0x03))) return false;
    }
    return dots === 2;
  }

  function b64decode(seg) { // seg is canonical (checked above)
    const out = new Uint8Array(Math.floor(seg.length * 3 / 4));
    let bits = 0, acc = 0, j = 0;
    for (let i = 0; i < seg.length; i++) {
      acc = ((acc << 6) | b64val[seg.charCodeAt(i)]) & 0xffffff; bits += 6;
      if (bits >= 8) { bits -= 8; out[j++] = (acc >> bits) & 0xff; }
    }
    return out;
  }
  function b64encode(bytes) {
    let s = "", i = 0;
    for (; i + 2 < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
    }
    if (bytes.length - i === 1) s += B64[bytes[i] >> 2] + B64[(bytes[i] & 3) << 4];
    if (bytes.length - i === 2) { const n = (bytes[i] << 8) | bytes[i + 1]; s += B64[n >> 10] + B64[(n >> 4) & 63] + B64[(n & 15) << 2]; }
    return s;
  }
  const utf8 = new TextDecoder("utf-8", { fatal: true }), ascii = new TextEncoder();
  function jsonSegment(seg) { // null when not UTF-8 JSON
    try { return JSON.parse(utf8.decode(b64decode(seg))); } catch (e) { return null; }
  }
  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  // jsonHeader reads a JWS header (null when it is not JSON) and marks one
  // that names a member twice with DUP: go-jose refuses such a header,
  // where JSON.parse would keep the last.
  const DUP = Symbol("duplicate member");
  function jsonHeader(seg) {
    let text, h;
    try { text = utf8.decode(b64decode(seg)); h = JSON.parse(text); } catch (e) { return null; }
    if (!isObject(h)) return h;
    const names = new Set();
    let depth = 0;
    for (let i = 0; i < text.length; i++) { // text is valid JSON: strings and brackets only
      const c = text[i];
      if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") depth--;
      else if (c === '"') {
        let j = i + 1;
        while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
        let k = j + 1;
        while (text[k] === " " || text[k] === "\t" || text[k] === "\r" || text[k] === "\n") k++;
        if (depth === 1 && text[k] === ":") { // a member name
          const n = JSON.parse(text.slice(i, j + 1));
          if (names.has(n)) h[DUP] = true;
          names.add(n);
        }
        i = j;
      }
    }
    return h;
  }

  // safeKID shortens and cleans an attacker-chosen header value (verifier.safeKID).
  function safeKID(s) {
    s = String(s);
    if (s.length > 32) s = s.slice(0, 32) + "…";
    return s.replace(/[\u0000-\u001f\u007f]/g, "?");
  }

  // ---- keys --------------------------------------------------------------

  const JWK_MEMBERS = new Set(["kty", "crv", "x", "y", "kid", "alg", "use"]);

  // importJWKS reads a JWK set as verifier.ParseJWKS does (public EdDSA and
  // ES256 keys only, each kid the start of its RFC 7638 thumbprint) and
  // imports it into WebCrypto. It returns a Map kid -> {kid, alg, key}.
  async function importJWKS(set) {
    if (!isObject(set) || !Array.isArray(set.keys) || set.keys.length === 0 || Object.keys(set).some((k) => k !== "keys")) {
      throw new Error("not a JWK set with keys");
    }
    const out = new Map();
    for (const [i, k] of set.keys.entries()) {
      if (!isObject(k)) throw new Error(`keys[${i}]: not an object`);
      for (const m of Object.keys(k)) if (!JWK_MEMBERS.has(m)) throw new Error(`keys[${i}]: member ${JSON.stringify(safeKID(m))} is not allowed`);
      for (const m of ["x", "y"]) if (m in k && (typeof k[m] !== "string" || !canonicalSegment(k[m]))) throw new Error(`keys[${i}]: bad ${m}`);
      let canon, algo;
      if (k.kty === "OKP" && k.crv === "Ed25519" && k.alg === "EdDSA" && !("y" in k) && k.x && b64decode(k.x).length === 32) {
        canon = { crv: k.crv, kty: k.kty, x: k.x };
        algo = { name: "Ed25519" };
      } else if (k.kty === "EC" && k.crv === "P-256" && k.alg === "ES256" && k.x && k.y && b64decode(k.x).length === 32 && b64decode(k.y).length === 32) {
        canon = { crv: k.crv, kty: k.kty, x: k.x, y: k.y };
        algo = { name: "ECDSA", namedCurve: "P-256" };
      } else {
        throw new Error(`keys[${i}]: not an EdDSA (Ed25519) or ES256 (P-256) public key`);
      }
      if ("use" in k && k.use !== "sig") throw new Error(`keys[${i}]: use ${JSON.stringify(safeKID(k.use))}, want sig`);
      // RFC 7638: members in lexical order, no white space.
      const tp = b64encode(new Uint8Array(await crypto.subtle.digest("SHA-256", ascii.encode(JSON.stringify(canon)))));
      if (typeof k.kid !== "string" || k.kid.length < 4 || !tp.startsWith(k.kid)) {
        throw new Error(`keys[${i}]: kid ${JSON.stringify(safeKID(k.kid))} is not the start of the key's thumbprint`);
      }
      if (out.has(k.kid)) throw new Error(`keys[${i}]: kid ${JSON.stringify(k.kid)} listed twice`);
      const key = await crypto.subtle.importKey("jwk", canon, algo, false, ["verify"]);
      out.set(k.kid, { kid: k.kid, alg: k.alg, key });
    }
    return out;
  }
  function canonicalSegment(s) { return s.length > 0 && canonicalCompact(s + ".."); }
  // lenientSegment is what Go's base64.RawURLEncoding decodes: base64url
  // characters, any length but 4n+1, unused bits ignored.
  function lenientSegment(s) {
    if (s.length % 4 === 1) return false;
    for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c > 255 || b64val[c] < 0) return false; }
    return true;
  }

  function verifySignature(k, sig, data) {
    const algo = k.alg === "EdDSA" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
    return crypto.subtle.verify(algo, k.key, sig, data); // ES256: raw r‖s, as JWS has it
  }

  // ---- the offline bundle ------------------------------------------------

  class BundleError extends Error {
    constructor(code, message) { super(message); this.code = code; }
  }
  const BUNDLE_MEMBERS = new Set(["typ", "v", "iss", "iat", "exp", "event", "keys", "revocations", "door"]);
  // verifier.SupersededMessage and SupersededReason.
  const SUPERSEDED_MESSAGE = "Genuine, but replaced by a newer pass";
  const SUPERSEDED_REASON = "replaced by a newer pass: keep this one and send the holder to the desk";
  const REVOCATIONS_MEMBERS = new Set(["seq", "serials", "superseded"]);

  // openBundle checks a compact-JWS bundle as verifier.ParseBundle does,
  // in its order: the signature with a key the door already trusts (never
  // one the bundle lists), then the payload. Freshness is left to
  // bundleState, so a door can still say why it refuses an old bundle.
  // Errors are BundleError with code malformed, forged or untrusted.
  async function openBundle(jws, trusted) {
    if (typeof jws !== "string" || jws.length > MAX_BUNDLE) throw new BundleError("malformed", "not an offline bundle (too large)");
    if (!canonicalCompact(jws)) throw new BundleError("malformed", "not an offline bundle (not a canonical compact JWS)");
    const [h64, p64, s64] = jws.split(".");
    const h = jsonHeader(h64);
    if (!isObject(h) || h[DUP] || typeof h.alg !== "string") throw new BundleError("malformed", "bundle header is not a JWS header");
    if (!ALGS.includes(h.alg)) throw new BundleError("forged", `bundle algorithm ${JSON.stringify(safeKID(h.alg))} not accepted`);
    if ("crit" in h) throw new BundleError("malformed", "crit header not supported");
    // One key signs passes, bundles and other documents: the header's typ
    // says which this is (RFC 8725 §3.11).
    if (h.typ !== BUNDLE_TYP) throw new BundleError("malformed", `not an offline bundle (header typ ${JSON.stringify(safeKID(h.typ === undefined ? "" : h.typ))})`);
    const k = trusted && trusted.get(String(h.kid));
    if (!k) throw new BundleError("untrusted", `bundle signed by a key that is not trusted here (kid ${JSON.stringify(safeKID(h.kid))})`);
    if (k.alg !== h.alg) throw new BundleError("forged", `bundle alg ${h.alg}, key ${k.kid} is ${k.alg}`);
    const sig = b64decode(s64);
    if (sig.length !== 64 || !(await verifySignature(k, sig, ascii.encode(h64 + "." + p64)))) {
      throw new BundleError("forged", "bundle signature does not verify");
    }
    const p = jsonSegment(p64);
    const bad = (m) => new BundleError("malformed", "offline bundle: " + m);
    if (!isObject(p)) throw bad("payload is not a JSON object");
    for (const m of Object.keys(p)) if (!BUNDLE_MEMBERS.has(m)) throw bad(`unknown field ${JSON.stringify(safeKID(m))}`);
    if (p.typ !== "laminate/bundle") throw bad(`typ ${JSON.stringify(safeKID(p.typ))}`);
    // Version 2 (verifier.BundleVersionSuperseded) adds the passes a
    // reissue replaced, and the door's next step for them.
    if (p.v !== 1 && p.v !== 2) throw bad(`format version ${safeKID(p.v)}, this page reads 1 and 2`);
    if (!Number.isInteger(p.iat) || !Number.isInteger(p.exp) || p.iat <= 0 || p.exp <= p.iat) throw bad("iat and exp out of order");
    if (!isObject(p.revocations) || !Number.isInteger(p.revocations.seq) || p.revocations.seq < 0 || !Array.isArray(p.revocations.serials)) throw bad("revocations");
    for (const m of Object.keys(p.revocations)) if (!REVOCATIONS_MEMBERS.has(m)) throw bad(`revocations: unknown field ${JSON.stringify(safeKID(m))}`);
    for (const s of p.revocations.serials) if (parseSerial(s) !== s) throw bad(`revocations: bad serial ${JSON.stringify(safeKID(s))}`);
    const revoked = new Set(p.revocations.serials), superseded = new Set();
    if ("superseded" in p.revocations) {
      if (p.v === 1) throw bad("revocations.superseded in a version 1 bundle");
      if (!Array.isArray(p.revocations.superseded)) throw bad("revocations.superseded");
      for (const s of p.revocations.superseded) {
        if (!revoked.has(s) || superseded.has(s)) throw bad(`revocations.superseded: ${JSON.stringify(safeKID(s))} is not in revocations.serials, or twice`);
        superseded.add(s);
      }
    }
    if (!("door" in p)) throw bad("no door rules (a bundle made before bundles carried them: fetch a new one)");
    let door, event, keys;
    try { door = prepareDoor(p.door, p.v); } catch (e) { throw bad("door: " + e.message); }
    try { event = prepareEvent(p.event, door); } catch (e) { throw bad("event: " + e.message); }
    try { keys = await importJWKS(p.keys); } catch (e) { throw bad("keys: " + e.message); }
    return {
      jws, kid: k.kid, iat: p.iat * 1000, exp: p.exp * 1000, issuer: p.iss || "",
      event, keys, door, seq: p.revocations.seq, revoked, superseded,
    };
  }

  // bundleState says whether a door may decide from b at now: "fresh",
  // "expired" (past exp: fail closed) or "future" (made more than the
  // leeway ahead of this device's clock: the clock is wrong).
  function bundleState(b, now) {
    if (now > b.exp) return "expired";
    if (b.iat > now + b.door.leeway) return "future";
    return "fresh";
  }

  // ---- door rules: verifier.DoorRules ---------------------------------------

  const DOOR_MEMBERS = ["leeway_ms", "clone_window_ms", "types", "phases", "next_steps"];
  const PHASES = ["before", "during", "after"];
  // The next steps a door shows, by name (verifier.DoorNextSteps); the
  // formats hold one %s (a zone, or a time as clock writes it).
  const NEXT_STEP_NAMES = ["expired", "not_yet_valid", "revoked", "forged", "unknown_key", "malformed", "wrong_event",
    "accreditation", "check_zone", "access_over", "zone_not_allowed", "no_more_access", "not_before",
    "already_inside", "possible_clone", "check_holder"];
  const NEXT_STEP_FORMATS = new Set(["zone_not_allowed", "no_more_access", "not_before"]);
  const MAX_DOOR_MS = 8784 * 3600 * 1000; // verifier.maxDoorDuration

  // prepareDoor checks a bundle's door rules as verifier.DoorRules.check
  // does (every part present, nothing unknown, durations in range, short
  // printable texts, one %s in each format) and returns what the door
  // reads: {leeway, cloneWindow (ms), types: Map type -> {code, label},
  // typeOfCode: Map code -> type, phases, next}.
  function prepareDoor(d, version) {
    const names = version === 2 ? NEXT_STEP_NAMES.concat(["superseded"]) : NEXT_STEP_NAMES;
    if (!isObject(d)) throw new Error("not an object");
    for (const m of Object.keys(d)) if (!DOOR_MEMBERS.includes(m)) throw new Error(`unknown field ${JSON.stringify(safeKID(m))}`);
    const ms = (v, min, name) => {
      if (!Number.isInteger(v) || v < min || v > MAX_DOOR_MS) throw new Error(`${name} ${safeKID(v)} out of range`);
      return v;
    };
    const door = {
      leeway: ms(d.leeway_ms, 0, "leeway_ms"), cloneWindow: ms(d.clone_window_ms, 1, "clone_window_ms"),
      types: new Map(), typeOfCode: new Map(), phases: Object.create(null), next: Object.create(null),
    };
    if (!Array.isArray(d.types) || d.types.length === 0 || d.types.length > 64) throw new Error("types");
    for (const [i, t] of d.types.entries()) {
      if (!isObject(t) || Object.keys(t).some((k) => !["type", "code", "label"].includes(k))) throw new Error(`types[${i}]: not a type`);
      if (typeof t.type !== "string" || !/^[A-Z][A-Z0-9_]{0,31}$/.test(t.type) || door.types.has(t.type)) throw new Error(`types[${i}]: bad or repeated type`);
      if (typeof t.code !== "string" || !/^[A-Z0-9]{1,8}$/.test(t.code) || door.typeOfCode.has(t.code)) throw new Error(`types[${i}]: bad or repeated code`);
      if (!doorText(t.label, 32)) throw new Error(`types[${i}]: bad label`);
      door.types.set(t.type, { code: t.code, label: t.label });
      door.typeOfCode.set(t.code, t.type);
    }
    if (!isObject(d.phases) || Object.keys(d.phases).length !== PHASES.length) throw new Error("phases: want before, during and after");
    for (const ph of PHASES) {
      if (!doorText(own(d.phases, ph), 64)) throw new Error(`phases: bad or missing ${ph}`);
      door.phases[ph] = d.phases[ph];
    }
    if (!isObject(d.next_steps) || Object.keys(d.next_steps).length !== names.length) throw new Error("next_steps: not the known set");
    for (const n of names) {
      const s = own(d.next_steps, n), verbs = typeof s === "string" ? s.split("%").length - 1 : -1;
      if (!doorText(s, 200)) throw new Error(`next_steps: bad or missing ${n}`);
      if (NEXT_STEP_FORMATS.has(n) ? verbs !== 1 || !s.includes("%s") : verbs !== 0) throw new Error(`next_steps: ${n}: wrong number of %s`);
      door.next[n] = s;
    }
    return Object.freeze(door);
  }
  // doorText is verifier.doorText: 1 to max characters, no control, no
  // bidi embedding, override or isolate.
  function doorText(s, max) {
    return typeof s === "string" && s.length > 0 && [...s].length <= max &&
      !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(s);
  }
  // format puts arg in the place of a door rule's %s.
  function format(f, arg) { return f.replace("%s", () => arg); }

  // prepareEvent turns an event as Laminate serialises it (pass.Event:
  // RFC 3339 times, photo_duration in ns, cues, the policy written out)
  // into what decide reads: times in ms, and the UTC offset of show_start,
  // in which the event's times are shown (pass.Event.Location). door is
  // the bundle's door rules (prepareDoor): decide takes its labels, phase
  // texts and next steps from there.
  function prepareEvent(e, door) {
    if (!isObject(door) || !(door.types instanceof Map)) throw new Error("no door rules");
    if (!isObject(e) || typeof e.id !== "string" || !validEventID(e.id)) throw new Error("bad event id");
    const s = e.schedule;
    if (!isObject(s)) throw new Error("no schedule");
    const time = (v, name, optional) => { // optional: a cue not given is null
      if (optional && (v === undefined || v === null)) return null;
      const t = typeof v === "string" ? Date.parse(v) : NaN;
      if (Number.isNaN(t)) throw new Error(`bad time ${name}`);
      return optional && t === ZERO ? null : t;
    };
    const off = /([+-])(\d\d):(\d\d)$/.exec(s.show_start || "");
    const pol = e.policy;
    if (!isObject(pol) || !Array.isArray(pol.zones) || !isObject(pol.rules)) throw new Error("no policy");
    const c = isObject(e.cues) ? e.cues : {};
    return {
      id: e.id, name: String(e.name || ""), venue: String(e.venue || ""), door,
      offset: off ? (off[1] === "-" ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3])) : 0,
      schedule: {
        accessFrom: time(s.access_from, "access_from"), showStart: time(s.show_start, "show_start"),
        showEnd: time(s.show_end, "show_end"), accessUntil: time(s.access_until, "access_until"),
        mgFrom: time(s.meet_greet_from, "meet_greet_from"), mgUntil: time(s.meet_greet_until, "meet_greet_until"),
        photoDuration: Number(s.photo_duration) / 1e6,
      },
      cues: {
        doorsOpen: time(c.doors_open, "doors_open", true), showStarted: time(c.show_started, "show_started", true),
        photoClosed: time(c.photo_closed, "photo_closed", true), showEnded: time(c.show_ended, "show_ended", true),
        accessClosed: time(c.access_closed, "access_closed", true),
      },
      policy: { zones: pol.zones, rules: pol.rules, roles: isObject(pol.roles) ? pol.roles : {} },
    };
  }

  // ---- pass tokens -------------------------------------------------------

  const SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
  // parseSerial returns the canonical serial (pass.ParseSerial), or null.
  function parseSerial(s) {
    if (typeof s !== "string" || s.length > 32) return null;
    const v = [];
    for (const ch of s.toUpperCase()) {
      if (ch === "-" || ch === " ") continue;
      const i = SERIAL_ALPHABET.indexOf(ch);
      if (i < 0) return null;
      v.push(i);
    }
    if (v.length !== 8) return null;
    let sum = 0;
    for (let i = 0; i < 7; i++) sum += (i + 1) * v[i];
    if (((31 - sum % 31) * 4) % 31 !== v[7]) return null;
    return v.map((i) => SERIAL_ALPHABET[i]).join("");
  }
  function validName(s) { return typeof s === "string" && s.length >= 1 && s.length <= 32 && /^[a-z0-9][a-z0-9-]*$/.test(s); }
  function validEventID(s) { return typeof s === "string" && s.length >= 1 && s.length <= 32 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s); }
  function checkText(s, max, required) { // pass.checkText with the rules of signed text
    if (s === "") return !required;
    if ([...s].length > max || s.trim() !== s) return false;
    // Controls, and the bidi embeddings, overrides and isolates that can
    // reverse what door staff read (pass.reordering).
    return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(s);
  }

  // claimsToPass is pass.Claims.Pass: the claims of a verified token back
  // into a pass, every field checked, its type from the door rules' type
  // codes; null when they are not a pass.
  function claimsToPass(c, door) {
    if (!isObject(c)) return null;
    for (const k of ["iss", "sub", "ev", "pt", "n", "o", "r"]) if (k in c && c[k] !== null && typeof c[k] !== "string") return null;
    for (const k of ["nbf", "exp"]) if (k in c && c[k] !== null && !Number.isInteger(c[k])) return null;
    const str = (k) => c[k] || "", type = door.typeOfCode.get(str("pt"));
    if (!type || !(c.exp > 0)) return null;
    const p = {
      serial: str("sub"), event: str("ev"), type, role: str("r"), name: str("n"), org: str("o"),
      validFrom: c.nbf ? c.nbf * 1000 : null, validUntil: c.exp * 1000, issuer: str("iss"),
    };
    if (parseSerial(p.serial) !== p.serial || !validEventID(p.event) || !checkText(p.name, 64, true) ||
      !checkText(p.org, 48, false) || !checkText(p.issuer, 32, false)) return null;
    if (p.role !== "" ? !validName(p.role) : type === "STAFF") return null;
    if (p.validFrom !== null && !(p.validUntil > p.validFrom)) return null;
    // pass.validPhotoHash: 8 bytes in base64url, unused low bits zero.
    if ("ph" in c && c.ph !== null && c.ph !== "" && !(typeof c.ph === "string" && /^[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]$/.test(c.ph))) return null;
    p.photo = typeof c.ph === "string" ? c.ph : "";
    return p;
  }

  // minute is pass.FormatTime: ms in the event's offset (minutes east of
  // UTC), "2027-03-05 23:00 +01:00".
  function minute(ms, offset) {
    const d = new Date(ms + offset * 60000).toISOString(), a = Math.abs(offset);
    return d.slice(0, 10) + " " + d.slice(11, 16) + " " + (offset < 0 ? "-" : "+") +
      String(Math.floor(a / 60)).padStart(2, "0") + ":" + String(a % 60).padStart(2, "0");
  }

  // paramTime is pass.ParamTime: a time parameter of a door text, RFC
  // 3339 to the second in the event's offset, "2027-09-18T20:00:00+02:00".
  function paramTime(ms, offset) {
    const d = new Date(Math.floor(ms / 1000) * 1000 + offset * 60000).toISOString().slice(0, 19), a = Math.abs(offset);
    return d + (offset === 0 ? "Z" : (offset < 0 ? "-" : "+") + String(Math.floor(a / 60)).padStart(2, "0") + ":" + String(a % 60).padStart(2, "0"));
  }

  // notBefore is pass.Event.NotBefore: come back at t.
  function notBefore(ev, t, now) { return format(ev.door.next.not_before, clock(t, now, ev.offset)); }

  // verifyToken is verifier.Verify over a bundle (verifier.Offline): the
  // same statuses, messages and next steps, with the bundle's keys,
  // revocation list and event. It returns a verdict: {authentic, status,
  // message, next_step, pass?, ...}.
  async function verifyToken(b, raw, at) {
    const vd = await verdictOf(b, raw, at);
    if (vd.status !== "valid") vd.next_step = b.door.next[vd.status];
    // The message as a text key with parameters (verifier.TextKeys).
    const off = b.event.offset, p = vd.pass;
    vd.message_key = vd.status; vd.message_params = {};
    if (vd.status === "wrong_event") vd.message_params = { event: p.event };
    else if (vd.status === "revoked") { vd.message_key = "revoked.offline"; vd.message_params = { seq: String(b.seq), at: paramTime(b.iat, off) }; }
    else if (vd.status === "expired") vd.message_params = { at: paramTime(p.validUntil, off) };
    else if (vd.status === "not_yet_valid") vd.message_params = { at: paramTime(p.validFrom, off) };
    else if (vd.status === "malformed" && vd.authentic) vd.message_key = "malformed.content";
    return vd;
  }
  async function verdictOf(b, raw, at) {
    const malformed = () => ({ authentic: false, status: "malformed", message: "Not a Laminate pass (unreadable code)" });
    const forged = () => ({ authentic: false, status: "forged", message: "The signature does not match: not a pass we issued" });
    if (typeof raw !== "string" || raw.length > MAX_TOKEN) return malformed();
    let token = normalize(raw);
    token = fromTransport(token);
    if (token === null || token.length > MAX_TOKEN) return malformed();
    const parts = token.split(".");
    const h = parts.length === 3 && lenientSegment(parts[0]) ? jsonHeader(parts[0]) : null;
    // An algorithm we never accept (none, HMAC) is an attempt at a forgery;
    // anything else that does not parse is just not a pass (classifyParseError).
    if (isObject(h) && typeof h.alg === "string" && h.alg !== "" && !ALGS.includes(h.alg) && parts.length === 3) return forged();
    if (!canonicalCompact(token) || !isObject(h) || h[DUP] || typeof h.alg !== "string" || !ALGS.includes(h.alg) ||
      ("kid" in h && typeof h.kid !== "string")) return malformed();
    if ("crit" in h) return malformed();
    // A pass has no typ: a typed document (a bundle, a revocation list, the
    // shared keyring) signed by the same key is no pass. go-jose drops a
    // null member, so a null typ is none.
    if (h.typ !== undefined && h.typ !== null) return malformed();
    const kid = h.kid || "", k = b.keys.get(kid);
    if (!k) return { authentic: false, status: "unknown_key", message: "Signed with a key this service does not know (or has retired)", kid: safeKID(kid) };
    if (k.alg !== h.alg) return forged();
    const sig = b64decode(parts[2]);
    if (sig.length !== 64 || !(await verifySignature(k, sig, ascii.encode(parts[0] + "." + parts[1])))) return forged();
    const p = claimsToPass(jsonSegment(parts[1]), b.door);
    if (!p) return { authentic: true, status: "malformed", message: "Signed by us, but the content is not a pass", kid };
    const vd = {
      authentic: true, kid, pass: p, serial: p.serial, type: p.type, role: p.role, name: p.name, org: p.org,
      event: p.event, issuer: p.issuer,
    };
    if (p.event !== b.event.id) {
      vd.status = "wrong_event"; vd.message = `Genuine pass, but for another event (${p.event})`;
    } else if (b.superseded.has(p.serial)) {
      // Replaced by a reissue (verifier.StatusSuperseded): genuine, and
      // the holder has a newer pass waiting at the desk.
      vd.status = "superseded"; vd.message = SUPERSEDED_MESSAGE;
    } else if (b.revoked.has(p.serial)) {
      vd.status = "revoked"; vd.message = `Genuine pass, revoked (revocation list ${b.seq} of ${minute(b.iat, b.event.offset)})`;
    } else if (at > p.validUntil + b.door.leeway) {
      vd.status = "expired"; vd.message = "Genuine pass, expired " + minute(p.validUntil, b.event.offset);
    } else if (p.validFrom !== null && at < p.validFrom - b.door.leeway) {
      vd.status = "not_yet_valid"; vd.message = "Genuine pass, not valid before " + minute(p.validFrom, b.event.offset);
    } else {
      vd.status = "valid"; vd.message = "Genuine pass";
    }
    return vd;
  }

  // ---- access policy: pass.Event.Decide ------------------------------------

  // timeline is the schedule as it actually runs: the plan moved by the
  // live cues (pass/schedule.go).
  function timeline(ev) {
    const s = ev.schedule, c = ev.cues;
    const tl = { accessFrom: s.accessFrom, showStart: s.showStart, showEnd: s.showEnd, accessUntil: s.accessUntil, mgFrom: s.mgFrom, mgUntil: s.mgUntil };
    if (c.doorsOpen !== null && c.doorsOpen < tl.accessFrom) tl.accessFrom = c.doorsOpen;
    if (c.showStarted !== null) { // a late start moves the end and the close by the same delay
      const delay = c.showStarted - tl.showStart;
      tl.showStart = c.showStarted; tl.showEnd += delay; tl.accessUntil += delay;
      if (tl.mgUntil > tl.showStart) tl.mgUntil = tl.showStart;
    }
    tl.photoEnd = tl.showStart + s.photoDuration;
    if (c.photoClosed !== null && c.photoClosed < tl.photoEnd) tl.photoEnd = c.photoClosed;
    if (c.showEnded !== null) {
      tl.showEnd = c.showEnded;
      if (tl.photoEnd > tl.showEnd) tl.photoEnd = tl.showEnd;
    }
    if (c.accessClosed !== null) tl.accessUntil = c.accessClosed;
    if (tl.accessUntil < tl.showEnd) tl.showEnd = tl.accessUntil;
    return tl;
  }
  function phaseOf(tl, t) {
    if (t < tl.accessFrom || t >= tl.accessUntil) return "closed";
    if (t < tl.showStart) return "before";
    if (t < tl.showEnd) return "during";
    return "after";
  }
  function span(tl, w) {
    switch (w) {
      case "before": return [tl.accessFrom, tl.showStart];
      case "during": return [tl.showStart, tl.showEnd];
      case "after": return [tl.showEnd, tl.accessUntil];
      case "meet-greet": return [tl.mgFrom, tl.mgUntil];
      case "photo": return [tl.showStart, tl.photoEnd];
      default: return [tl.accessFrom, tl.accessUntil]; // any
    }
  }
  function phaseAt(ev, t) { return phaseOf(timeline(ev), t); }

  // clock prints t as a door person wants it (pass.clock): the time of day
  // in the event's offset, with the date when it is not today.
  function clock(t, now, offset) {
    const a = new Date(t + offset * 60000), b = new Date(now + offset * 60000);
    const hm = String(a.getUTCHours()).padStart(2, "0") + ":" + String(a.getUTCMinutes()).padStart(2, "0");
    if (a.getUTCFullYear() === b.getUTCFullYear() && a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() === b.getUTCDate()) return hm;
    return `${DAYS[a.getUTCDay()]} ${a.getUTCDate()} ${MONTHS[a.getUTCMonth()]} ${hm}`;
  }
  const own = (m, k) => (Object.prototype.hasOwnProperty.call(m, k) ? m[k] : undefined);
  const covers = (g, z) => !(g.except || []).includes(z) && (g.zones.includes("*") || g.zones.includes(z));

  // typeLabel is pass.Type.Label, from the door rules.
  function typeLabel(door, type) { const t = door.types.get(type); return t ? t.label : type; }

  // decide is pass.Event.Decide: may pass p enter zone at time at? The
  // policy question only; signature, revocation and validity are verifyToken's.
  function decide(ev, p, zone, at) {
    const tl = timeline(ev), next = ev.door.next, phases = ev.door.phases;
    const d = { allowed: false, code: "", reason: "", phase: phaseOf(tl, at) };
    const off = ev.offset, when = (t) => paramTime(t, off);
    // texts: the reason's and the next step's keys with parameters (pass.Decide's).
    const texts = (key, params, nextKey, nextParams) => {
      d.reason_key = key; d.reason_params = params;
      if (nextKey) { d.next_key = nextKey; d.next_params = nextParams || {}; }
    };
    const deny = (code, step, reason) => { d.code = code; d.next_step = step; d.reason = reason; return d; };
    const tlabel = typeLabel(ev.door, p.type);
    const label = p.type === "STAFF" ? `Staff pass (${p.role})` : tlabel + " pass";
    const dl = p.type === "STAFF" ? `${tlabel} (${p.role})` : tlabel;
    if (p.event !== ev.id) {
      texts("wrong_event.label", { label: dl, event: p.event }, "accreditation");
      return deny("wrong_event", next.accreditation, `${label} is for another event (${p.event})`);
    }
    const pol = ev.policy;
    if (!pol.zones.includes(zone)) {
      texts("unknown_zone", { zone }, "check_zone");
      return deny("unknown_zone", next.check_zone, `No zone ${JSON.stringify(zone)} at this event`);
    }
    const grants = p.type === "STAFF" ? own(pol.roles, p.role) : own(pol.rules, p.type);
    if (!grants) {
      texts("no_rule", { label: dl }, "accreditation");
      if (p.type === "STAFF") return deny("no_rule", next.accreditation, `${label}: this event gives the role ${JSON.stringify(p.role)} no access`);
      return deny("no_rule", next.accreditation, `${label}: this event gives ${tlabel} passes no access`);
    }
    const open = [];
    for (const g of grants) if (covers(g, zone)) open.push(...g.when);
    if (open.length === 0) {
      texts("zone_not_allowed", { label: dl, zone }, "zone_not_allowed", { zone });
      return deny("zone_not_allowed", format(next.zone_not_allowed, zone), `${label}: no access to ${zone}`);
    }
    if (d.phase === "closed") {
      if (at < tl.accessFrom) {
        texts("outside_access.opens", { label: dl, at: when(tl.accessFrom) }, "not_before", { at: when(tl.accessFrom) });
        return deny("outside_access", notBefore(ev, tl.accessFrom, at), `${label}: access opens at ${clock(tl.accessFrom, at, off)}`);
      }
      texts("outside_access.closed", { label: dl, at: when(tl.accessUntil) }, "access_over");
      return deny("outside_access", next.access_over, `${label}: access closed at ${clock(tl.accessUntil, at, off)}`);
    }
    let nextOpen = null, lastEnd = ZERO;
    for (const w of open) {
      const [from, until] = span(tl, w);
      if (at >= from && at < until) {
        d.allowed = true; d.code = "ok"; d.reason = `${label}: ${zone}, ${phases[d.phase]}`;
        texts("ok", { label: dl, zone, phase: d.phase });
        return d;
      }
      if (from > at && from < tl.accessUntil && (nextOpen === null || from < nextOpen)) nextOpen = from;
      if (until <= at && until > lastEnd) lastEnd = until;
    }
    if (nextOpen !== null) {
      texts("not_now.from", { label: dl, at: when(nextOpen), phase: d.phase }, "not_before", { at: when(nextOpen) });
      return deny("not_now", notBefore(ev, nextOpen, at), `${label}: valid from ${clock(nextOpen, at, off)}, ${phases[d.phase]}`);
    }
    const over = format(next.no_more_access, zone);
    if (open.length === 1 && open[0] === "photo") {
      texts("not_now.photo", { label: dl, zone, at: when(lastEnd) }, "no_more_access", { zone });
      return deny("not_now", over, `${label}: ${zone} closed at ${clock(lastEnd, at, off)} (first songs only)`);
    }
    texts("not_now.closed", { label: dl, zone, at: when(lastEnd), phase: d.phase }, "no_more_access", { zone });
    return deny("not_now", over, `${label}: ${zone} closed at ${clock(lastEnd, at, off)}, ${phases[d.phase]}`);
  }

  // ---- the door decision ---------------------------------------------------

  // seconds is a duration parameter: whole seconds, as Go rounds them.
  const seconds = (ms) => String(Math.round(Math.abs(ms) / 1000));
  // text sets an answer's reason and next step as keys with parameters.
  function text(a, key, params, nextKey) { a.reason_key = key; a.reason_params = params; a.next_key = nextKey; a.next_params = {}; }

  function goDuration(ms) { // Go's Duration.String of a whole number of seconds
    let s = Math.round(Math.abs(ms) / 1000);
    if (s === 0) return "0s";
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s %= 60;
    return (h ? h + "h" : "") + (h || m ? m + "m" : "") + s + "s";
  }

  // doorDecision is the whole offline answer to one scan, as the server's
  // postScan gives it online: the verdict, the policy (verifier.Access) and
  // anti-passback against last, this door's last admitted scan of the pass
  // ({gate, zone, direction, at}, or null). req is {gate, zone, direction, at}.
  function doorDecision(b, vd, req, last) {
    const ev = b.event, next = b.door.next;
    const a = { decision: "deny", code: vd.status, reason: vd.status === "superseded" ? SUPERSEDED_REASON : vd.message, status: vd.status, phase: phaseAt(ev, req.at),
      reason_key: vd.message_key, reason_params: vd.message_params || {}, next_key: vd.status, next_params: {} };
    if (vd.next_step) a.next_step = vd.next_step;
    if (vd.status === "not_yet_valid" && vd.pass.validFrom !== null) {
      a.next_step = notBefore(ev, vd.pass.validFrom, req.at);
      a.next_key = "not_before"; a.next_params = { at: paramTime(vd.pass.validFrom, ev.offset) };
    }
    if (vd.pass) {
      const p = vd.pass;
      a.pass = { serial: p.serial, type: p.type, label: typeLabel(b.door, p.type), role: p.role, name: p.name, org: p.org, event: p.event };
    }
    if (vd.status !== "valid") return a;
    const d = decide(ev, vd.pass, req.zone, req.at);
    if (!d.allowed && req.direction === "out" && (d.code === "not_now" || d.code === "outside_access")) {
      d.allowed = true; d.code = "ok"; d.reason = `Leaving ${req.zone}: access there has ended`; delete d.next_step; // verifier.Leave
      d.reason_key = "ok.leaving"; d.reason_params = { zone: req.zone }; delete d.next_key; delete d.next_params;
    }
    a.code = d.code; a.reason = d.reason; a.phase = d.phase;
    a.reason_key = d.reason_key; a.reason_params = d.reason_params; a.next_key = d.next_key || ""; a.next_params = d.next_params || {};
    if (!d.allowed) { a.next_step = d.next_step; return a; }
    if (last) { // verifier.DecideScan; the door's own scans are all online to it
      const since = req.at - last.at;
      const otherGate = last.gate !== req.gate && since <= b.door.cloneWindow; // the service's --clone-window
      if (req.direction === "in" && last.direction === "in") {
        if (otherGate) {
          a.code = "possible_clone";
          a.reason = `Same pass entered at ${last.gate} ${goDuration(since)} ago: one pass, two people?`;
          a.next_step = next.possible_clone;
          text(a, "possible_clone", { gate: last.gate, seconds: seconds(since) }, "possible_clone");
        } else {
          a.code = "already_inside";
          a.reason = `Already inside: entered ${last.zone} at ${clock(last.at, last.at, ev.offset)} via ${last.gate}`;
          a.next_step = next.already_inside;
          text(a, "already_inside", { zone: last.zone, at: paramTime(last.at, ev.offset), gate: last.gate }, "already_inside");
        }
        return a;
      }
      if (otherGate) {
        a.decision = "attention"; a.code = "possible_clone";
        a.reason = `Same pass scanned at ${last.gate} ${goDuration(since)} ago: check the holder, it may be a copy`;
        a.next_step = next.check_holder;
        text(a, "possible_clone.attention", { gate: last.gate, seconds: seconds(since) }, "check_holder");
        return a;
      }
    }
    a.decision = "admit";
    return a;
  }

  global.LaminateOffline = Object.freeze({
    BundleError,
    normalize, isNumericForm, decodeNumeric, isCompactForm, decodeCompact, fromTransport, canonicalCompact, parseSerial,
    importJWKS, openBundle, bundleState, prepareDoor, prepareEvent,
    verifyToken, decide, phaseAt, doorDecision, clock, paramTime,
  });
})(window);
