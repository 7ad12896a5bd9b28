// History: older pages load on scroll up and the reading position is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel, openRoom } from '../lib/browser.js';
import { until } from '../lib/wait.js';

let server;
let browser;
let alice;
let channel;

before(async () => {
  server = await startServer({ extraArgs: ['--send-rate-per-second', '1000', '--send-burst', '1000'] });
  browser = await launch();
  alice = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice' });
  channel = await createChannel(alice.page, 'long-history');
  for (let i = 1; i <= 130; i++) {
    await apiCall(alice.page, 'POST', `/rooms/${channel.id}/messages`, { body: `history line ${i}` });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('scrolling up loads older pages and keeps the scroll position', async () => {
  const a = alice.page;
  await openRoom(a, channel.id);
  await a.locator('.msg', { hasText: 'history line 130' }).waitFor();
  const first = await a.locator('.msg[data-seq]').count();
  assert.ok(first <= 60, `first page is one page (${first})`);
  // Scroll to the top; remember which message is at the top of the view.
  const anchorText = await a.locator('.msg[data-seq]').first().locator('.msg__body').textContent();
  await a.locator('.timeline').evaluate((el) => {
    el.scrollTop = 0;
  });
  await until(a, async () => (await a.locator('.msg[data-seq]').count()) > first, 'an older page');
  const anchorTop = await a.locator('.msg', { hasText: anchorText }).evaluate((el) => {
    const t = el.closest('.timeline');
    return el.getBoundingClientRect().top - t.getBoundingClientRect().top;
  });
  assert.ok(anchorTop >= -40 && anchorTop < 400, `the message that was on top stays in view (at ${anchorTop}px)`);
  // Keep going to the very beginning.
  for (let i = 0; i < 5 && !(await a.locator('.timeline__intro').count()); i++) {
    await a.locator('.timeline').evaluate((el) => {
      el.scrollTop = 0;
    });
    await a.waitForFunction(() => document.querySelector('.timeline__intro') || !document.querySelector('.timeline__older .spinner')).catch(() => {});
  }
  await a.locator('.timeline__intro').waitFor();
  await a.locator('.msg__body').getByText('history line 1', { exact: true }).waitFor();
  assert.equal(await a.locator('.msg[data-seq]').count(), 130);
});
