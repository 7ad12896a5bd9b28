// Offline and reconnect: messages written without a connection are kept as
// pending, sent once when it returns, and the history catches up with no gap
// and no duplicate. An over-long message is never sent (nor lost); one the
// server refuses for a reason that may pass is marked failed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, sendMessage, uniqueName, apiCall, createChannel, openRoom, assertNoProblems } from '../lib/browser.js';
import { waitCount, waitText } from '../lib/wait.js';

let server;
let browser;
let alice;
let bob;
let channel;

before(async () => {
  server = await startServer({ extraArgs: ['--max-message-chars', '500'] });
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice' });
  await signUp(bob.page, uniqueName('bob'), { displayName: 'Bob' });
  channel = await createChannel(alice.page, 'offline-lab');
  const joined = await apiCall(bob.page, 'POST', `/rooms/${channel.id}/join`);
  assert.ok(joined.status < 300, `join answered ${joined.status}`);
  await openRoom(alice.page, channel.id);
  await bob.page.locator(`.room-item[data-room-id="${channel.id}"]`).waitFor();
  await openRoom(bob.page, channel.id);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const msgs = (page, text) => page.locator('.msg').filter({ hasText: text });

test('messages written offline are pending, then delivered exactly once', async () => {
  const a = alice.page;
  const b = bob.page;
  await sendMessage(a, 'before the tunnel');
  await msgs(b, 'before the tunnel').waitFor();

  await alice.context.setOffline(true);
  await a.locator('.shell[data-connection="offline"]').waitFor();
  await a.locator('.banner--offline').waitFor();

  await sendMessage(a, 'offline one');
  await sendMessage(a, 'offline two');
  await waitCount(a.locator('.msg--pending'), 2);
  // Meanwhile Bob writes: Alice must catch up on it after reconnecting.
  await sendMessage(b, 'bob while alice is away');
  await msgs(b, 'bob while alice is away').locator('[data-message-id]').or(msgs(b, 'bob while alice is away')).first().waitFor();

  await alice.context.setOffline(false);
  await a.locator('.shell[data-connection="ready"]').waitFor({ timeout: 20_000 });
  await waitCount(a.locator('.msg--pending'), 0, 15_000);

  for (const text of ['offline one', 'offline two']) {
    await msgs(b, text).waitFor();
    await waitCount(msgs(a, text), 1);
    await waitCount(msgs(b, text), 1);
  }
  await waitCount(msgs(a, 'bob while alice is away'), 1);

  // Order is kept: one before two.
  const order = await b.locator('.msg .msg__body').allTextContents();
  assert.ok(order.findIndex((t) => t.includes('offline one')) < order.findIndex((t) => t.includes('offline two')));

  // After a reload, still exactly once each and nothing pending.
  await a.reload();
  await a.locator('.shell[data-connection="ready"]').waitFor({ timeout: 15_000 });
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  await msgs(a, 'offline two').waitFor();
  await waitCount(msgs(a, 'offline one'), 1);
  await waitCount(msgs(a, 'offline two'), 1);
  await waitCount(a.locator('.msg--pending'), 0);
  // And the server holds each once.
  const page = await apiCall(a, 'GET', `/rooms/${channel.id}/messages?limit=50`);
  const bodies = page.body.messages.map((m) => m.body);
  assert.equal(bodies.filter((x) => x === 'offline one').length, 1);
  assert.equal(bodies.filter((x) => x === 'offline two').length, 1);
});

test('the up arrow while the last message is pending edits that message once it is sent', async () => {
  const a = alice.page;
  const b = bob.page;
  await sendMessage(a, 'an older line of mine');
  await msgs(b, 'an older line of mine').waitFor();

  await alice.context.setOffline(true);
  await a.locator('.shell[data-connection="offline"]').waitFor();
  await sendMessage(a, 'a lnie sent in a tunnel');
  await waitCount(a.locator('.msg--pending'), 1);
  const input = a.locator('.composer__input');
  await input.press('ArrowUp');
  // Nothing older is picked while the newest is still on its way.
  await waitCount(a.locator('.composer__context:visible'), 0);
  assert.equal(await input.inputValue(), '');

  await alice.context.setOffline(false);
  await waitText(a.locator('.composer__context'), 'Editing message');
  assert.equal(await input.inputValue(), 'a lnie sent in a tunnel');
  await input.fill('a line sent in a tunnel');
  await input.press('Enter');
  await waitText(msgs(b, 'a line sent in a tunnel').locator('.msg__edited'), 'edited');
  await waitCount(msgs(b, 'an older line of mine').locator('.msg__edited'), 0);
});

test('an over-long message stays in the composer; a refused one can be retried or discarded', async () => {
  const a = alice.page;
  const input = a.locator('.composer__input');
  const long = `too long ${'x'.repeat(600)}`;
  await input.fill(long);
  await input.press('Enter');
  await waitText(a.locator('.composer__counter'), 'over the limit');
  assert.equal(await input.inputValue(), long, 'nothing typed is lost');
  assert.equal(await a.locator('.msg--failed, .msg--pending').count(), 0, 'nothing was queued');
  await input.fill('');

  // Refused for a reason that may pass (muted): Retry and Discard.
  const b = bob.page;
  const bobId = (await apiCall(b, 'GET', '/users/me')).body.id;
  const muted = await apiCall(a, 'PATCH', `/rooms/${channel.id}/members/${bobId}`, { muted: true });
  assert.ok(muted.status < 300, `mute answered ${muted.status}`);
  await sendMessage(b, 'said while muted');
  const failed = b.locator('.msg--failed');
  await failed.waitFor();
  await failed.getByRole('button', { name: 'Retry' }).click();
  await b.locator('.msg--failed').waitFor();
  await failed.getByRole('button', { name: 'Discard' }).click();
  await waitCount(b.locator('.msg--failed'), 0);
  await apiCall(a, 'PATCH', `/rooms/${channel.id}/members/${bobId}`, { muted: false });
  await sendMessage(b, 'short and fine');
  await waitText(a.locator('.msg'), 'short and fine');
  assertNoProblems(a, [/Failed to load resource/, /ERR_INTERNET_DISCONNECTED/, /WebSocket/]);
});
