// Attachments: an image attached by one user shows inline on the other side
// (fetched with the token, shown through a blob: URL) and opens in a lightbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, apiCall, createChannel, openRoom, sendMessage, assertNoProblems } from '../lib/browser.js';

let server;
let browser;
let alice;
let bob;
let channel;

before(async () => {
  server = await startServer();
  browser = await launch();
  alice = await newPage(browser, server.url);
  bob = await newPage(browser, server.url);
  await signUp(alice.page, uniqueName('alice'), { displayName: 'Alice' });
  await signUp(bob.page, uniqueName('bob'), { displayName: 'Bob' });
  channel = await createChannel(alice.page, 'photos');
  await apiCall(bob.page, 'POST', `/rooms/${channel.id}/join`);
  await openRoom(alice.page, channel.id);
  await bob.page.locator(`.room-item[data-room-id="${channel.id}"]`).waitFor();
  await openRoom(bob.page, channel.id);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A small PNG drawn by the browser. */
async function makePng(page) {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 320;
    c.height = 200;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 320, 200);
    grad.addColorStop(0, '#6e6ef0');
    grad.addColorStop(1, '#f0a46e');
    g.fillStyle = grad;
    g.fillRect(0, 0, 320, 200);
    g.fillStyle = '#fff';
    g.font = 'bold 36px sans-serif';
    g.fillText('Hearth', 100, 110);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

test('an attached image appears inline for the other user', async () => {
  const a = alice.page;
  const png = await makePng(a);
  await a.locator('.composer input[type=file]').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
  await a.locator('.upload[data-state="done"]').waitFor({ timeout: 15_000 });
  await sendMessage(a, 'Look at this');
  const onBob = bob.page.locator('.msg', { hasText: 'Look at this' });
  await onBob.waitFor();
  const img = onBob.locator('.att-image img');
  await img.waitFor();
  await bob.page.waitForFunction(
    (el) => el.src.startsWith('blob:') && el.complete && el.naturalWidth > 0,
    await img.elementHandle(),
  );
  await onBob.locator('.att-image').click();
  await bob.page.locator('dialog.lightbox[open] img').waitFor();
  await bob.page.keyboard.press('Escape');
  await bob.page.locator('dialog.lightbox').waitFor({ state: 'detached' });
  assertNoProblems(bob.page);
});

test('a non-image file is shown as a download card', async () => {
  const a = alice.page;
  await a.locator('.composer input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from a file\n') });
  await a.locator('.upload[data-state="done"]').waitFor({ timeout: 15_000 });
  await a.locator('.composer__input').press('Enter');
  const card = bob.page.locator('.file-card', { hasText: 'notes.txt' });
  await card.waitFor();
  assert.match(await card.textContent(), /notes\.txt/);
});

test('next to an image, a file card keeps its own height', async () => {
  const a = alice.page;
  await a.locator('.composer input[type=file]').setInputFiles([
    { name: 'wide.png', mimeType: 'image/png', buffer: await makePng(a) },
    { name: 'spec.txt', mimeType: 'text/plain', buffer: Buffer.from('the spec\n') },
  ]);
  await a.locator('.upload[data-state="done"]').nth(1).waitFor({ timeout: 15_000 });
  await sendMessage(a, 'image and file together');
  const msg = bob.page.locator('.msg', { hasText: 'image and file together' });
  const image = msg.locator('.att-image:not(.att-image--loading)');
  await image.waitFor();
  const card = msg.locator('.file-card', { hasText: 'spec.txt' });
  const imageBox = await image.boundingBox();
  const cardBox = await card.boundingBox();
  assert.ok(imageBox.height > 100, `the image is tall (${imageBox.height})`);
  assert.ok(cardBox.height < 70, `the file card is ${cardBox.height}px high, not stretched to the image`);
});
