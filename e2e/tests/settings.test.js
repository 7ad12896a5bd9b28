// Settings are pages (profile, notifications, appearance, security, sessions,
// account), each with its own URL, reachable by keyboard, over the open room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, createChannel, openRoom, assertNoProblems, screenshot } from '../lib/browser.js';

const PAGES = ['profile', 'notifications', 'appearance', 'security', 'sessions', 'account'];

let server;
let browser;
let alice;
let channel;

before(async () => {
  server = await startServer();
  browser = await launch();
  alice = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice' });
  channel = await createChannel(alice.page, 'settings-lab');
  await openRoom(alice.page, channel.id);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const hash = (page) => page.evaluate(() => location.hash);
/** The dialog's `close` event (which restores the URL) has run: it is out of the DOM. */
const gone = (page) => page.locator('dialog.modal--settings').waitFor({ state: 'detached' });

test('each settings page has a URL, and closing returns to the room', async () => {
  const a = alice.page;
  await a.locator('.me').click();
  const dialog = a.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('tab', { name: 'Profile', selected: true }).waitFor();
  assert.equal(await hash(a), '#/settings/profile');
  // The room stays open underneath.
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor({ state: 'attached' });

  await dialog.getByRole('tab', { name: 'Security' }).click();
  await dialog.getByRole('heading', { name: 'Security' }).waitFor();
  await dialog.getByRole('button', { name: 'Set up two-factor authentication' }).waitFor();
  assert.equal(await hash(a), '#/settings/security');
  // Only the chosen page shows.
  assert.equal(await dialog.getByLabel('Display name').isVisible(), false);

  await a.keyboard.press('Escape');
  await gone(a);
  assert.equal(await hash(a), `#/room/${channel.id}`);
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  assertNoProblems(a);
});

test('a settings URL opens its page on load, and the keyboard moves between pages', async () => {
  const a = alice.page;
  // A fresh load of the settings URL (a hash change alone would not reload).
  await a.goto('/#/settings/sessions');
  await a.reload();
  const dialog = a.getByRole('dialog', { name: 'Settings' });
  await dialog.locator('.session-item--current').waitFor();
  const tab = dialog.getByRole('tab', { name: 'Sessions', selected: true });
  await tab.focus();
  await a.keyboard.press('ArrowDown');
  await dialog.getByRole('tab', { name: 'Account', selected: true }).waitFor();
  assert.equal(await a.evaluate(() => document.activeElement?.textContent), 'Account');
  await dialog.getByRole('button', { name: 'Delete account…' }).waitFor();
  assert.equal(await hash(a), '#/settings/account');
  await a.keyboard.press('Home');
  await dialog.getByRole('tab', { name: 'Profile', selected: true }).waitFor();
  await a.keyboard.press('ArrowUp');
  await dialog.getByRole('tab', { name: 'Account', selected: true }).waitFor();
  // Tab leaves the list for the page's controls: the tabs are one stop.
  await a.keyboard.press('Home');
  await a.keyboard.press('ArrowDown');
  await a.keyboard.press('ArrowDown');
  await dialog.getByRole('tab', { name: 'Appearance', selected: true }).waitFor();
  await a.keyboard.press('Tab');
  assert.equal(await a.evaluate(() => document.activeElement?.getAttribute('role')), 'radio');
  await a.keyboard.press('Escape');
  await gone(a);
  assert.equal(await hash(a), '#/');
  // An unknown page falls back to the profile.
  await a.goto('/#/settings/nonsense');
  await dialog.getByRole('tab', { name: 'Profile', selected: true }).waitFor();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await gone(a);
  assertNoProblems(a);
});

test('the profile page saves without closing', async () => {
  const a = alice.page;
  await a.goto('/#/settings/profile');
  const dialog = a.getByRole('dialog', { name: 'Settings' });
  await dialog.getByLabel('Status').fill('Writing tests');
  await dialog.getByRole('button', { name: 'Save profile' }).click();
  await a.locator('.toast', { hasText: 'Profile saved' }).waitFor();
  assert.equal(await dialog.isVisible(), true);
  await dialog.getByRole('tab', { name: 'Appearance' }).click();
  await dialog.getByRole('radio', { name: 'Dark' }).click();
  assert.equal(await a.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await dialog.getByRole('radio', { name: 'System' }).click();
  await dialog.getByRole('button', { name: 'Done' }).click();
  assertNoProblems(a);
});

for (const scheme of ['light', 'dark']) {
  for (const [size, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 800 }]]) {
    test(`every settings page, ${scheme} on a ${size}`, async () => {
      const { context, page } = await newPage(browser, server.url, { viewport, colorScheme: scheme });
      await page.goto('/');
      await page.evaluate((auth) => localStorage.setItem('hearth.auth', auth), await alice.page.evaluate(() => localStorage.getItem('hearth.auth')));
      await page.reload();
      await page.locator('.sidebar').waitFor();
      for (const name of PAGES) {
        await page.goto(`/#/settings/${name}`);
        const dialog = page.getByRole('dialog', { name: 'Settings' });
        await dialog.locator(`.settings-nav__tab[data-page="${name}"][aria-selected="true"]`).waitFor();
        if (name === 'sessions') await dialog.locator('.session-item--current').waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
        assert.equal(overflow, false, `${name} overflows horizontally`);
        await screenshot(page, `settings-${name}-${scheme}-${size}`);
      }
      assertNoProblems(page, [/status of 404/]);
      await context.close();
    });
  }
}
