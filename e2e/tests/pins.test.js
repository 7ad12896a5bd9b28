// Pins: a moderator pins and unpins from the message's actions, everyone
// sees the marker and the room's pinned list, live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel, openRoom, sendMessage, screenshot, assertNoProblems } from '../lib/browser.js';
import { waitCount, waitGone } from '../lib/wait.js';

let server;
let browser;
let owner;
let member;
let room;

before(async () => {
  server = await startServer();
  browser = await launch();
  owner = await newPage(browser, server.url);
  member = await newPage(browser, server.url);
  await signUp(owner.page, uniqueName('olga'), { displayName: 'Olga Owner' });
  await signUp(member.page, uniqueName('mel'), { displayName: 'Mel Member' });
  room = await createChannel(owner.page, 'launch');
  await apiCall(member.page, 'POST', `/rooms/${room.id}/join`);
  await openRoom(owner.page, room.id);
  await openRoom(member.page, room.id);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const msg = (page, text) => page.locator('.msg').filter({ hasText: text });

test('pinning from the message actions marks it for everyone and lists it', async () => {
  const o = owner.page;
  const m = member.page;
  await sendMessage(o, 'Launch is on Friday at 10:00');
  await sendMessage(o, 'Unrelated chatter');
  await msg(m, 'Unrelated chatter').waitFor();

  // A member may not pin: no Pin action.
  await msg(m, 'Launch is on Friday').hover();
  assert.equal(await msg(m, 'Launch is on Friday').getByRole('button', { name: 'Pin', exact: true }).count(), 0);

  await msg(o, 'Launch is on Friday').hover();
  await msg(o, 'Launch is on Friday').getByRole('button', { name: 'Pin', exact: true }).click();
  await msg(o, 'Launch is on Friday').locator('.msg__pinned').waitFor();
  await msg(m, 'Launch is on Friday').locator('.msg__pinned').waitFor();
  assert.equal(await msg(m, 'Unrelated chatter').locator('.msg__pinned').count(), 0);

  await m.getByRole('button', { name: 'Pinned messages' }).click();
  const panel = m.getByRole('complementary', { name: 'Pinned messages' });
  await panel.locator('.pin', { hasText: 'Launch is on Friday' }).waitFor();
  assert.equal(await panel.getByRole('button', { name: /^Unpin/ }).count(), 0, 'members cannot unpin');
  await m.mouse.move(0, 0);
  await screenshot(m, 'pins-light-desktop');

  // Live: a second pin appears in the open list, newest first.
  await msg(o, 'Unrelated chatter').hover();
  await msg(o, 'Unrelated chatter').getByRole('button', { name: 'Pin', exact: true }).click();
  await waitCount(panel.locator('.pin'), 2);
  assert.match(await panel.locator('.pin').first().textContent(), /Unrelated chatter/);
});

test('a pin in the list opens the message; unpinning removes it everywhere', async () => {
  const o = owner.page;
  const m = member.page;
  const panel = m.getByRole('complementary', { name: 'Pinned messages' });
  await panel.locator('.pin', { hasText: 'Launch is on Friday' }).getByRole('link').click();
  await msg(m, 'Launch is on Friday').waitFor();

  await o.getByRole('button', { name: 'Pinned messages' }).click();
  const ownerPanel = o.getByRole('complementary', { name: 'Pinned messages' });
  // The newest pin ("Unrelated chatter") from the list…
  await ownerPanel.getByRole('button', { name: 'Unpin message from Olga Owner' }).first().click();
  await waitCount(panel.locator('.pin'), 1);
  await waitGone(msg(m, 'Unrelated chatter').locator('.msg__pinned'));
  // …and the other from the message's actions.
  await msg(o, 'Launch is on Friday').hover();
  await msg(o, 'Launch is on Friday').getByRole('button', { name: 'Unpin', exact: true }).click();
  await waitGone(msg(m, 'Launch is on Friday').locator('.msg__pinned'));
  await waitCount(panel.locator('.pin'), 0);
  await panel.getByText('No pinned messages yet.').waitFor();
  assertNoProblems(o);
  assertNoProblems(m);
});
