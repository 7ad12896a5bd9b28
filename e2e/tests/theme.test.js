// Light and dark: the page follows the system until the user picks a theme
// with the toggle, and the pick outlives a reload. Also checks the page's
// policy allows its import map by hash and nothing else inline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, assertNoProblems } from '../lib/browser.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const LIGHT_BG = 'rgb(255, 255, 255)';
const DARK_BG = 'rgb(21, 22, 27)';

/** What the page shows: its background, and which icon the theme toggle shows. */
function looks(page) {
  return page.evaluate(() => {
    const shown = (sel) => getComputedStyle(document.querySelector(sel)).display !== 'none';
    return {
      bg: getComputedStyle(document.body).backgroundColor,
      moon: shown('.auth__theme .only-light'),
      sun: shown('.auth__theme .only-dark'),
    };
  });
}

for (const system of ['light', 'dark']) {
  test(`with a ${system} system the page follows it until the toggle picks the other theme`, async () => {
    const { page, context } = await newPage(browser, server.url, { colorScheme: system });
    await page.goto('/');
    const toggle = page.getByRole('button', { name: 'Toggle dark mode' });
    await toggle.waitFor();
    const [first, second] = system === 'light' ? [LIGHT_BG, DARK_BG] : [DARK_BG, LIGHT_BG];
    let now = await looks(page);
    assert.equal(now.bg, first);
    assert.equal(now.moon, system === 'light', 'the moon offers dark on a light page');
    assert.equal(now.sun, system === 'dark', 'the sun offers light on a dark page');

    await toggle.click();
    now = await looks(page);
    assert.equal(now.bg, second);
    assert.equal(now.moon, system !== 'light');
    assert.equal(now.sun, system !== 'dark');

    await page.reload();
    await toggle.waitFor();
    assert.equal((await looks(page)).bg, second, 'the pick outlives a reload');

    await toggle.click();
    assert.equal((await looks(page)).bg, first);
    assertNoProblems(page);
    await context.close();
  });
}

test('the page allows its import map by hash and no other inline script', async () => {
  const res = await fetch(server.url);
  const policy = res.headers.get('content-security-policy');
  assert.match(policy, /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);
  assert.doesNotMatch(policy, /unsafe-inline/);
  const html = await res.text();
  assert.match(html, /<script type="importmap">[^<]*"\/v\/[0-9a-f]+\/js\//);
});
