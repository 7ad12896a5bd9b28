// Two people chatting in real time: channel discovery and joining, messages,
// typing, replies, reactions, edits, deletes, DMs and unread badges.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, sendMessage, uniqueName, assertNoProblems } from '../lib/browser.js';
import { waitText, waitCount, waitGone } from '../lib/wait.js';

let server;
let browser;
let alice;
let bob;
const names = { alice: uniqueName('alice'), bob: uniqueName('bob') };
let channelId;

before(async () => {
  server = await startServer();
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  await signUp(alice.page, names.alice, { displayName: 'Alice Liddell' });
  await signUp(bob.page, names.bob, { displayName: 'Bob Marley' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const msg = (page, text) => page.locator('.msg').filter({ hasText: text });

test('a channel created by one user can be discovered and joined by another', async () => {
  const a = alice.page;
  await a.getByRole('button', { name: 'New channel' }).click();
  await a.getByRole('dialog').getByRole('textbox').first().fill('general');
  await a.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await a.locator('.room-header__name', { hasText: 'general' }).waitFor();
  channelId = await a.locator('.room').getAttribute('data-room-id');

  const b = bob.page;
  await b.getByRole('button', { name: 'Browse channels' }).first().click();
  const dialog = b.getByRole('dialog');
  await dialog.getByRole('searchbox').fill('gen');
  await dialog.getByRole('button', { name: 'Join general' }).click();
  await b.locator(`.room[data-room-id="${channelId}"]`).waitFor();
  await b.locator(`.room-item[data-room-id="${channelId}"]`).waitFor();
});

test('messages arrive in real time and typing shows to the other', async () => {
  const a = alice.page;
  const b = bob.page;
  await sendMessage(a, 'Hello Bob, welcome to **general**!');
  await msg(b, 'Hello Bob, welcome to general!').waitFor();
  assert.equal(await msg(b, 'Hello Bob').locator('strong').textContent(), 'general');

  await b.locator('.composer__input').pressSequentially('typing something', { delay: 10 });
  await waitText(a.locator('.typing'), 'Bob Marley is typing');
  await b.locator('.composer__input').press('Enter');
  await msg(a, 'typing something').waitFor();
  await waitGone(a.locator('.typing.typing--on'));
});

test('reply, react, edit and delete are seen by the other user', async () => {
  const a = alice.page;
  const b = bob.page;
  // Bob replies to Alice's greeting.
  const greeting = msg(b, 'Hello Bob, welcome');
  await greeting.hover();
  await greeting.getByRole('button', { name: 'Reply' }).click();
  await waitText(b.locator('.composer__context'), 'Replying to');
  await sendMessage(b, 'Thanks, glad to be here');
  const reply = msg(a, 'Thanks, glad to be here');
  await waitText(reply.locator('.msg__quote'), 'Hello Bob, welcome');

  // Alice reacts to the reply; Bob sees it.
  await reply.hover();
  await reply.getByRole('button', { name: 'React 👍' }).click();
  await msg(a, 'Thanks, glad').locator('.reaction--mine[data-emoji="👍"]').waitFor();
  await waitText(msg(b, 'Thanks, glad').locator('.reaction[data-emoji="👍"]'), '1');
  // Bob adds the same reaction: count 2 on both sides.
  await msg(b, 'Thanks, glad').locator('.reaction[data-emoji="👍"]').click();
  await waitText(msg(a, 'Thanks, glad').locator('.reaction[data-emoji="👍"] .reaction__count'), '2');
  await msg(b, 'Thanks, glad').locator('.reaction--mine[data-emoji="👍"]').waitFor();

  // Alice edits her last message with the up arrow.
  await sendMessage(a, 'This has a tpyo');
  await msg(b, 'This has a tpyo').waitFor();
  const input = a.locator('.composer__input');
  await input.press('ArrowUp');
  await waitText(a.locator('.composer__context'), 'Editing message');
  await input.fill('This had a typo');
  await input.press('Enter');
  await waitText(msg(b, 'This had a typo').locator('.msg__edited'), 'edited');

  // Alice deletes it; Bob sees the tombstone.
  const mine = msg(a, 'This had a typo');
  await mine.hover();
  await mine.getByRole('button', { name: 'Delete' }).click();
  await a.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await waitCount(msg(b, 'This had a typo'), 0);
  await b.locator('.msg--deleted').first().waitFor();

  // Clicking a reply's quote jumps to the original.
  await msg(b, 'Thanks, glad').locator('.msg__quote').click();
  await b.locator('.msg--flash').filter({ hasText: 'Hello Bob, welcome' }).waitFor();
});

test('direct messages arrive with an unread badge that clears when opened', async () => {
  const a = alice.page;
  const b = bob.page;
  await a.getByRole('button', { name: 'New direct message' }).click();
  const dialog = a.getByRole('dialog');
  await dialog.getByRole('searchbox').fill(names.bob);
  await dialog.locator('.pick', { hasText: 'Bob Marley' }).click();
  await a.locator('.room-header__name', { hasText: 'Bob Marley' }).waitFor();
  const dmId = await a.locator('.room').getAttribute('data-room-id');
  await sendMessage(a, 'Psst, a private word');

  // Bob is still in the channel: the DM shows up with a badge.
  const item = b.locator(`.room-item[data-room-id="${dmId}"]`);
  await waitText(item.locator('.badge--unread'), '1');
  await item.click();
  await msg(b, 'Psst, a private word').waitFor();
  await waitGone(item.locator('.badge--unread'));
  await sendMessage(b, 'Reading you loud and clear');
  await msg(a, 'Reading you loud and clear').waitFor();
  // Alice sees her DM message as read once Bob has the room open.
  await msg(a, 'Psst, a private word').locator('.msg__receipt[data-receipt="read"]').waitFor();

  // Alice writes in the channel while Bob is in the DM.
  await a.locator(`.room-item[data-room-id="${channelId}"]`).click();
  await sendMessage(a, 'Channel news while you were away');
  const channelItem = b.locator(`.room-item[data-room-id="${channelId}"]`);
  await waitText(channelItem.locator('.badge--unread'), '1');
  await channelItem.click();
  await msg(b, 'Channel news while you were away').waitFor();
  await waitGone(channelItem.locator('.badge--unread'));
  await b.locator('.new-divider').waitFor();

  assertNoProblems(a);
  assertNoProblems(b);
});
