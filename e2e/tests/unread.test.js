// Opening a room with more unread messages than fit on a screen: it opens at
// the first unread one, is marked read only as far as the reader scrolls, and
// offers "Jump to latest" and "Jump to unread".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, signIn, uniqueName, apiCall, createChannel, screenshot, assertNoProblems } from '../lib/browser.js';
import { waitGone, until } from '../lib/wait.js';

let server;
let browser;
let alice;
let bob;
/** Readers who joined before the backlog and never read it: one per screenshot run. */
const readers = [];
let channel;
let lastSeq;

before(async () => {
  server = await startServer({ extraArgs: ['--send-rate-per-second', '1000', '--send-burst', '1000'] });
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice Liddell' });
  await signUp(bob.page, uniqueName('bob'), { displayName: 'Bob Marley' });
  channel = await createChannel(bob.page, 'backlog');
  await apiCall(alice.page, 'POST', `/rooms/${channel.id}/join`);
  for (let i = 0; i < 4; i++) {
    const username = uniqueName('carol');
    const c = await newPage(browser, server.url);
    await signUp(c.page, username, { displayName: 'Carol Danvers' });
    await apiCall(c.page, 'POST', `/rooms/${channel.id}/join`);
    await c.context.close();
    readers.push(username);
  }
  await apiCall(bob.page, 'POST', `/rooms/${channel.id}/messages`, { body: 'Already read before the backlog' });
  // Alice reads up to here.
  const seen = await apiCall(alice.page, 'GET', `/rooms/${channel.id}`);
  await apiCall(alice.page, 'POST', `/rooms/${channel.id}/read`, { seq: seen.body.last_seq });
  for (let i = 1; i <= 70; i++) {
    const res = await apiCall(bob.page, 'POST', `/rooms/${channel.id}/messages`, { body: `Backlog message ${i}` });
    lastSeq = res.body.seq;
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Whether the element is wholly inside the timeline's visible area. */
function onScreen(locator) {
  return locator.evaluate((el) => {
    const box = el.closest('.timeline').getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  });
}

const readRequest = (page) =>
  page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/rooms/${channel.id}/read`)).then((r) => r.postDataJSON().seq);

test('a room with 70 unread opens at the first unread and is read as far as it is scrolled', async () => {
  const a = alice.page;
  await a.reload();
  await a.locator('.sidebar[data-connection="ready"]').waitFor();
  const item = a.locator(`.room-item[data-room-id="${channel.id}"]`);
  await until(a, async () => (await item.locator('.badge--unread').textContent().catch(() => '')) !== '', 'an unread badge');
  const before = Number(await item.locator('.badge--unread').textContent());
  assert.ok(before >= 70, `badge counts the backlog: ${before}`);

  const firstRead = readRequest(a);
  await item.click();
  const divider = a.locator('.new-divider');
  await divider.waitFor();
  await until(a, () => onScreen(divider), 'the "New messages" divider on screen');
  await until(a, () => onScreen(a.locator('.msg', { hasText: 'Backlog message 1' }).first()), 'the first unread message on screen');
  assert.equal(await onScreen(a.locator('.msg', { hasText: 'Backlog message 70' })), false, 'the newest is below the screen');

  // Marked read only as far as what is on screen.
  const seq = await firstRead;
  assert.ok(seq < lastSeq, `read marker ${seq} stays below the newest ${lastSeq}`);
  await until(a, async () => Number((await item.locator('.badge--unread').textContent().catch(() => '0')) || 0) > 0, 'the badge still counting');
  await screenshot(a, 'unread-opened-at-divider-light-desktop');

  // Jump to latest reads the rest.
  await a.getByRole('button', { name: 'Jump to latest messages' }).click();
  await until(a, () => onScreen(a.locator('.msg', { hasText: 'Backlog message 70' })), 'the newest message on screen');
  await waitGone(item.locator('.badge--unread'));
  await until(a, async () => (await apiCall(a, 'GET', `/rooms/${channel.id}`)).body.read_seq >= lastSeq, 'the server read marker at the newest');

  // The divider is above now: jump back to it.
  const toUnread = a.getByRole('button', { name: 'Jump to unread' });
  await toUnread.waitFor();
  await screenshot(a, 'unread-jump-to-unread-light-desktop');
  await toUnread.click();
  await until(a, () => onScreen(divider), 'the divider back on screen');
  assertNoProblems(a);
});

test('a room with nothing unread opens at the bottom', async () => {
  const a = alice.page;
  await a.reload();
  await a.locator('.sidebar[data-connection="ready"]').waitFor();
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  await until(a, () => onScreen(a.locator('.msg', { hasText: 'Backlog message 70' })), 'the newest message on screen');
  assert.equal(await a.locator('.new-divider').count(), 0);
  assertNoProblems(a);
});

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

test('screenshots of a room opened at its unread messages', async () => {
  for (const scheme of ['dark', 'light']) {
    for (const [size, opts] of Object.entries(SIZES)) {
      const { page, context } = await newPage(browser, server.url, { ...opts, colorScheme: scheme });
      await signIn(page, readers.pop());
      await page.goto(`/#/room/${channel.id}`);
      await page.locator('.new-divider').waitFor();
      await until(page, () => onScreen(page.locator('.new-divider')), 'the divider on screen');
      await screenshot(page, `unread-opened-${scheme}-${size}`);
      // (The button back to the divider is tested above; here the view at
      // the bottom is what is looked at.)
      await page.getByRole('button', { name: 'Jump to latest messages' }).click();
      await until(page, () => onScreen(page.locator('.msg', { hasText: 'Backlog message 70' })), 'the newest message on screen');
      await screenshot(page, `unread-at-latest-${scheme}-${size}`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      assert.equal(wide, false, 'nothing overflows');
      assertNoProblems(page);
      await context.close();
    }
  }
});
