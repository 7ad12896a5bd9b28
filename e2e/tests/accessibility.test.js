// Every view passes axe-core's WCAG 2 A and AA rules (labels, roles, names,
// contrast…) in light and dark, on desktop and phone; each is also saved as a
// screenshot in e2e/artifacts/ (a11y-<view>-<scheme>-<size>.png) to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, signIn, uniqueName, apiCall, screenshot, assertNoProblems } from '../lib/browser.js';
import { axeViolations } from '../lib/axe.js';

let server;
let browser;
const users = {};
let channel;
let dm;

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

/** A small PNG drawn by the browser. */
async function makePng(page) {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 480;
    c.height = 300;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 480, 300);
    grad.addColorStop(0, '#6e6ef0');
    grad.addColorStop(1, '#f0a46e');
    g.fillStyle = grad;
    g.fillRect(0, 0, 480, 300);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

async function upload(page, name, type, buffer) {
  return page.evaluate(
    async ({ name, type, bytes }) => {
      const auth = JSON.parse(localStorage.getItem('hearth.auth'));
      const form = new FormData();
      form.append('file', new File([new Uint8Array(bytes)], name, { type }));
      const res = await fetch('/api/v1/uploads', { method: 'POST', headers: { Authorization: `Bearer ${auth.access_token}` }, body: form });
      return res.json();
    },
    { name, type, bytes: [...buffer] },
  );
}

before(async () => {
  server = await startServer({ extraArgs: ['--send-rate-per-second', '1000', '--send-burst', '1000'] });
  browser = await launch();
  for (const [key, display] of [
    ['alice', 'Alice Liddell'],
    ['bob', 'Bob Marley'],
  ]) {
    const { page, context } = await newPage(browser, server.url);
    const username = uniqueName(key);
    await signUp(page, username, { displayName: display });
    users[key] = { page, context, username, id: (await apiCall(page, 'GET', '/users/me')).body.id };
  }
  const { alice, bob } = users;
  await apiCall(bob.page, 'PATCH', '/users/me', { status_text: 'Shipping the sidebar', bio: 'Design systems.', time_zone: 'America/New_York' });
  channel = (await apiCall(alice.page, 'POST', '/rooms', { kind: 'channel', name: 'design', topic: 'Pixels and type' })).body;
  await apiCall(bob.page, 'POST', `/rooms/${channel.id}/join`);
  const say = async (who, body, extra = {}) => (await apiCall(users[who].page, 'POST', `/rooms/${channel.id}/messages`, { body, ...extra })).body;
  const m1 = await say('bob', 'Morning! I pushed the new **sidebar** spacing 🎉');
  await say('alice', 'Agreed.', { reply_to: m1.id });
  await apiCall(alice.page, 'PUT', `/rooms/${channel.id}/messages/${m1.id}/pin`);
  await apiCall(alice.page, 'PUT', `/rooms/${channel.id}/messages/${m1.id}/reactions/${encodeURIComponent('👍')}`);
  const image = await upload(alice.page, 'mock.png', 'image/png', await makePng(alice.page));
  const file = await upload(alice.page, 'notes.txt', 'text/plain', Buffer.from('notes\n'));
  await say('alice', `Here is the mock-up, @${bob.username}`, { attachments: [image.id, file.id] });
  dm = (await apiCall(alice.page, 'POST', '/rooms', { kind: 'dm', members: [bob.id] })).body;
  await apiCall(bob.page, 'POST', `/rooms/${dm.id}/messages`, { body: 'Hey, got a minute?' });
  for (const u of Object.values(users)) await u.context.close();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const scheme of ['light', 'dark']) {
  for (const [size, opts] of Object.entries(SIZES)) {
    test(`every view passes axe (WCAG 2 A/AA) in ${scheme} at ${size} size`, async () => {
      const tag = `${scheme}-${size}`;
      const { page, context } = await newPage(browser, server.url, { ...opts, colorScheme: scheme });
      const failures = [];
      const check = async (view) => {
        await page.mouse.move(0, 0);
        await screenshot(page, `a11y-${view}-${tag}`);
        const found = await axeViolations(page);
        if (found.length) failures.push(`${view}:\n  ${found.join('\n  ')}`);
      };
      const phone = size === 'phone';
      const backHome = async () => {
        if (phone) await page.getByRole('button', { name: 'Back to conversations' }).click();
      };

      await page.goto('/');
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await check('signin');
      await page.getByRole('button', { name: 'Create an account' }).click();
      await page.getByLabel('Password', { exact: true }).waitFor();
      await check('signup');

      await signIn(page, users.alice.username);
      await check('home');

      await page.goto(`/#/room/${channel.id}`);
      await page.locator('.msg', { hasText: 'Here is the mock-up' }).locator('.att-image:not(.att-image--loading)').waitFor();
      await check('room');

      await page.locator('.msg', { hasText: 'Here is the mock-up' }).locator('.att-image').click();
      await page.locator('.lightbox, dialog[open]').first().waitFor();
      await check('lightbox');
      await page.keyboard.press('Escape');

      await page.getByRole('button', { name: 'Insert emoji' }).click();
      await page.locator('.emoji-picker .emoji-btn').first().waitFor();
      await check('emoji-picker');
      await page.keyboard.press('Escape');

      await page.locator('.msg', { hasText: 'Morning!' }).getByRole('button', { name: 'Bob Marley', exact: true }).first().click();
      await page.locator('.profile-card__message').waitFor();
      await check('profile-card');
      await page.keyboard.press('Escape');

      await page.getByRole('button', { name: 'Pinned messages' }).click();
      await page.locator('.pin').first().waitFor();
      await check('pins');
      await page.getByRole('button', { name: 'Close pinned messages' }).click();

      if (!phone) {
        await page.getByRole('button', { name: 'Members' }).click();
        await page.locator('.member').first().waitFor();
        await check('members');
        await page.getByRole('button', { name: 'Close members' }).click();
      }

      await page.getByRole('button', { name: 'Search messages' }).click();
      await page.getByRole('searchbox', { name: 'Search messages' }).fill('sidebar');
      await page.locator('.search-hit, .panel__empty p').filter({ hasText: /sidebar|not available|No messages|failed/ }).first().waitFor();
      await check('search');
      await page.getByRole('button', { name: 'Close search' }).click();

      await page.getByRole('button', { name: 'Room settings' }).click();
      await page.getByRole('dialog').waitFor();
      await check('room-settings');
      await page.keyboard.press('Escape');

      await page.goto(`/#/room/${dm.id}`);
      await page.locator('.msg', { hasText: 'got a minute' }).waitFor();
      await check('dm');

      await page.keyboard.press('Control+k');
      await page.getByRole('combobox', { name: 'Room or person' }).waitFor();
      await check('quick-switcher');
      await page.keyboard.press('Escape');

      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await check('shortcuts');
      await page.keyboard.press('Escape');

      await backHome();
      await page.getByRole('button', { name: 'Browse channels' }).first().click();
      await page.getByRole('dialog').waitFor();
      await check('channel-browser');
      await page.keyboard.press('Escape');

      await page.locator('.me').click();
      await page.getByRole('dialog').waitFor();
      await check('settings');
      await page.keyboard.press('Escape');

      assert.deepEqual(failures, [], failures.join('\n\n'));
      assertNoProblems(page, [/status of 404/]);
      await context.close();
    });
  }
}
