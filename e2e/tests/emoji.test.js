// Emoji: the picker fits its box and draws in colour, searches, remembers
// skin tone and recent picks; `:shortcodes:` become emoji when sent and `:`
// suggests them in the composer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, signIn, uniqueName, createChannel, openRoom, sendMessage, screenshot, assertNoProblems } from '../lib/browser.js';
import { until } from '../lib/wait.js';

let server;
let browser;
let page;
let context;
const name = uniqueName('emma');
let room;

before(async () => {
  server = await startServer();
  browser = await launch();
  ({ page, context } = await newPage(browser, server.url));
  await signUp(page, name, { displayName: 'Emma Moji' });
  room = await createChannel(page, 'emoji-lab');
  await openRoom(page, room.id);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const picker = () => page.locator('.emoji-picker');

async function openPicker(p = page) {
  await p.getByRole('button', { name: 'Insert emoji' }).click();
  await p.locator('.emoji-picker .emoji-btn').first().waitFor();
}

/** Every emoji button of the first grid lies inside the picker's scroll box. */
async function gridFits(p) {
  return p.evaluate(() => {
    const body = document.querySelector('.emoji-picker__body').getBoundingClientRect();
    const buttons = [...document.querySelector('.emoji-picker__grid').children].slice(0, 8);
    return buttons.every((b) => {
      const r = b.getBoundingClientRect();
      return r.left >= body.left - 0.5 && r.right <= body.right + 0.5;
    }) && buttons.length === 8;
  });
}

test('the picker grid fits inside its box on desktop and phone', async () => {
  await openPicker();
  assert.equal(await gridFits(page), true, 'desktop: a column is cut off');
  await screenshot(page, 'emoji-picker-light-desktop');
  await page.keyboard.press('Escape');

  for (const scheme of ['light', 'dark']) {
    const phone = await newPage(browser, server.url, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: scheme });
    await signIn(phone.page, name);
    await phone.page.goto(`/#/room/${room.id}`);
    await phone.page.locator(`.room[data-room-id="${room.id}"]`).waitFor();
    await openPicker(phone.page);
    assert.equal(await gridFits(phone.page), true, `phone ${scheme}: a column is cut off`);
    await screenshot(phone.page, `emoji-picker-${scheme}-phone`);
    await phone.context.close();
  }
});

test('emoji draw with the colour emoji font, not a text font', async () => {
  await openPicker();
  const cdp = await context.newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const fontsOf = async (selector) => {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    return fonts.map((f) => f.familyName);
  };
  assert.deepEqual(await fontsOf('.emoji-picker .emoji-btn'), ['Noto Color Emoji']);
  await page.keyboard.press('Escape');
  // In running text too: the smiley is colour, the letters stay in the text font.
  await sendMessage(page, 'fonts 😀 ok');
  await page.locator('.msg', { hasText: 'fonts' }).waitFor();
  const inText = await fontsOf('.msg:last-child .msg__body p');
  assert.ok(inText.includes('Noto Color Emoji'), `running text: ${inText}`);
  assert.ok(inText.some((f) => f !== 'Noto Color Emoji'), `letters keep a text font: ${inText}`);
  await cdp.detach();
});

test('searching the picker by name or shortcode, and picking inserts', async () => {
  await openPicker();
  await picker().getByRole('searchbox', { name: 'Search emoji' }).fill('tada');
  await until(page, async () => (await picker().locator('.emoji-btn').first().getAttribute('data-emoji')) === '🎉', 'tada first');
  await screenshot(page, 'emoji-picker-search-light-desktop');
  await picker().getByRole('searchbox', { name: 'Search emoji' }).press('Enter');
  assert.equal(await page.locator('.composer__input').inputValue(), '🎉');
  await page.locator('.composer__input').fill('');

  await openPicker();
  await picker().getByRole('searchbox', { name: 'Search emoji' }).fill('party');
  await until(page, async () => (await picker().locator('.emoji-btn').count()) > 0, 'results for a search word');
  await picker().getByRole('searchbox', { name: 'Search emoji' }).fill('zzzznothing');
  await picker().getByText('No emoji found.').waitFor();
  await page.keyboard.press('Escape');
});

test('recently used emoji come first, and the skin tone sticks', async () => {
  await openPicker();
  const recent = picker().locator('[data-section="recent"]');
  await recent.waitFor();
  assert.equal(await recent.locator('.emoji-btn').first().getAttribute('data-emoji'), '🎉');

  await picker().getByRole('button', { name: /^Skin tone/ }).click();
  await picker().getByRole('radio', { name: 'Medium skin tone' }).click();
  await picker().getByRole('searchbox', { name: 'Search emoji' }).fill('thumbsup');
  await until(page, async () => (await picker().locator('.emoji-btn').first().getAttribute('data-emoji')) === '👍🏽', 'toned thumbs up');
  await picker().locator('.emoji-btn').first().click();
  assert.equal(await page.locator('.composer__input').inputValue(), '👍🏽');
  await page.locator('.composer__input').fill('');

  await page.reload();
  await page.locator(`.room[data-room-id="${room.id}"]`).waitFor();
  await openPicker();
  assert.equal(await picker().locator('[data-section="recent"] .emoji-btn').first().getAttribute('data-emoji'), '👍🏽');
  assert.equal(await picker().getByRole('button', { name: /^Skin tone/ }).getAttribute('aria-label'), 'Skin tone: Medium skin tone');
  // Back to no tone for the tests that follow.
  await picker().getByRole('button', { name: /^Skin tone/ }).click();
  await picker().getByRole('radio', { name: 'Default skin tone' }).click();
  await page.keyboard.press('Escape');
});

test('the grid is one tab stop that arrow keys move through', async () => {
  await openPicker();
  await picker().getByRole('searchbox', { name: 'Search emoji' }).press('ArrowDown');
  const focused = () => page.evaluate(() => document.activeElement?.dataset.emoji ?? null);
  const first = await focused();
  assert.ok(first);
  await page.keyboard.press('ArrowRight');
  assert.notEqual(await focused(), first);
  assert.equal(await picker().locator('.emoji-btn[tabindex="0"]').count(), 1);
  await page.keyboard.press('Enter');
  assert.notEqual(await page.locator('.composer__input').inputValue(), '');
  await page.locator('.composer__input').fill('');
});

test(':shortcodes: become emoji when sent, outside code', async () => {
  await sendMessage(page, 'ship it :tada: :+1: and `:tada:` stays :notanemoji:');
  const msg = page.locator('.msg', { hasText: 'ship it' });
  await msg.waitFor();
  const body = await msg.locator('.msg__body').textContent();
  assert.ok(body.startsWith('ship it 🎉 👍 and :tada: stays :notanemoji:'), body);
  assert.equal(await msg.locator('code').textContent(), ':tada:');
});

test('typing :ta suggests emoji; Enter inserts the chosen one', async () => {
  const input = page.locator('.composer__input');
  await input.fill('');
  await input.pressSequentially('great :tad', { delay: 5 });
  const menu = page.getByRole('listbox', { name: 'Emoji' });
  await menu.waitFor();
  assert.match(await menu.getByRole('option').first().textContent(), /:tada:/);
  await screenshot(page, 'emoji-suggest-light-desktop');
  await input.press('Enter');
  assert.equal(await input.inputValue(), 'great 🎉 ');
  assert.equal(await menu.isVisible(), false);
  await input.fill('');
  assertNoProblems(page, [/status of 404/]);
});
