// Installable and offline: the web app manifest and its icons, the service
// worker's offline shell (a cold start without network shows the app, its
// rooms and its outbox), and a notification click opening the right room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, createChannel, openRoom, sendMessage, assertNoProblems, screenshot } from '../lib/browser.js';
import { until } from '../lib/wait.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(buffer) {
  assert.equal(buffer.subarray(1, 4).toString('latin1'), 'PNG');
  return [buffer.readUInt32BE(16), buffer.readUInt32BE(20)];
}

test('the manifest names the app, its icons and a standalone window', async () => {
  const { page } = await newPage(browser, server.url);
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  const res = await page.request.get(href);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^application\/manifest\+json/);
  const manifest = await res.json();
  assert.equal(manifest.name, 'Hearth');
  assert.equal(manifest.display, 'standalone');
  assert.equal(manifest.start_url, '/');
  assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/i);
  assert.match(manifest.background_color, /^#[0-9a-f]{6}$/i);
  for (const [size, purpose] of [[192, 'any'], [512, 'any'], [192, 'maskable'], [512, 'maskable']]) {
    const icon = manifest.icons.find((i) => i.sizes === `${size}x${size}` && i.purpose === purpose && i.type === 'image/png');
    assert.ok(icon, `a ${size} ${purpose} PNG icon`);
    const png = await page.request.get(icon.src);
    assert.equal(png.status(), 200, icon.src);
    assert.deepEqual(pngSize(await png.body()), [size, size], icon.src);
  }
  // Chromium's own reading of the manifest: no errors, installable fields.
  const cdp = await page.context().newCDPSession(page);
  const { errors, parsed } = await cdp.send('Page.getAppManifest', {});
  assert.deepEqual(errors, [], JSON.stringify(errors));
  assert.ok(parsed ?? true);
  assertNoProblems(page);
});

test('a cold start without network shows the app shell, its rooms and the outbox', async () => {
  const { context, page } = await newPage(browser, server.url);
  await signUp(page, uniqueName('alice'), { displayName: 'Alice' });
  const channel = await createChannel(page, 'offline-shell');
  await openRoom(page, channel.id);
  await sendMessage(page, 'sent while online');
  await page.locator('.msg', { hasText: 'sent while online' }).waitFor();
  // The worker is installed and has kept the shell.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await until(page, () => page.evaluate(async () => (await caches.keys()).length > 0 && Boolean(await caches.match('/'))), 'the shell in the cache');

  await context.setOffline(true);
  await page.locator('.shell[data-connection="offline"]').waitFor();
  await sendMessage(page, 'written in the tunnel');
  await page.locator('.msg--pending', { hasText: 'written in the tunnel' }).waitFor();

  // Reload with no network: the page, its modules and styles come from the worker.
  const reloaded = await page.reload();
  assert.ok(reloaded?.fromServiceWorker(), 'the page came from the service worker');
  await page.locator('.sidebar').waitFor();
  await page.locator('.shell[data-connection="offline"]').waitFor();
  await page.locator(`.room-item[data-room-id="${channel.id}"]`).waitFor();
  await page.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  await page.locator('.msg--pending', { hasText: 'written in the tunnel' }).waitFor();
  await page.getByText('Messages will load when you are back online.').waitFor();
  await screenshot(page, 'offline-shell-light');
  // Styles applied: the sidebar is laid out, not unstyled text.
  const sidebarWidth = await page.locator('.sidebar').evaluate((el) => el.getBoundingClientRect().width);
  assert.ok(sidebarWidth > 150 && sidebarWidth < 500, `sidebar width ${sidebarWidth}`);

  // Back online, the outbox is sent.
  await context.setOffline(false);
  await page.locator('.shell[data-connection="ready"]').waitFor({ timeout: 20_000 });
  await page.locator('.msg:not(.msg--pending)', { hasText: 'written in the tunnel' }).waitFor({ timeout: 15_000 });
  // The history the offline start could not fetch is loaded on reconnect.
  await page.locator('.msg', { hasText: 'sent while online' }).waitFor();
  // Failed fetches while offline are expected in the log.
  assertNoProblems(page, [/ERR_INTERNET_DISCONNECTED|Failed to fetch|net::|status of 5\d\d|WebSocket/]);
  await context.close();
});

test('a notification click opens its room in the open window', async () => {
  const { context, page } = await newPage(browser, server.url, { colorScheme: 'dark' });
  await signUp(page, uniqueName('bob'), { displayName: 'Bob' });
  const first = await createChannel(page, 'first-room');
  const second = await createChannel(page, 'second-room');
  await openRoom(page, first.id);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const worker = await until(page, () => context.serviceWorkers()[0], 'the service worker');
  // What the worker's notificationclick handler runs (a headless browser has no notification to click).
  await worker.evaluate((roomId) => self.hearthOpenRoom({ room_id: roomId, url: `/#/room/${roomId}` }), second.id);
  await page.locator(`.room[data-room-id="${second.id}"]`).waitFor();
  assert.equal(await page.evaluate(() => location.hash), `#/room/${second.id}`);
  // A payload naming something else is not followed anywhere but our own rooms.
  await worker.evaluate(() => self.hearthOpenRoom({ url: 'https://evil.example/' }));
  assert.equal(await page.evaluate(() => location.hash), `#/room/${second.id}`);
  await screenshot(page, 'notification-opened-room-dark');
  assertNoProblems(page);
  await context.close();
});
