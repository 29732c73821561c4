// Laminate's QR decoder for the door (/scan) and the public /verify page,
// and for web/decode.mjs, which runs this same file in Node so that the
// wear suite measures what a door sees (issue 12, item 6).
//
// The decoder is zxing-wasm (zxing-cpp as WebAssembly, npm, pinned by
// web/package-lock.json), fetched by "make web" and embedded in the binary:
// static/vendor/zxing-reader.js and static/vendor/zxing_reader.wasm, served
// by this server, never a CDN. WebAssembly needs 'wasm-unsafe-eval' in the
// pages' script-src (server/pages.go). A browser that cannot run it (no
// WebAssembly, or one too old for 'wasm-unsafe-eval') falls back to jsQR
// (static/vendor/jsQR.js, loaded only then), which reads far fewer worn
// codes. The native BarcodeDetector is not used: Chromium on Linux and
// Windows has none, and where it exists it was not measured against zxing.
(function (global) {
  "use strict";

  // What the door reads: one QR code. tryHarder, tryRotate and
  // tryDownscale are zxing-cpp's defaults, kept for worn and tilted codes
  // and large camera frames; printed passes are never inverted (dark on
  // light), so tryInvert is off. Plain text: the code holds a JWS or its
  // numeric form, both ASCII.
  const ZXING_OPTIONS = Object.freeze({
    formats: ["QRCode"], tryHarder: true, tryRotate: true, tryInvert: false, tryDownscale: true,
    maxNumberOfSymbols: 1, textMode: "Plain",
  });
  const JSQR_OPTIONS = Object.freeze({ inversionAttempts: "dontInvert" });
  const VENDOR = "/static/vendor/";

  // The camera. A round sticker's code is about 33 mm across with up to
  // 65 modules (0.5 mm a module). A phone's main camera sees about 70°
  // across, so a frame 15-25 cm away is 210-350 mm wide. 1920 px across
  // gives 2.7-4.6 px a module there (zxing reads from about 2); 1280 px
  // gives 1.8-3; 640 px, what browsers often give unasked, gives 0.9-1.5,
  // which no decoder reads. So ask for 1920x1080 (ideal: a camera that has
  // less gives its best, nothing fails), the back camera, and continuous
  // focus where the camera offers it.
  const CAMERA = Object.freeze({
    video: {
      facingMode: "environment", width: { ideal: 1920 }, height: { ideal: 1080 },
      advanced: [{ focusMode: "continuous" }],
    },
  });

  let engine = "";    // "zxing" or "jsqr" once loaded
  let loading = null; // the promise of load()
  let zxingError = null;

  // load readies a decoder and resolves with its name: zxing when
  // WebAssembly runs, else jsQR. which forces one ("zxing" or "jsqr");
  // overrides go to zxing's module (web/decode.mjs passes wasmBinary).
  function load(which, overrides) {
    if (loading) return loading;
    loading = (async () => {
      if (which !== "jsqr") {
        try {
          if (!global.ZXingWASM) throw new Error("zxing-reader.js is not loaded (make web)");
          await global.ZXingWASM.prepareZXingModule({
            overrides: overrides || { locateFile: (name) => VENDOR + name },
            fireImmediately: true,
          });
          return (engine = "zxing");
        } catch (e) {
          zxingError = e;
          if (which === "zxing") throw e;
        }
      }
      if (typeof global.jsQR !== "function") await script(VENDOR + "jsQR.js");
      if (typeof global.jsQR !== "function") throw new Error("no QR decoder is built into this server (make web)");
      return (engine = "jsqr");
    })();
    loading.catch(() => { loading = null; });
    return loading;
  }

  function script(src) {
    return new Promise((ok) => {
      if (!global.document) { ok(); return; }
      const s = global.document.createElement("script");
      s.src = src; s.onload = s.onerror = () => ok();
      global.document.head.append(s);
    });
  }

  // decode reads the first QR code in an image ({data: RGBA bytes, width,
  // height}, such as a canvas's ImageData) and resolves with its text, or
  // "" when there is none.
  async function decode(img) {
    if (!engine) await load();
    if (engine === "zxing") {
      const found = await global.ZXingWASM.readBarcodes(img, ZXING_OPTIONS);
      return found.length && found[0].isValid ? found[0].text : "";
    }
    const data = img.data instanceof Uint8ClampedArray ? img.data : new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length);
    const qr = global.jsQR(data, img.width, img.height, JSQR_OPTIONS);
    return qr && qr.data ? qr.data : "";
  }

  // openCamera asks for the camera above; a browser that refuses the
  // constraints themselves (not the permission) is asked again for any
  // back camera. Focus is asked again on the track where the camera lists
  // continuous focus (some browsers ignore it in getUserMedia).
  async function openCamera() {
    const md = global.navigator.mediaDevices;
    let stream;
    try {
      stream = await md.getUserMedia(CAMERA);
    } catch (e) {
      if (e.name !== "OverconstrainedError" && e.name !== "TypeError") throw e;
      stream = await md.getUserMedia({ video: { facingMode: "environment" } });
    }
    const track = stream.getVideoTracks()[0];
    try {
      const caps = track && track.getCapabilities ? track.getCapabilities() : {};
      if (caps.focusMode && caps.focusMode.includes("continuous")) await track.applyConstraints({ advanced: [{ focusMode: "continuous" }] });
    } catch (e) { /* a camera without focus control keeps its own */ }
    return stream;
  }

  // frameReader returns a function that reads a video element's current
  // frame: the text of a QR code in it, or "".
  function frameReader(video) {
    const c = global.document.createElement("canvas"), ctx = c.getContext("2d", { willReadFrequently: true });
    return () => {
      if (c.width !== video.videoWidth || c.height !== video.videoHeight) { c.width = video.videoWidth; c.height = video.videoHeight; }
      ctx.drawImage(video, 0, 0);
      return decode(ctx.getImageData(0, 0, c.width, c.height));
    };
  }

  global.LaminateDecoder = Object.freeze({
    ZXING_OPTIONS, JSQR_OPTIONS, CAMERA, load, decode, openCamera, frameReader,
    engine: () => engine,
    zxingError: () => (zxingError ? String(zxingError.message || zxingError) : ""),
  });
})(typeof window !== "undefined" ? window : globalThis);
