// Search: results from GET /search open the room at the message.
import { test, before, after } from 'node:test';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel, assertNoProblems } from '../lib/browser.js';

let server;
let browser;
let alice;
let channel;

before(async () => {
  server = await startServer({ extraArgs: ['--send-rate-per-second', '1000', '--send-burst', '1000'] });
  browser = await launch();
  alice = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice' });
  channel = await createChannel(alice.page, 'archive');
  const post = (body) => apiCall(alice.page, 'POST', `/rooms/${channel.id}/messages`, { body });
  await post('The quick brown fox jumps over the lazy dog');
  for (let i = 0; i < 70; i++) await post(`filler message number ${i}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a search result jumps to the message in its room, loading older history', async () => {
  const a = alice.page;
  await a.getByRole('button', { name: 'Search', exact: true }).click();
  await a.getByRole('searchbox', { name: 'Search messages' }).fill('brown fox');
  const hit = a.locator('.search-hit', { hasText: 'brown' });
  await hit.waitFor();
  // The server's highlights are rendered as <mark> elements.
  await hit.locator('mark', { hasText: /^brown$/ }).waitFor();
  await hit.locator('mark', { hasText: /^fox$/ }).waitFor();
  await hit.click();
  await a.locator(`.room[data-room-id="${channel.id}"]`).waitFor();
  await a.locator('.msg--flash', { hasText: 'quick brown fox' }).waitFor({ timeout: 15_000 });
  assertNoProblems(a);
});
