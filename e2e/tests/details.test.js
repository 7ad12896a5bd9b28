// Small things that look broken: "(edited)" on a line of its own, raw
// Markdown in reply previews, a tombstone splitting its author's run, small
// images blown up in the lightbox, your own dot green while offline, a
// revoked session dropping to sign-in without a word, the app forgetting the
// last room, the connection label cut off, the favicon fetched per room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, signIn, uniqueName, apiCall, createChannel, screenshot, assertNoProblems } from '../lib/browser.js';
import { waitText, until } from '../lib/wait.js';

let server;
let browser;
let alice;
let bob;
let channel;
const names = { alice: uniqueName('alice'), bob: uniqueName('bob') };

before(async () => {
  server = await startServer({ extraArgs: ['--send-rate-per-second', '1000', '--send-burst', '1000'] });
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  await signUp(alice.page, names.alice, { displayName: 'Alice Liddell' });
  await signUp(bob.page, names.bob, { displayName: 'Bob Marley' });
  channel = await createChannel(alice.page, 'details');
  await apiCall(bob.page, 'POST', `/rooms/${channel.id}/join`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const say = async (page, body, extra = {}) => (await apiCall(page, 'POST', `/rooms/${channel.id}/messages`, { body, ...extra })).body;
const msg = (page, text) => page.locator('.msg').filter({ hasText: text });

test('"(edited)" ends the line; a reply preview shows text, not Markdown', async () => {
  const a = alice.page;
  await a.goto(`/#/room/${channel.id}`);
  const original = await say(bob.page, 'Welcome to _Hearth_, **everyone**');
  await apiCall(bob.page, 'PATCH', `/rooms/${channel.id}/messages/${original.id}`, { body: 'Welcome to _Hearth_, **everyone**!' });
  await say(alice.page, 'Thanks!', { reply_to: original.id });
  const edited = msg(a, 'everyone!').locator('.msg__edited');
  await edited.waitFor();
  assert.equal(await edited.evaluate((el) => el.parentElement.tagName), 'P', '"(edited)" sits in the paragraph');
  await waitText(msg(a, 'Thanks!').locator('.msg__quote-text'), 'Welcome to Hearth, everyone!');
  assert.equal(await msg(a, 'Thanks!').locator('.msg__quote-text').textContent(), 'Welcome to Hearth, everyone!');
  assertNoProblems(a);
});

test('a deleted message stays inside its author\'s run of messages', async () => {
  const a = alice.page;
  await say(bob.page, 'run one');
  const middle = await say(bob.page, 'run two');
  await say(bob.page, 'run three');
  await msg(a, 'run three').waitFor();
  await apiCall(bob.page, 'DELETE', `/rooms/${channel.id}/messages/${middle.id}`);
  const tombstone = a.locator(`.msg[data-message-id="${middle.id}"]`);
  await tombstone.locator('.msg__body--deleted').waitFor();
  await until(a, () => tombstone.evaluate((el) => el.classList.contains('msg--grouped')), 'the tombstone grouped');
  assert.equal(await msg(a, 'run three').evaluate((el) => el.classList.contains('msg--grouped')), true, 'the run goes on after it');
  await screenshot(a, 'tombstone-in-run-light-desktop');
  assertNoProblems(a);
});

test('the lightbox shows a small image at its own size', async () => {
  const a = alice.page;
  const png = await a.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 120;
    c.height = 80;
    const g = c.getContext('2d');
    g.fillStyle = '#6e6ef0';
    g.fillRect(0, 0, 120, 80);
    return c.toDataURL('image/png');
  });
  await a.locator('.composer input[type=file]').setInputFiles({ name: 'tiny.png', mimeType: 'image/png', buffer: Buffer.from(png.split(',')[1], 'base64') });
  await a.locator('.composer__send.composer__send--ready').waitFor();
  await a.locator('.composer__input').press('Enter');
  await a.locator('.att-image img').last().waitFor();
  await a.locator('.att-image').last().click();
  const img = a.locator('dialog.lightbox[open] img');
  await img.waitFor();
  await until(a, () => img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the image loaded');
  const box = await img.boundingBox();
  assert.ok(box.width <= 120.5 && box.height <= 80.5, `shown at most at its size: ${box.width}x${box.height}`);
  await screenshot(a, 'lightbox-small-image-light-desktop');
  await a.keyboard.press('Escape');
  assertNoProblems(a);
});

test('your own dot goes grey while the app is offline, and the label fits', async () => {
  const a = alice.page;
  await alice.context.setOffline(true);
  await a.locator('.sidebar[data-connection="offline"]').waitFor();
  await a.locator('.me .presence--offline').waitFor();
  const fits = await a.evaluate(() => {
    const conn = document.querySelector('.conn');
    conn.className = 'conn conn--reconnecting';
    conn.querySelector('.conn__label').textContent = 'Reconnecting…';
    const label = conn.querySelector('.conn__label');
    return label.scrollWidth <= label.clientWidth + 1 && conn.getBoundingClientRect().right <= document.querySelector('.sidebar').getBoundingClientRect().right;
  });
  assert.ok(fits, '"Reconnecting…" is not cut off');
  await screenshot(a, 'sidebar-reconnecting-light-desktop');
  await alice.context.setOffline(false);
  await a.locator('.sidebar[data-connection="ready"]').waitFor({ timeout: 20_000 });
  await a.locator('.me .presence--online').waitFor();
  assertNoProblems(a, [/ERR_INTERNET_DISCONNECTED|Failed to fetch|net::/]);
});

/** What the offline test above leaves on this page's log: the service
 * worker's fetches that failed while the context was offline, reported late. */
const OFFLINE_LEFTOVER = /ERR_INTERNET_DISCONNECTED/;

test('reopening the app goes back to the last room; switching rooms fetches no favicon', async () => {
  const a = alice.page;
  const other = await createChannel(a, 'elsewhere');
  await a.goto(`/#/room/${channel.id}`);
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  const favicons = [];
  a.on('request', (r) => r.url().endsWith('favicon.svg') && favicons.push(r.url()));
  await a.locator(`.room-item[data-room-id="${other.id}"]`).click();
  await a.locator(`.room[data-room-id="${other.id}"]`).waitFor();
  await a.locator(`.room-item[data-room-id="${channel.id}"]`).click();
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  assert.deepEqual(favicons, [], 'no favicon request on a room switch');

  await a.goto('/');
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  assertNoProblems(a, [OFFLINE_LEFTOVER]);
});

test('a session revoked elsewhere lands on sign-in saying why', async () => {
  const { page: second, context } = await newPage(browser, server.url);
  await signIn(second, names.alice);
  const res = await apiCall(second, 'POST', '/sessions/revoke-others');
  assert.ok(res.status < 300, `revoke others: ${res.status}`);
  const a = alice.page;
  await a.getByRole('button', { name: 'Sign in' }).waitFor();
  await waitText(a.locator('.auth__notice'), 'You were signed out');
  await screenshot(a, 'signed-out-revoked-light-desktop');
  await context.close();
  assertNoProblems(a, [/401|403/, OFFLINE_LEFTOVER]);
});
