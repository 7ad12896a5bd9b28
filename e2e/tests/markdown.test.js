// The message renderer's headings and tables, and that it stays safe: no
// HTML from a message ever becomes markup, links keep to safe protocols.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel, openRoom, assertNoProblems, screenshot } from '../lib/browser.js';

let server;
let browser;
let alice;
let channel;

const RICH = [
  '# Release plan',
  'Where we are:',
  '## Status by area',
  '| Area | Owner | Done |',
  '| :--- | :---: | ---: |',
  '| **Server** | @alice | 90% |',
  '| Web `client` | bob | 75% |',
  '| Docs \\| notes | [wiki](https://example.org/wiki) | 10% |',
  '### Next #',
  'Ship it.',
].join('\n');

const HOSTILE = [
  '# <img src=x onerror="window.pwned=1">',
  '| <script>window.pwned=2</script> | [x](javascript:window.pwned=3) |',
  '| --- | --- |',
  '| <b onmouseover="window.pwned=4">bold?</b> | <iframe src="https://example.org"></iframe> |',
].join('\n');

before(async () => {
  server = await startServer();
  browser = await launch();
  alice = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice' });
  channel = await createChannel(alice.page, 'markdown');
  for (const body of [RICH, HOSTILE]) {
    const res = await apiCall(alice.page, 'POST', `/rooms/${channel.id}/messages`, { body });
    assert.equal(res.status, 201);
  }
  await openRoom(alice.page, channel.id);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('headings and tables render as elements with inline Markdown inside', async () => {
  const a = alice.page;
  const msg = a.locator('.msg', { hasText: 'Release plan' });
  await msg.waitFor();
  await msg.locator('h3.md-heading--1', { hasText: 'Release plan' }).waitFor();
  await msg.locator('h4.md-heading--2', { hasText: 'Status by area' }).waitFor();
  // The closing #s of an ATX heading are not part of its text.
  assert.equal(await msg.locator('h5.md-heading--3').textContent(), 'Next');
  const table = msg.locator('.md-table table');
  assert.deepEqual(await table.locator('th').allTextContents(), ['Area', 'Owner', 'Done']);
  assert.equal(await table.locator('tbody tr').count(), 3);
  await table.locator('td strong', { hasText: 'Server' }).waitFor();
  await table.locator('td code', { hasText: 'client' }).waitFor();
  await table.locator('td .mention', { hasText: '@alice' }).waitFor();
  assert.equal(await table.locator('td a').getAttribute('href'), 'https://example.org/wiki');
  // An escaped pipe stays inside its cell.
  await table.locator('td', { hasText: 'Docs | notes' }).waitFor();
  assert.deepEqual(await table.locator('thead th').evaluateAll((ths) => ths.map((th) => th.className)), ['', 'md-align-center', 'md-align-right']);
  await screenshot(a, 'markdown-tables-light');
  assertNoProblems(a);
});

test('HTML in headings and cells stays text, and unsafe links are not links', async () => {
  const a = alice.page;
  const msg = a.locator('.msg', { hasText: 'window.pwned=2' });
  await msg.waitFor();
  const body = msg.locator('.md');
  const injected = await body.locator('img, script, iframe, b, [onerror], [onmouseover]').evaluateAll((els) => els.map((e) => e.outerHTML));
  assert.deepEqual(injected, []);
  await body.locator('h3', { hasText: '<img src=x onerror="window.pwned=1">' }).waitFor();
  await body.locator('th', { hasText: '<script>window.pwned=2</script>' }).waitFor();
  // The javascript: link stays text; a plain https address in the text is a link, and safe.
  assert.deepEqual(await body.locator('a').evaluateAll((as) => as.map((x) => x.getAttribute('href'))), ['https://example.org/']);
  await body.locator('th', { hasText: '[x](javascript:window.pwned=3)' }).waitFor();
  await body.locator('td', { hasText: '<iframe src="https://example.org"></iframe>' }).waitFor();
  await msg.hover();
  assert.equal(await a.evaluate(() => window.pwned), undefined);
  assertNoProblems(a);
});

test('the renderer keeps odd input as text and finishes on long hostile lines', async () => {
  const a = alice.page;
  const out = await a.evaluate(async () => {
    const { default: Markdown } = await import('helpers/markdown.js');
    const html = (text) => {
      const div = document.createElement('div');
      div.append(Markdown.render(text));
      return div.innerHTML;
    };
    html(`# ${' '.repeat(20000)}#x${' #'.repeat(5000)}`);
    html(`|${' --- |'.repeat(3000)}\n|${' --- |'.repeat(3000)}x`);
    return {
      hashtag: html('#general is the place'),
      sevenHashes: html('####### seven'),
      headingOnlyHashes: html('# #'),
      notATable: html('a | b\n---'),
      mismatched: html('| a | b |\n| --- |\n| c |'),
      ragged: html('| a | b |\n| - | - |\n| only one |\n| 1 | 2 | 3 |'),
      plain: Markdown.plain('# Title\n| a | b |\n| --- | --- |\n| 1 | 2 |'),
    };
  });
  assert.equal(out.hashtag, '<p>#general is the place</p>');
  assert.equal(out.sevenHashes, '<p>####### seven</p>');
  assert.equal(out.headingOnlyHashes, '<h3 class="md-heading md-heading--1">#</h3>');
  assert.equal(out.notATable, '<p>a | b<br>---</p>');
  assert.match(out.mismatched, /^<p>/);
  // Rows are cut or padded to the header's columns.
  assert.match(out.ragged, /<tr><td>only one<\/td><td><\/td><\/tr><tr><td>1<\/td><td>2<\/td><\/tr>/);
  assert.equal(out.plain, 'Title | a | b | | 1 | 2 |');
});

test('headings and tables in dark mode on a phone', async () => {
  const { context, page } = await newPage(browser, server.url, { viewport: { width: 390, height: 800 }, colorScheme: 'dark' });
  await page.goto('/');
  await page.evaluate((auth) => localStorage.setItem('hearth.auth', auth), await alice.page.evaluate(() => localStorage.getItem('hearth.auth')));
  await page.goto(`/#/room/${channel.id}`);
  await page.reload();
  await page.locator('.msg .md-table').first().waitFor();
  await page.locator('.msg', { hasText: 'Release plan' }).scrollIntoViewIfNeeded();
  await screenshot(page, 'markdown-tables-dark-phone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'a wide table must scroll inside its message, not the page');
  await context.close();
});
