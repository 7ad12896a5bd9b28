// Profile cards: a name, an avatar or an @mention opens the person's card
// (name, status, local time from their time zone); "Message" opens the DM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel, openRoom, screenshot, assertNoProblems } from '../lib/browser.js';
import { until } from '../lib/wait.js';

let server;
let browser;
let ann;
let ben;
const names = { ann: uniqueName('ann'), ben: uniqueName('ben') };
let room;
let benId;

before(async () => {
  server = await startServer();
  browser = await launch();
  ann = await newPage(browser, server.url, { timezoneId: 'Europe/Berlin', locale: 'en-US' });
  ben = await newPage(browser, server.url, { timezoneId: 'Asia/Tokyo', locale: 'en-US' });
  await signUp(ann.page, names.ann, { displayName: 'Ann Card' });
  await signUp(ben.page, names.ben, { displayName: 'Ben Tokyo' });
  benId = (await apiCall(ben.page, 'GET', '/users/me')).body.id;
  await apiCall(ben.page, 'PATCH', '/users/me', { status_text: 'On a train 🚄' });
  room = await createChannel(ann.page, 'cards');
  await apiCall(ben.page, 'POST', `/rooms/${room.id}/join`);
  await apiCall(ben.page, 'POST', `/rooms/${room.id}/messages`, { body: 'Hello from Tokyo' });
  await apiCall(ann.page, 'POST', `/rooms/${room.id}/messages`, { body: `Welcome @${names.ben}!` });
  await openRoom(ann.page, room.id);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the browser time zone is saved to the profile once', async () => {
  await until(ben.page, async () => (await apiCall(ben.page, 'GET', `/users/${benId}`)).body.time_zone === 'Asia/Tokyo', 'Asia/Tokyo saved');
});

test('clicking a name shows the card with status and local time', async () => {
  const p = ann.page;
  const msg = p.locator('.msg', { hasText: 'Hello from Tokyo' });
  await msg.getByRole('button', { name: 'Ben Tokyo' }).click();
  const card = p.getByRole('dialog', { name: 'Ben Tokyo' });
  await card.locator('.profile-card__message').waitFor();
  await card.getByText(`@${names.ben}`).waitFor();
  await card.getByText('On a train 🚄').waitFor();
  const expected = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', hour: 'numeric', minute: '2-digit' });
  const shown = await card.locator('.profile-card__time').textContent();
  const now = Date.now();
  // The card's minute, or the next one if the clock ticked over in between.
  const candidates = [now - 60_000, now, now + 60_000].map((t) => `${expected.format(t)} local time`);
  assert.ok(candidates.includes(shown), `${shown} not in ${candidates}`);
  await p.mouse.move(0, 0);
  await screenshot(p, 'profile-card-light-desktop');
  await p.keyboard.press('Escape');
  assert.equal(await card.count(), 0);
});

test('the avatar and an @mention open the card too', async () => {
  const p = ann.page;
  await p.locator('.msg', { hasText: 'Hello from Tokyo' }).locator('.msg__avatar--link').click();
  await p.getByRole('dialog', { name: 'Ben Tokyo' }).locator('.profile-card__message').waitFor();
  await p.keyboard.press('Escape');
  await p.locator('.msg', { hasText: 'Welcome' }).locator('.mention').click();
  await p.getByRole('dialog', { name: 'Ben Tokyo' }).locator('.profile-card__message').waitFor();
});

test('"Message" opens the DM with that person', async () => {
  const p = ann.page;
  await p.getByRole('dialog', { name: 'Ben Tokyo' }).getByRole('button', { name: 'Message' }).click();
  await p.locator('.room-header__name', { hasText: 'Ben Tokyo' }).waitFor();
  const roomId = await p.locator('.room').getAttribute('data-room-id');
  const r = (await apiCall(p, 'GET', `/rooms/${roomId}`)).body;
  assert.equal(r.kind, 'dm');
  assertNoProblems(p);
  assertNoProblems(ben.page);
});
