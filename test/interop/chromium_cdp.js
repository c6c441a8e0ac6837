// Drives headless Chromium over the DevTools protocol (--remote-debugging-pipe: commands on fd 3,
// replies on fd 4, NUL-terminated JSON) with no npm package: opens ORIGIN/PAGE, then in the page
// fetch()es FILE, hashes it with crypto.subtle and reports what it saw as one JSON line:
//   {"navProtocol":"h3","marker":true,"pageContentType":"text/html","status":200,"length":N,"sha256":"...","fetchProtocol":"h3",
//    "loadMs":..,"fetchMs":..}
// or {"error":"..."} (exit status 1).
// Usage: node chromium_cdp.js CHROMIUM ORIGIN PAGE FILE MARKER TIMEOUT_S -- chromium flags...
'use strict';
const { spawn } = require('child_process');

const [chrome, origin, pagePath, filePath, marker, timeoutS] = process.argv.slice(2, 8);
const dash = process.argv.indexOf('--');
const flags = dash >= 0 ? process.argv.slice(dash + 1) : [];

const proc = spawn(chrome, [...flags, '--remote-debugging-pipe', 'about:blank'], {
  stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  detached: true, // own process group: every renderer/GPU/network helper goes with it
});
let stderrTail = '';
proc.stderr.on('data', (d) => { stderrTail = (stderrTail + d.toString()).slice(-2000); });

let finished = false;
function killChrome() {
  try { process.kill(-proc.pid, 'SIGKILL'); } catch (e) { /* already gone */ }
}
function finish(obj, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(obj) + '\n');
  killChrome();
  process.exit(code);
}
process.on('SIGTERM', () => finish({ error: 'terminated' }, 1));
process.on('SIGINT', () => finish({ error: 'interrupted' }, 1));
proc.on('exit', (code, sig) => finish({ error: `chromium exited (${code === null ? sig : code}): ${stderrTail.slice(-500)}` }, 1));
setTimeout(() => finish({ error: `timed out after ${timeoutS} s` }, 1), Number(timeoutS) * 1000);

const toChrome = proc.stdio[3];
const fromChrome = proc.stdio[4];
let buf = Buffer.alloc(0);
let nextId = 0;
const pending = new Map();
const waiters = [];
const listeners = [];
fromChrome.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  let i;
  while ((i = buf.indexOf(0)) >= 0) {
    const msg = JSON.parse(buf.subarray(0, i).toString());
    buf = buf.subarray(i + 1);
    if (msg.id !== undefined && pending.has(msg.id)) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${JSON.stringify(msg.error)}`));
      else p.resolve(msg.result);
    } else if (msg.method) {
      for (const l of listeners) {
        if (l.method === msg.method) l.fn(msg.params, msg.sessionId);
      }
      for (const w of waiters.slice()) {
        if (w.method === msg.method && (!w.sessionId || w.sessionId === msg.sessionId)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(msg.params);
        }
      }
    }
  }
});

function send(method, params = {}, sessionId = undefined) {
  const msg = { id: ++nextId, method, params };
  if (sessionId) msg.sessionId = sessionId;
  toChrome.write(JSON.stringify(msg) + '\0');
  return new Promise((resolve, reject) => pending.set(msg.id, { resolve, reject, method }));
}
function waitEvent(method, sessionId) {
  return new Promise((resolve) => waiters.push({ method, sessionId, resolve }));
}

async function main() {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  await send('Page.enable', {}, sessionId);
  // The page must be served as text/html to be rendered (anything else becomes a download and
  // the navigation is aborted). Record the served Content-Type; when it is not HTML, rewrite it
  // on its way into the renderer so the fetch() check below can still run from the page.
  let pageContentType = null;
  listeners.push({
    method: 'Fetch.requestPaused',
    fn: (p, sid) => {
      const headers = p.responseHeaders || [];
      const ct = headers.find((h) => h.name.toLowerCase() === 'content-type');
      pageContentType = ct ? ct.value : '';
      if (/^text\/html/i.test(pageContentType)) {
        send('Fetch.continueResponse', { requestId: p.requestId }, sid).catch((e) => process.stderr.write('Fetch.continueResponse: ' + e.message + '\n'));
      } else {
        const patched = headers.filter((h) => h.name.toLowerCase() !== 'content-type');
        patched.push({ name: 'Content-Type', value: 'text/html' });
        // (Fetch.continueResponse with rewritten headers still ended in a download here, so the
        // page is fulfilled from the received body instead.)
        send('Fetch.getResponseBody', { requestId: p.requestId }, sid)
          .then((b) => send('Fetch.fulfillRequest', {
            requestId: p.requestId, responseCode: p.responseStatusCode, responseHeaders: patched,
            body: b.base64Encoded ? b.body : Buffer.from(b.body).toString('base64'),
          }, sid))
          .catch((e) => process.stderr.write('Fetch.fulfillRequest: ' + e.message + '\n'));
      }
    },
  });
  await send('Fetch.enable', { patterns: [{ urlPattern: '*' + pagePath, requestStage: 'Response' }] }, sessionId);
  const loaded = waitEvent('Page.loadEventFired', sessionId);
  const t0 = Date.now();
  const nav = await send('Page.navigate', { url: origin + pagePath }, sessionId);
  if (nav.errorText) throw new Error(`navigation to ${origin + pagePath} failed: ${nav.errorText}`);
  await loaded;
  const loadMs = Date.now() - t0;
  const expr = `(async () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const out = {navProtocol: nav ? nav.nextHopProtocol : null,
                 marker: document.body ? document.body.innerText.includes(${JSON.stringify(marker)}) : false,
                 secure: window.isSecureContext};
    const t0 = performance.now();
    const r = await fetch(${JSON.stringify(filePath)}, {cache: 'no-store'});
    const body = await r.arrayBuffer();
    out.fetchMs = Math.round(performance.now() - t0);
    out.status = r.status;
    out.length = body.byteLength;
    const h = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
    out.sha256 = Array.from(h, (b) => b.toString(16).padStart(2, '0')).join('');
    const res = performance.getEntriesByName(new URL(${JSON.stringify(filePath)}, location.href).href)[0];
    out.fetchProtocol = res ? res.nextHopProtocol : null;
    return out;
  })()`;
  const r = await send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true }, sessionId);
  if (r.exceptionDetails) {
    const ex = r.exceptionDetails;
    throw new Error(`page script: ${ex.exception && ex.exception.description ? ex.exception.description : ex.text}`);
  }
  const out = r.result.value;
  out.loadMs = loadMs;
  out.pageContentType = pageContentType;
  finish(out, 0);
}
main().catch((e) => finish({ error: String(e && e.message ? e.message : e) }, 1));
