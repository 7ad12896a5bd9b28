// Search operators typed in the box (from:, in:, has:, before:/after:/on:)
// become the API's filters, show as chips, and a chip's × removes its filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel, assertNoProblems, screenshot } from '../lib/browser.js';
import { waitCount } from '../lib/wait.js';

let server;
let browser;
let alice;
let bob;
let bobName;
let general;
let random;

/** Uploads a tiny PNG as the page's user; answers the upload id. */
async function uploadPng(page) {
  return page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 40;
    c.height = 30;
    c.getContext('2d').fillRect(0, 0, 40, 30);
    const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
    const form = new FormData();
    form.append('file', blob, 'dot.png');
    const auth = JSON.parse(localStorage.getItem('hearth.auth'));
    const res = await fetch('/api/v1/uploads', { method: 'POST', headers: { Authorization: `Bearer ${auth.access_token}` }, body: form });
    return (await res.json()).id;
  });
}

before(async () => {
  server = await startServer({ extraArgs: ['--send-rate-per-second', '1000', '--send-burst', '1000'] });
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  bobName = uniqueName('bob');
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice' });
  await signUp(bob.page, bobName, { displayName: 'Bob' });
  general = await createChannel(alice.page, 'general');
  random = await createChannel(alice.page, 'random');
  for (const room of [general, random]) {
    const joined = await apiCall(bob.page, 'POST', `/rooms/${room.id}/join`);
    assert.ok(joined.status < 300);
  }
  const post = (page, room, body, extra = {}) => apiCall(page, 'POST', `/rooms/${room.id}/messages`, { body, ...extra });
  await post(alice.page, general, 'standup notes from alice');
  await post(bob.page, general, 'standup notes from bob');
  await post(bob.page, random, 'standup in random by bob');
  const image = await uploadPng(bob.page);
  await post(bob.page, general, 'standup whiteboard photo', { attachments: [image] });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const hits = (page) => page.locator('.search-hit');

test('operators narrow the search and show as removable chips', async () => {
  const a = alice.page;
  await a.locator(`.room-item[data-room-id="${general.id}"]`).waitFor();
  await a.getByRole('button', { name: 'Search', exact: true }).click();
  const box = a.getByRole('searchbox', { name: 'Search messages' });

  await box.fill('standup');
  await waitCount(hits(a), 4);

  await box.fill(`standup from:@${bobName}`);
  await waitCount(hits(a), 3);
  await a.locator('.search-chip', { hasText: 'From: Bob' }).waitFor();

  await box.fill(`standup from:${bobName} in:#general`);
  await waitCount(hits(a), 2);
  await a.locator('.search-chip', { hasText: 'In: #general' }).waitFor();

  await box.fill(`standup in:#general has:image`);
  await waitCount(hits(a), 1);
  await hits(a).filter({ hasText: 'whiteboard' }).waitFor();
  await screenshot(a, 'search-operators-light');

  // The × of a chip takes its operator out of the box and searches again.
  await a.getByRole('button', { name: 'Remove filter has:image' }).click();
  assert.equal(await box.inputValue(), 'standup in:#general');
  await waitCount(hits(a), 3);

  // Operators alone (no words) list what passes them.
  await box.fill('has:image');
  await waitCount(hits(a), 1);

  // Dates: nothing was posted before 2000, everything after it.
  await box.fill('standup before:2000-01-01');
  await a.locator('.panel__empty', { hasText: 'No messages match' }).waitFor();
  await box.fill('standup after:2000-01-01');
  await waitCount(hits(a), 4);
  const today = new Date().toISOString().slice(0, 10);
  await box.fill(`standup on:${today}`);
  await waitCount(hits(a), 4);

  // An operator that names nothing says so instead of searching.
  await box.fill('standup from:nobody-here');
  await a.locator('.search-chip.chip--error', { hasText: 'nobody-here' }).waitFor();
  await a.locator('.panel__empty', { hasText: 'No user' }).waitFor();
  await box.fill('standup before:yesterday');
  await a.locator('.panel__empty', { hasText: 'takes a date' }).waitFor();
  assertNoProblems(a);
});

test('search operators look right in dark mode and on a phone', async () => {
  const { context, page } = await newPage(browser, server.url, { viewport: { width: 390, height: 780 }, colorScheme: 'dark' });
  await page.goto('/');
  await page.evaluate((auth) => localStorage.setItem('hearth.auth', auth), await alice.page.evaluate(() => localStorage.getItem('hearth.auth')));
  await page.reload();
  await page.locator('.sidebar').waitFor();
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('searchbox', { name: 'Search messages' }).fill(`standup from:${bobName} has:image in:#nowhere`);
  await page.locator('.search-chip.chip--error').waitFor();
  await screenshot(page, 'search-operators-dark-phone');
  await page.getByRole('searchbox', { name: 'Search messages' }).fill(`standup from:${bobName} has:image`);
  await waitCount(hits(page), 1);
  await screenshot(page, 'search-operators-dark-phone-results');
  await context.close();
});
