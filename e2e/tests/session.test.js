// Sessions survive reloads; mentions raise a badge; user text stays text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, signIn, sendMessage, uniqueName, apiCall, createChannel, openRoom, me, assertNoProblems } from '../lib/browser.js';
import { waitText, waitGone } from '../lib/wait.js';

let server;
let browser;
let alice;
let bob;
let channel;
const names = { alice: uniqueName('alice'), bob: uniqueName('bob') };

before(async () => {
  server = await startServer();
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  await signUp(alice.page, names.alice, { displayName: 'Alice' });
  await signUp(bob.page, names.bob, { displayName: 'Bob' });
  channel = await createChannel(alice.page, 'town-square');
  await apiCall(bob.page, 'POST', `/rooms/${channel.id}/join`);
  await openRoom(alice.page, channel.id);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a reload keeps the session and the history', async () => {
  const a = alice.page;
  await sendMessage(a, 'remember me after a reload');
  await a.locator('.msg[data-message-id]', { hasText: 'remember me' }).waitFor();
  const tokenBefore = await a.evaluate(() => JSON.parse(localStorage.getItem('hearth.auth')).refresh_token);
  await a.reload();
  await a.locator('.sidebar[data-connection="ready"]').waitFor();
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  await a.locator('.msg', { hasText: 'remember me after a reload' }).waitFor();
  // An expired-looking access token is refreshed (rotating the refresh token) before use.
  await a.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('hearth.auth'));
    s.expires_at = Date.now() - 1000;
    localStorage.setItem('hearth.auth', JSON.stringify(s));
  });
  await a.reload();
  await a.locator('.sidebar[data-connection="ready"]').waitFor();
  await a.locator('.msg', { hasText: 'remember me after a reload' }).waitFor();
  const tokenAfter = await a.evaluate(() => JSON.parse(localStorage.getItem('hearth.auth')).refresh_token);
  assert.notEqual(tokenAfter, tokenBefore, 'the refresh token rotated');
});

test('a mention raises the mention badge and highlights the message', async () => {
  const b = bob.page;
  // Bob looks at something else (the welcome page).
  await b.goto('/#/');
  await b.locator('.welcome').waitFor();
  await sendMessage(alice.page, `hey @${names.bob} can you look at this?`);
  const item = b.locator(`.room-item[data-room-id="${channel.id}"]`);
  await waitText(item.locator('.badge--mention'), '@1');
  await item.locator('.badge--unread').waitFor();
  await b.waitForFunction(() => /^\(\d+\)/.test(document.title));
  await item.click();
  const mention = b.locator('.msg.msg--mention', { hasText: 'can you look at this' });
  await mention.waitFor();
  await mention.locator('.mention.mention--me').waitFor();
  await waitGone(item.locator('.badge--mention'));
  await b.waitForFunction(() => !/^\(\d+\)/.test(document.title));
});

test('markup and javascript: links in messages render as harmless text', async () => {
  const a = alice.page;
  const b = bob.page;
  await b.evaluate(() => {
    window.__pwned = 0;
    window.alert = () => {
      window.__pwned += 1;
    };
  });
  await sendMessage(a, '<img src=x onerror=alert(1)> and [click me](javascript:alert(2)) and <script>alert(3)</script>');
  await sendMessage(a, '[also](javascript:alert`4`) <a href="javascript:alert(5)">x</a> https://example.com/ok');
  const first = b.locator('.msg', { hasText: 'onerror' });
  await first.waitFor();
  const body = first.locator('.msg__body');
  assert.match(await body.textContent(), /<img src=x onerror=alert\(1\)>/);
  assert.equal(await body.locator('img, script, a').count(), 0);
  const second = b.locator('.msg', { hasText: 'example.com/ok' });
  await second.waitFor();
  const hrefs = await second.locator('.msg__body a').evaluateAll((as) => as.map((x) => [x.getAttribute('href'), x.rel]));
  assert.deepEqual(hrefs, [['https://example.com/ok', 'noopener noreferrer nofollow']]);
  assert.equal(await b.locator('.msg__body img, .msg__body script, .msg__body a[href^="javascript"]').count(), 0);
  assert.equal(await b.evaluate(() => window.__pwned), 0);
  assertNoProblems(b);
});

test('sign out returns to sign-in, and signing in again works', async () => {
  const a = alice.page;
  await a.locator('.me').click();
  await a.getByRole('dialog').getByRole('button', { name: 'Sign out' }).click();
  await a.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await a.evaluate(() => localStorage.getItem('hearth.auth')), null);
  await a.reload();
  await a.getByRole('button', { name: 'Sign in' }).waitFor();
  await signIn(a, names.alice);
  assert.equal((await me(a)).username, names.alice);
  await a.getByLabel('Username or e-mail').waitFor({ state: 'detached' });
});

test('a wrong password shows an error', async () => {
  const { page } = await newPage(browser, server.url);
  await page.goto('/');
  await page.getByLabel('Username or e-mail').fill(names.bob);
  await page.getByLabel('Password', { exact: true }).fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitText(page.getByRole('alert'), 'Wrong username or password');
  await page.context().close();
});
