// Keyboard: Ctrl/Cmd+K quick switcher over rooms and people, `#channel`
// suggestions in the composer, Esc marks the open room read, `?` shows the
// shortcuts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel, openRoom, screenshot, assertNoProblems } from '../lib/browser.js';
import { until } from '../lib/wait.js';

let server;
let browser;
let kim;
let lee;
const names = { kim: uniqueName('kim'), lee: uniqueName('lee') };
const rooms = {};

before(async () => {
  server = await startServer({ extraArgs: ['--send-rate-per-second', '1000', '--send-burst', '1000'] });
  browser = await launch();
  kim = await newPage(browser, server.url);
  lee = await newPage(browser, server.url);
  await signUp(kim.page, names.kim, { displayName: 'Kim Keys' });
  await signUp(lee.page, names.lee, { displayName: 'Lee Switcher' });
  for (const name of ['engineering', 'general', 'random']) rooms[name] = await createChannel(kim.page, name);
  await apiCall(lee.page, 'POST', `/rooms/${rooms.general.id}/join`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('Ctrl+K jumps to a room by typing part of its name', async () => {
  const p = kim.page;
  await p.locator(`.room-item[data-room-id="${rooms.random.id}"]`).waitFor();
  await p.keyboard.press('Control+k');
  const box = p.getByRole('combobox', { name: 'Room or person' });
  await box.waitFor();
  assert.equal(await p.evaluate(() => document.activeElement?.getAttribute('role')), 'combobox');
  await box.fill('engin');
  await p.getByRole('option', { name: /engineering/ }).waitFor();
  await screenshot(p, 'switcher-light-desktop');
  await box.press('Enter');
  await p.locator(`.room[data-room-id="${rooms.engineering.id}"]`).waitFor();
  assert.equal(await p.locator('dialog[open]').count(), 0);

  // Arrow keys move the choice.
  await p.keyboard.press('Control+k');
  await box.fill('r');
  await p.getByRole('option', { name: /random/ }).waitFor();
  const options = p.getByRole('option');
  const names = await options.allTextContents();
  const target = names.findIndex((t) => t.includes('random'));
  for (let i = 0; i < target; i++) await box.press('ArrowDown');
  await box.press('Enter');
  await p.locator(`.room[data-room-id="${rooms.random.id}"]`).waitFor();
});

test('Ctrl+K finds people and opens a DM with them', async () => {
  const p = kim.page;
  await p.keyboard.press('Control+k');
  const box = p.getByRole('combobox', { name: 'Room or person' });
  await box.fill('Lee Sw');
  const person = p.getByRole('option', { name: /Lee Switcher/ });
  await person.waitFor();
  await person.click();
  await p.locator('.room-header__name', { hasText: 'Lee Switcher' }).waitFor();
});

test('# in the composer suggests channels; Tab inserts one', async () => {
  const p = kim.page;
  await openRoom(p, rooms.general.id);
  const input = p.locator('.composer__input');
  await input.pressSequentially('see #gen', { delay: 5 });
  const menu = p.getByRole('listbox', { name: 'Channels' });
  await menu.waitFor();
  assert.deepEqual(await menu.getByRole('option').allTextContents(), ['#general']);
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'see #general ');
  await input.fill('');
});

test('Esc marks the open room read', async () => {
  const k = kim.page;
  const l = lee.page;
  await openRoom(l, rooms.general.id);
  // While the tab looks hidden, arriving messages stay unread…
  await l.evaluate(() => Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }));
  await apiCall(k, 'POST', `/rooms/${rooms.general.id}/messages`, { body: 'while you were away' });
  await l.locator('.msg', { hasText: 'while you were away' }).waitFor();
  const room = async () => (await apiCall(l, 'GET', `/rooms/${rooms.general.id}`)).body;
  const before = await room();
  assert.ok(before.last_seq > before.read_seq, 'unread before Esc');
  // …until Esc, back in view, marks the room read up to its last message.
  await l.evaluate(() => delete document.visibilityState);
  await l.evaluate(() => document.activeElement?.blur());
  await l.keyboard.press('Escape');
  await until(l, async () => {
    const r = await room();
    return r.read_seq === r.last_seq && r.unread === 0;
  }, 'the room read up to its last message');
});

test('message actions are reachable by keyboard: arrows to a message, Tab to its actions', async () => {
  const p = kim.page;
  await openRoom(p, rooms.general.id);
  await apiCall(p, 'POST', `/rooms/${rooms.general.id}/messages`, { body: 'keyboard target' });
  await p.locator('.msg', { hasText: 'keyboard target' }).waitFor();
  await p.locator('.timeline').focus();
  await p.keyboard.press('ArrowUp');
  const focusedText = () => p.evaluate(() => document.activeElement?.closest('.msg')?.textContent ?? '');
  assert.match(await focusedText(), /keyboard target/);
  await p.keyboard.press('ArrowUp');
  assert.match(await focusedText(), /while you were away/);
  await p.keyboard.press('ArrowDown');
  assert.match(await focusedText(), /keyboard target/);
  // Tab walks into the focused message's actions.
  let label = '';
  for (let i = 0; i < 10 && label !== 'Reply'; i++) {
    await p.keyboard.press('Tab');
    label = await p.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent);
  }
  assert.equal(label, 'Reply');
  await p.keyboard.press('Enter');
  await p.locator('.composer').getByText('keyboard target').waitFor();
  await p.keyboard.press('Escape');
});

test('? shows the keyboard shortcuts', async () => {
  const p = kim.page;
  await p.evaluate(() => document.activeElement?.blur());
  await p.keyboard.press('?');
  const sheet = p.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await sheet.waitFor();
  await sheet.getByText('Jump to a room or person').waitFor();
  await screenshot(p, 'shortcuts-light-desktop');
  await p.keyboard.press('Escape');
  assert.equal(await sheet.count(), 0);
  // Typing a ? in the composer is just text.
  await p.locator('.composer__input').fill('');
  await p.locator('.composer__input').press('?');
  assert.equal(await p.locator('.composer__input').inputValue(), '?');
  assert.equal(await p.locator('dialog[open]').count(), 0);
  await p.locator('.composer__input').fill('');
  assertNoProblems(p);
  assertNoProblems(lee.page);
});
