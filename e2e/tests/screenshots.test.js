// Screenshots of the main screens in light and dark, desktop and phone, into
// e2e/artifacts/ — for people to look at. Also checks nothing overflows at 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, signIn, uniqueName, apiCall, screenshot, assertNoProblems } from '../lib/browser.js';

let server;
let browser;
const users = {};
let channel;
let dm;

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

before(async () => {
  server = await startServer({ extraArgs: ['--send-rate-per-second', '1000', '--send-burst', '1000'] });
  browser = await launch();
  const people = [
    ['alice', 'Alice Liddell'],
    ['bob', 'Bob Marley'],
    ['carol', 'Carol Danvers'],
  ];
  for (const [key, display] of people) {
    const { page, context } = await newPage(browser, server.url);
    const username = uniqueName(key);
    await signUp(page, username, { displayName: display });
    users[key] = { page, context, username, id: (await apiCall(page, 'GET', '/users/me')).body.id };
  }
  const { alice, bob, carol } = users;
  channel = (await apiCall(alice.page, 'POST', '/rooms', { kind: 'channel', name: 'design', topic: 'Pixels, type and everything in between' })).body;
  await apiCall(alice.page, 'POST', '/rooms', { kind: 'channel', name: 'general', topic: 'Company-wide' });
  await apiCall(alice.page, 'POST', '/rooms', { kind: 'channel', name: 'random' });
  await apiCall(bob.page, 'POST', `/rooms/${channel.id}/join`);
  await apiCall(carol.page, 'POST', `/rooms/${channel.id}/join`);
  await apiCall(alice.page, 'POST', '/rooms', { kind: 'group', name: 'Launch team', members: [bob.id, carol.id] });
  const say = async (who, body, extra = {}) => (await apiCall(users[who].page, 'POST', `/rooms/${channel.id}/messages`, { body, ...extra })).body;
  const m1 = await say('bob', 'Morning! I pushed the new **sidebar** spacing — could someone take a look?');
  await say('bob', 'The preview is at https://example.com/preview/sidebar');
  await say('carol', 'Looks great. A few notes:\n- the badge could use more contrast\n- `gap: 6px` feels tight on phones\n- love the new avatars');
  await say('alice', 'Agreed on the badge.', { reply_to: m1.id });
  await say('alice', '```css\n.badge {\n  background: var(--accent);\n}\n```');
  const m6 = await say('carol', `@${bob.username} can you ship it before the demo?`);
  await apiCall(alice.page, 'PUT', `/rooms/${channel.id}/messages/${m1.id}/reactions/${encodeURIComponent('🎉')}`);
  await apiCall(carol.page, 'PUT', `/rooms/${channel.id}/messages/${m1.id}/reactions/${encodeURIComponent('🎉')}`);
  await apiCall(bob.page, 'PUT', `/rooms/${channel.id}/messages/${m6.id}/reactions/${encodeURIComponent('👍')}`);
  await say('bob', 'On it 🚀 — > quoting is supported too\n> like this');
  dm = (await apiCall(alice.page, 'POST', '/rooms', { kind: 'dm', members: [bob.id] })).body;
  await apiCall(bob.page, 'POST', `/rooms/${dm.id}/messages`, { body: 'Hey, do you have a minute for the release notes?' });
  await apiCall(alice.page, 'POST', `/rooms/${dm.id}/messages`, { body: 'Sure — send them over.' });
  await apiCall(bob.page, 'POST', `/rooms/${dm.id}/messages`, { body: 'Thanks! *Draft* is in the usual place.' });
  await apiCall(alice.page, 'POST', `/rooms/${dm.id}/messages`, { body: 'Reading now 👀' });
  const dmCarol = (await apiCall(carol.page, 'POST', '/rooms', { kind: 'dm', members: [alice.id] })).body;
  await apiCall(carol.page, 'POST', `/rooms/${dmCarol.id}/messages`, { body: 'Lunch at noon?' });
  for (const u of Object.values(users)) await u.context.close();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function overflowCheck(page, name) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(wide, false, `${name}: the page is wider than the viewport`);
}

for (const scheme of ['light', 'dark']) {
  for (const [size, opts] of Object.entries(SIZES)) {
    test(`screens in ${scheme} at ${size} size`, async () => {
      const tag = `${scheme}-${size}`;
      const { page, context } = await newPage(browser, server.url, { ...opts, colorScheme: scheme });
      await page.goto('/');
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await screenshot(page, `signin-${tag}`);

      await signIn(page, users.alice.username);
      if (size === 'phone') {
        await page.locator('.room-item').first().waitFor();
        await screenshot(page, `home-${tag}`);
        await overflowCheck(page, 'home');
      }
      await page.goto(`/#/room/${channel.id}`);
      await page.locator('.msg', { hasText: 'On it' }).waitFor();
      await page.locator('.msg .att-image, .msg').first().waitFor();
      await page.mouse.move(0, 0);
      await screenshot(page, `room-${tag}`);
      await overflowCheck(page, 'room');

      if (size === 'desktop') {
        await page.getByRole('button', { name: 'Members' }).click();
        await page.locator('.member').first().waitFor();
        await screenshot(page, `members-${tag}`);
        await page.getByRole('button', { name: 'Close members' }).click();
      }

      await page.goto(`/#/room/${dm.id}`);
      await page.locator('.msg', { hasText: 'Reading now' }).waitFor();
      await screenshot(page, `dm-${tag}`);
      await overflowCheck(page, 'dm');

      await page.getByRole('button', { name: 'Search messages' }).click();
      await page.getByRole('searchbox', { name: 'Search messages' }).fill('badge');
      // A result, or the panel's answer when the server has no search yet.
      await page.locator('.search-hit, .panel__empty p').filter({ hasText: /badge|not available|No messages|failed/ }).first().waitFor();
      await screenshot(page, `search-${tag}`);
      await page.getByRole('button', { name: 'Close search' }).click();

      await page.goto(`/#/room/${channel.id}`);
      await page.getByRole('button', { name: 'Room settings' }).click();
      await page.getByRole('dialog').waitFor();
      await screenshot(page, `room-settings-${tag}`);
      await page.keyboard.press('Escape');

      if (size === 'phone') await page.getByRole('button', { name: 'Back to conversations' }).click();
      await page.locator('.me').click();
      await page.getByRole('dialog').waitFor();
      await screenshot(page, `settings-${tag}`);
      await page.keyboard.press('Escape');
      assertNoProblems(page, [/status of 404/]);
      await context.close();
    });
  }
}
