// The `causet view` page in headless Chromium: first full paint, frame times over a
// scripted pan and zoom (requestAnimationFrame timing), selection time and the renderer's
// peak RSS. Talks to Chromium over the DevTools protocol on a pipe (no dependencies: Node's
// standard library only, Node 18 or later).
//
// Run (pages from the view bench; CAUSET_VIEW_EVENTS=1000000 for the million-event pages):
//   CAUSET_VIEW_OUT=DIR cargo bench -p causet-diagram --bench view -- nomatch
//   node crates/causet-diagram/benches/view_page.mjs DIR/gen-100000-8.html [more pages]
// Prints one JSON object per page: per phase, `interval` is the time between animation
// frames (16.7 ms = every frame at 60 Hz; a longer one is a dropped frame) and `draw` the
// time drawing and rasterising one frame took (the page reads a pixel back to force it);
// `selectMs` is a click's time until the frame showing it has been drawn, `selectSyncMs`
// the part before the browser paints. Phases: the fitted view redrawn (`panFitted`), a
// zoom in and out through the densities to the dots (`zoom`), a pan zoomed in 8 times from
// the fit (`panZoomed8`) and one at 24 px a row (`panZoomedIn`).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

function browser() {
  const profile = mkdtempSync(join(tmpdir(), "causet-bench-"));
  const child = spawn("chromium", [
    "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1400,900",
    "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
    `--user-data-dir=${profile}`, "about:blank",
  ], { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });
  let id = 0, buffer = "";
  const waiting = new Map(), listeners = [];
  child.stdio[4].on("data", (chunk) => {
    buffer += chunk.toString();
    let end;
    while ((end = buffer.indexOf("\0")) >= 0) {
      const message = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (message.id && waiting.has(message.id)) {
        const { ok, fail } = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.error) fail(new Error(JSON.stringify(message.error))); else ok(message.result);
      } else listeners.forEach((f) => f(message));
    }
  });
  const send = (method, params = {}, sessionId) => new Promise((ok, fail) => {
    waiting.set(++id, { ok, fail });
    child.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + "\0");
  });
  // Closes Chromium (politely, then by signal) and removes its profile once it has exited;
  // a profile its helpers still write to is left behind rather than failing the bench.
  const close = async () => {
    const exited = new Promise((ok) => child.once("exit", ok));
    send("Browser.close").catch(() => {});
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
    await new Promise((ok) => setTimeout(ok, 200));
    try { rmSync(profile, { recursive: true, force: true, maxRetries: 5 }); } catch (_) { /* left in tmp */ }
  };
  return { child, send, listeners, close };
}

// Peak resident memory (VmHWM) of the browser's renderer processes, in MiB.
function rendererPeak(root) {
  const parent = new Map();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch (_) { /* gone */ }
  }
  const mine = (pid) => { for (let p = pid; p > 1; p = parent.get(p)) if (p === root) return true; return false; };
  let peak = 0;
  for (const pid of parent.keys()) {
    try {
      if (!mine(pid) || !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer")) continue;
      const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
    } catch (_) { /* gone */ }
  }
  return Math.round(peak);
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b), at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const r = (x) => Math.round(x * 100) / 100;
  return { n: s.length, median: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1]) };
};

async function measure(page) {
  const b = browser();
  try {
    const { targetId } = await b.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await b.send("Target.attachToTarget", { targetId, flatten: true });
    const eval_ = async (expression) => {
      const { result, exceptionDetails } = await b.send("Runtime.evaluate",
        { expression, awaitPromise: true, returnByValue: true }, sessionId);
      if (exceptionDetails) throw new Error(JSON.stringify(exceptionDetails));
      return result.value;
    };
    await b.send("Page.enable", {}, sessionId);
    const loaded = new Promise((ok) => b.listeners.push((m) => { if (m.method === "Page.loadEventFired" && m.sessionId === sessionId) ok(); }));
    await b.send("Page.navigate", { url: "file://" + resolve(page) }, sessionId);
    await loaded;
    await eval_("new Promise((ok) => { const t = () => window.causetView && causetView.timing().firstFrameMs ? ok() : setTimeout(t, 50); t(); })");
    const timing = await eval_("causetView.timing()");
    const state = await eval_("(() => { const s = causetView.state(); return { events: s.events, nodes: s.nodes, rows: s.rows, errors: s.errors }; })()");
    // Pans at the first view (the whole execution fitted), then at zoom 1 (24 px a row),
    // then a zoom in and out; 120 frames each.
    const fitted = await eval_("causetView.bench(120, 0, 0).then(() => causetView.bench(120, 40, 0))");
    await eval_("(() => { causetView.fit(); return 0; })()");
    const zoom = await eval_("causetView.bench(60, 0, 1.12).then((a) => causetView.bench(60, 0, 1 / 1.12).then((b) => ({ intervals: a.intervals.concat(b.intervals), draws: a.draws.concat(b.draws) })))");
    // A pan zoomed in 8 times from the fitted view (densities at 100k events and more).
    const fit = await eval_("causetView.view()");
    await eval_(`causetView.setView(0, 0, ${fit.zoom * 8}) || 0`);
    const middle = await eval_("causetView.bench(120, 40, 0)");
    const middleDense = await eval_("causetView.view().dense");
    const pan = await eval_("causetView.setView(0, -20, 1) || causetView.bench(120, 40, 0)");
    const dense = await eval_("causetView.view().dense");
    // Selections from the fitted view (every event classified, the density recoloured):
    // the time until the frame showing it has been drawn.
    await eval_("(() => { causetView.fit(); return 0; })()");
    const nodes = (await eval_("causetView.state().columns")).slice(0, 3);
    const select = [];
    for (const [k, node] of nodes.entries()) {
      const id = `${node}:${[5, 500, 2000][k]}`;
      select.push(await eval_(`causetView.benchSelect(${JSON.stringify(id)})`));
    }
    return {
      page, bytes: statSync(page).size, ...state, firstPaintMs: Math.round(timing.firstPaintMs),
      firstFrameMs: Math.round(timing.firstFrameMs),
      panFitted: { draw: stats(fitted.draws), interval: stats(fitted.intervals) },
      zoom: { draw: stats(zoom.draws), interval: stats(zoom.intervals) },
      panZoomed8: { dense: middleDense, draw: stats(middle.draws), interval: stats(middle.intervals) },
      panZoomedIn: { draw: stats(pan.draws), interval: stats(pan.intervals) },
      zoomedInDense: dense,
      selectMs: select.map((x) => Math.round(x.shown)), selectSyncMs: select.map((x) => Math.round(x.sync)),
      rendererPeakMiB: rendererPeak(b.child.pid),
      // CAUSET_VIEW_FRAMES=1: every zoom frame's draw time, to find the slow ones.
      ...(process.env.CAUSET_VIEW_FRAMES ? { zoomDraws: zoom.draws.map((x) => Math.round(x * 10) / 10) } : {}),
    };
  } finally { await b.close(); }
}

for (const page of process.argv.slice(2)) console.log(JSON.stringify(await measure(page)));
