// Notification settings in the browser: do-not-disturb is saved on change and
// survives a reload; the push toggle either subscribes or explains why not
// (this machine has no push service, so usually the latter).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, waitConnected, apiCall, assertNoProblems } from '../lib/browser.js';
import { until } from '../lib/wait.js';

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

async function openSettings(page) {
  // A reload keeps the settings' URL, which opens them again by itself.
  if (!page.url().includes('#/settings/')) await page.locator('.me').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('tab', { name: 'Notifications' }).click();
  await dialog.getByRole('heading', { name: 'Notifications' }).waitFor();
  return dialog;
}

test('do-not-disturb is saved on change and shown again after a reload', async () => {
  const { page, context } = await newPage(browser, server.url);
  await signUp(page, uniqueName('dnd'));
  let dialog = await openSettings(page);
  const dnd = dialog.getByLabel('Do not disturb');
  assert.equal(await dnd.inputValue(), 'off');

  await dnd.selectOption('on');
  const stored = await until(page, async () => (await apiCall(page, 'GET', '/users/me')).body.dnd_until, 'dnd_until set');
  assert.ok(new Date(stored).getUTCFullYear() >= 9999, stored);

  await page.reload();
  await waitConnected(page);
  dialog = await openSettings(page);
  assert.equal(await dialog.getByLabel('Do not disturb').inputValue(), 'on');

  // For an hour: a real time about an hour away, shown as "Until …".
  await dialog.getByLabel('Do not disturb').selectOption('hour');
  const hour = await until(page, async () => {
    const u = (await apiCall(page, 'GET', '/users/me')).body.dnd_until;
    return u && new Date(u).getUTCFullYear() < 9999 ? u : null;
  }, 'dnd_until in an hour');
  const minutes = (new Date(hour) - Date.now()) / 60_000;
  assert.ok(minutes > 55 && minutes <= 61, `${minutes} minutes`);
  await page.reload();
  await waitConnected(page);
  dialog = await openSettings(page);
  assert.equal(await dialog.getByLabel('Do not disturb').inputValue(), 'current');
  assert.match(await dialog.locator('#pf-dnd-hint').textContent(), /^On until /);

  // Off again.
  await dialog.getByLabel('Do not disturb').selectOption('off');
  await until(page, async () => !('dnd_until' in (await apiCall(page, 'GET', '/users/me')).body), 'dnd_until cleared');
  assertNoProblems(page);
  await context.close();
});

test('the push toggle subscribes this device or says why it cannot', async () => {
  const { page, context } = await newPage(browser, server.url);
  await context.grantPermissions(['notifications'], { origin: server.url });
  await signUp(page, uniqueName('push'));
  const dialog = await openSettings(page);
  const toggle = dialog.getByRole('switch', { name: 'Push notifications on this device' });
  assert.equal(await toggle.isChecked(), false);

  // Not check(): it insists on the checked state, and a failure leaves it off.
  await toggle.click();
  const section = dialog.locator('section.notifications');
  const outcome = await until(page, async () => {
    const state = await section.getAttribute('data-push');
    return state === 'on' || state === 'failed' ? state : null;
  }, 'the push toggle to settle', 25_000);

  // The service worker is served from the root with a JavaScript type.
  const sw = await page.evaluate(async () => {
    const res = await fetch('/sw.js');
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  });
  assert.equal(sw.status, 200);
  assert.match(sw.type, /javascript/);
  assert.match(sw.text, /showNotification/);

  if (outcome === 'on') {
    assert.equal(await toggle.isChecked(), true);
    await toggle.uncheck();
    await until(page, async () => (await section.getAttribute('data-push')) === 'off', 'push turned off');
  } else {
    assert.equal(await toggle.isChecked(), false, 'the toggle stays off after a failure');
    const message = dialog.locator('.notifications__push-error');
    assert.equal(await message.isVisible(), true);
    const text = await message.textContent();
    assert.match(text, /push service|blocked|not support|service worker|server/i, text);
    // The page still works: the dialog closes and the shell is connected.
    await page.keyboard.press('Escape');
    await waitConnected(page);
  }
  // Playwright's contexts are incognito-like; Chromium logs that it has no push there.
  assertNoProblems(page, [/does not support the Push API in incognito/]);
  await context.close();
});

test("signing out drops this browser's push subscription", async () => {
  const { page, context } = await newPage(browser, server.url);
  // This machine has no push service: a stand-in subscription records
  // whether the client dropped it.
  await context.addInitScript(() => {
    const subscription = {
      endpoint: 'https://push.example/e2e',
      toJSON() {
        return { endpoint: this.endpoint, keys: { p256dh: 'stand-in', auth: 'stand-in' } };
      },
      async unsubscribe() {
        localStorage.setItem('e2e.push-dropped', 'yes');
        return true;
      },
    };
    const registration = { pushManager: { getSubscription: async () => subscription } };
    navigator.serviceWorker.getRegistration = async () => registration;
  });
  await signUp(page, uniqueName('pushout'));
  assert.equal(await page.evaluate(() => localStorage.getItem('e2e.push-dropped')), null);
  await page.locator('.me').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await until(page, () => page.evaluate(() => localStorage.getItem('e2e.push-dropped') === 'yes'), 'the push subscription dropped');
  await context.close();
});
