// What a newcomer trips over in the first hour: a taken channel name, a
// message over the length limit, editing (no typing shown, no stuck Send
// button) and "Forgot password?" on a server that sends no mail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, sendMessage, uniqueName, screenshot, assertNoProblems, apiCall, createChannel } from '../lib/browser.js';
import { waitText, until } from '../lib/wait.js';

let server;
let browser;
let alice;
let bob;

before(async () => {
  server = await startServer();
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice Liddell' });
  await signUp(bob.page, uniqueName('bob'), { displayName: 'Bob Marley' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const msg = (page, text) => page.locator('.msg').filter({ hasText: text });

async function newChannel(page, name) {
  await page.getByRole('button', { name: 'New channel' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox').first().fill(name);
  await dialog.getByRole('button', { name: 'Create' }).click();
  return dialog;
}

test('a second channel with a taken name is refused with a clear message', async () => {
  const a = alice.page;
  await newChannel(a, 'general');
  await a.locator('.room-header__name', { hasText: 'general' }).waitFor();

  const b = bob.page;
  const dialog = await newChannel(b, 'General');
  await waitText(dialog.locator('.form-error'), 'A channel named #General already exists');
  await screenshot(b, 'channel-name-taken-light-desktop');
  await dialog.getByRole('button', { name: 'Close' }).or(dialog.getByRole('button', { name: 'Cancel' })).first().click();
  assertNoProblems(b, [/409/]);
});

test('the composer warns near the length limit and never loses an over-long message', async () => {
  const a = alice.page;
  const input = a.locator('.composer__input');
  const counter = a.locator('.composer__counter');
  await input.fill('x'.repeat(3900));
  await waitText(counter, '100 left');
  await input.fill('y'.repeat(4010));
  await waitText(counter, '10 over the limit');
  await screenshot(a, 'composer-over-limit-light-desktop');
  await input.press('Enter');
  await waitText(a.locator('.toast'), '10 characters over the limit');
  assert.equal((await input.inputValue()).length, 4010, 'the text stays in the composer');
  assert.equal(await a.locator('.msg[data-status]').count(), 0, 'nothing was queued');
  await input.fill('');
  assertNoProblems(a);
});

test('a message the server refuses for good comes back to the composer', async () => {
  const a = alice.page;
  // A client that believes the limit is higher than the server's.
  await a.route('**/api/v1/server', (route) =>
    route.fulfill({ json: { email: false, registration: 'open', max_message_chars: 100000 } }),
  );
  await a.reload();
  await a.locator('.sidebar[data-connection="ready"]').waitFor();
  await a.locator('.composer__input').waitFor();
  const text = `${'long '.repeat(900)}end`;
  const input = a.locator('.composer__input');
  await input.fill(text);
  await input.press('Enter');
  await until(a, async () => (await input.inputValue()) === text, 'the refused text back in the composer');
  await waitText(a.locator('.toast'), 'Message not sent');
  assert.equal(await a.locator('.msg[data-status="failed"]').count(), 0, 'no dead "Retry" row');
  await input.fill('');
  await a.unroute('**/api/v1/server');
  assertNoProblems(a);
});

test('editing tells nobody "is typing" and leaves the Send button at rest', async () => {
  const a = alice.page;
  const sentOps = [];
  a.on('websocket', (ws) => ws.on('framesent', (f) => sentOps.push(String(f.payload))));
  await a.reload();
  await a.locator('.sidebar[data-connection="ready"]').waitFor();
  await sendMessage(a, 'first version');
  await until(a, async () => (await a.locator('.msg[data-message-id]').filter({ hasText: 'first version' }).count()) === 1, 'the message acknowledged');
  const before = sentOps.length;
  const input = a.locator('.composer__input');
  await input.press('ArrowUp');
  await until(a, async () => (await input.inputValue()) === 'first version', 'the edit to start');
  await input.pressSequentially(' and then some', { delay: 10 });
  await input.press('Enter');
  await msg(a, 'first version and then some').waitFor();
  const typing = sentOps.slice(before).filter((p) => p.includes('"op":"typing"'));
  assert.deepEqual(typing, [], 'no typing op while editing');
  assert.equal(await a.locator('.composer__send').evaluate((el) => el.classList.contains('composer__send--ready')), false);
  assertNoProblems(a);
});

test('the server admin can moderate a room someone else created', async () => {
  // Alice signed up first: she is the server's administrator.
  const b = bob.page;
  const channel = await createChannel(b, 'bobs-corner');
  const a = alice.page;
  assert.equal((await apiCall(a, 'POST', `/rooms/${channel.id}/join`)).status < 300, true);
  await a.goto(`/#/room/${channel.id}`);
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  await a.getByRole('button', { name: 'Room settings' }).click();
  const dialog = a.getByRole('dialog');
  const topic = dialog.locator('#rs-topic');
  await topic.waitFor();
  assert.equal(await topic.isDisabled(), false, 'the settings are editable');
  assert.equal(await dialog.getByText('Only admins can change these settings.').count(), 0);
  await screenshot(a, 'room-settings-server-admin-light-desktop');
  await topic.fill('Moderated by the admin');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await waitText(a.locator('.room-header__sub'), 'Moderated by the admin');
  assertNoProblems(a);
});

test('a new display name reaches the others without a reload', async () => {
  const a = alice.page;
  const b = bob.page;
  const channel = await createChannel(a, 'names');
  await apiCall(b, 'POST', `/rooms/${channel.id}/join`);
  await apiCall(b, 'POST', `/rooms/${channel.id}/messages`, { body: 'Hello from Bob' });
  await a.goto(`/#/room/${channel.id}`);
  await msg(a, 'Hello from Bob').locator('.msg__author', { hasText: 'Bob Marley' }).waitFor();
  const res = await apiCall(b, 'PATCH', '/users/me', { display_name: 'Robert Nesta' });
  assert.equal(res.status, 200);
  await msg(a, 'Hello from Bob').locator('.msg__author', { hasText: 'Robert Nesta' }).waitFor();
  // Bob's own sidebar follows too.
  await waitText(b.locator('.me__name'), 'Robert Nesta');
  assertNoProblems(a);
});

test('the new-DM picker and the sidebar show a stranger who is online as online', async () => {
  const d = await newPage(browser, server.url);
  const daveName = uniqueName('dave');
  await signUp(d.page, daveName, { displayName: 'Dave Grohl' });
  const a = alice.page;
  await a.getByRole('button', { name: 'New direct message' }).click();
  const dialog = a.getByRole('dialog');
  await dialog.getByRole('searchbox').or(dialog.getByRole('textbox')).first().fill(daveName);
  const pick = dialog.locator('.pick', { hasText: 'Dave Grohl' });
  await pick.locator('.presence:is(.presence--online, .presence--idle)').waitFor();
  await screenshot(a, 'new-dm-picker-presence-light-desktop');
  await pick.click();
  const item = a.locator('.room-item', { hasText: 'Dave Grohl' });
  await item.locator('.presence:is(.presence--online, .presence--idle)').waitFor();
  await d.context.close();
  assertNoProblems(a);
});

test('"Forgot password?" says up front that this server sends no e-mail', async () => {
  const { page, context } = await newPage(browser, server.url);
  await page.goto('/');
  await page.getByRole('button', { name: 'Forgot password?' }).click();
  await waitText(page.locator('.auth__card'), 'does not send e-mail');
  assert.equal(await page.getByRole('button', { name: 'Send reset link' }).count(), 0);
  await screenshot(page, 'forgot-no-mail-light-desktop');
  assertNoProblems(page);
  await context.close();
});

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

test('screenshots: forgot password without mail, the length counter, the channel-name error', async () => {
  for (const scheme of ['dark', 'light']) {
    for (const [size, opts] of Object.entries(SIZES)) {
      const tag = `${scheme}-${size}`;
      const { page, context } = await newPage(browser, server.url, { ...opts, colorScheme: scheme });
      await page.goto('/');
      await page.getByRole('button', { name: 'Forgot password?' }).click();
      await waitText(page.locator('.auth__card'), 'does not send e-mail');
      await screenshot(page, `forgot-no-mail-${tag}`);
      await signUp(page, uniqueName('shot'));
      await newChannel(page, 'GENERAL');
      await waitText(page.getByRole('dialog').locator('.form-error'), 'already exists');
      await screenshot(page, `channel-name-taken-${tag}`);
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      const channel = await createChannel(page, uniqueName('shots'));
      await page.goto(`/#/room/${channel.id}`);
      const input = page.locator('.composer__input');
      await input.fill('z'.repeat(3950));
      await waitText(page.locator('.composer__counter'), '50 left');
      await screenshot(page, `composer-near-limit-${tag}`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      assert.equal(wide, false, `${tag}: nothing overflows`);
      assertNoProblems(page, [/409/]);
      await context.close();
    }
  }
});
