// Presence in a room bigger than the presence limit: no presence events flow
// through it and `ready` does not list its members, so the members panel
// takes each member's status from the member listing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel } from '../lib/browser.js';

let server;
let browser;
let alice;
let bob;
let carol;

before(async () => {
  // Rooms of more than 2 members carry no presence events.
  server = await startServer({ env: { HEARTH_PRESENCE_ROOM_LIMIT: '2' } });
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  carol = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice Liddell' });
  await signUp(bob.page, uniqueName('bob'), { displayName: 'Bob Marley' });
  await signUp(carol.page, uniqueName('carol'), { displayName: 'Carol Danvers' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the members panel of a big room shows who is online', async () => {
  const a = alice.page;
  const channel = await createChannel(a, 'townhall');
  // Three members: above the limit, and the only room Alice shares with them.
  for (const p of [bob.page, carol.page]) {
    const res = await apiCall(p, 'POST', `/rooms/${channel.id}/join`);
    assert.ok(res.status < 300, `join: ${res.status}`);
  }
  await a.goto(`/#/room/${channel.id}`);
  await a.getByRole('button', { name: 'Members' }).click();
  // Bob's page is connected (online, or idle when its tab is in the
  // background); only the listing can have told Alice's page so.
  const bobRow = a.locator('.member').filter({ hasText: 'Bob Marley' });
  await bobRow.locator('.presence:is(.presence--online, .presence--idle)').waitFor();
  const carolRow = a.locator('.member').filter({ hasText: 'Carol Danvers' });
  await carolRow.locator('.presence:is(.presence--online, .presence--idle)').waitFor();
});
