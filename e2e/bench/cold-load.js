// Cold-load benchmark of the web client, run by hand (not part of `npm test`):
//
//   HEARTH_BIN=../target/debug/hearth node bench/cold-load.js [--rtt 80] [--runs 7] [--mbps 50]
//
// Starts the server (or measures `--url http://…`), then loads the page in a
// fresh browser context each run — empty HTTP cache, no service worker —
// under Chromium's network emulation (CDP Network.emulateNetworkConditions:
// `--rtt` ms from request to response headers, `--mbps` down and up), and
// reports the median of:
//   signed out  — until the sign-in form is shown;
//   signed in   — until the sidebar is connected and lists the user's rooms
//                 (tokens put into localStorage before the page starts);
// with the number of requests and bytes transferred by the page. These are
// measurements to compare builds, not assertions.
import { launch } from '../lib/browser.js';
import { startServer } from '../lib/server.js';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const RTT = Number(option('rtt', '80'));
const RUNS = Number(option('runs', '7'));
const MBPS = Number(option('mbps', '50'));
const URL_ARG = option('url', null);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** One cold load; resolves {ms, requests, bytes}. */
async function coldLoad(browser, url, { auth = null, ready }) {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 800 } });
  if (auth) await context.addInitScript((value) => localStorage.setItem('hearth.auth', value), JSON.stringify(auth));
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const bytesPerSecond = (MBPS * 1_000_000) / 8;
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: RTT,
    downloadThroughput: bytesPerSecond,
    uploadThroughput: bytesPerSecond,
  });
  let requests = 0;
  let bytes = 0;
  cdp.on('Network.requestWillBeSent', (e) => {
    if (!e.request.url.startsWith('data:')) requests += 1;
  });
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
  });
  const start = Date.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.locator(ready).first().waitFor({ timeout: 30_000 });
  const ms = Date.now() - start;
  await context.close();
  return { ms, requests, bytes };
}

async function register(url) {
  const username = `bench${Date.now().toString(36)}`;
  const res = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery', display_name: 'Bench' }),
  });
  const auth = await res.json();
  const headers = { Authorization: `Bearer ${auth.access_token}`, 'Content-Type': 'application/json' };
  for (const name of ['general', 'random', 'bench']) {
    await fetch(`${url}/api/v1/rooms`, { method: 'POST', headers, body: JSON.stringify({ kind: 'channel', name: `${name}-${username}` }) });
  }
  return {
    access_token: auth.access_token,
    refresh_token: auth.refresh_token,
    expires_at: Date.now() + auth.expires_in * 1000,
    user: auth.user,
  };
}

const server = URL_ARG ? null : await startServer();
const url = URL_ARG ?? server.url;
const browser = await launch();
try {
  const auth = await register(url);
  const cases = [
    ['signed out', { ready: '.auth form' }],
    ['signed in', { auth, ready: '.sidebar[data-connection="ready"] .room-item' }],
  ];
  console.log(`cold load at ${RTT} ms RTT, ${MBPS} Mbit/s, median of ${RUNS} runs (${url})`);
  for (const [name, opts] of cases) {
    const results = [];
    // One warm-up run (server-side caches, the browser's process start).
    await coldLoad(browser, url, opts);
    for (let i = 0; i < RUNS; i++) results.push(await coldLoad(browser, url, opts));
    const ms = median(results.map((r) => r.ms));
    const requests = median(results.map((r) => r.requests));
    const kb = Math.round(median(results.map((r) => r.bytes)) / 1024);
    console.log(`${name.padEnd(11)} ${String(ms).padStart(5)} ms  ${requests} requests  ${kb} KB  (runs: ${results.map((r) => r.ms).join(', ')})`);
  }
} finally {
  await browser.close();
  await server?.stop();
}
