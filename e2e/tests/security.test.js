// Account security in the browser: turning on two-factor in the settings,
// signing in with a TOTP code, and revoking another session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer } from '../lib/server.js';
import { launch, newPage, signUp, uniqueName, waitConnected, me, assertNoProblems } from '../lib/browser.js';
import { waitCount, waitGone } from '../lib/wait.js';

const PASSWORD = 'correct horse battery';

/** RFC 4648 base32 (no padding) → bytes. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP: HMAC-SHA1 over the 30-second step counter, 6 digits. */
function totp(secret, unixSeconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 1_000_000).padStart(6, '0');
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

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

/** A login from "another device", straight against the API. */
async function loginElsewhere(username, userAgent) {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': userAgent },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(res.status, 200);
  return res.json();
}

async function meStatus(accessToken) {
  const res = await fetch(`${server.url}/api/v1/users/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  return res.status;
}

test('the TOTP helper matches the RFC 6238 test vector', () => {
  assert.equal(totp(Buffer.from('12345678901234567890'), 59), '287082');
  assert.equal(totp(Buffer.from('12345678901234567890'), 1111111109), '081804');
});

test('two-factor is turned on in settings, asked for at sign-in, and another session is revoked', async () => {
  const name = uniqueName('sec');
  const { page } = await newPage(browser, server.url);
  await signUp(page, name);
  const other = await loginElsewhere(name, 'OtherDevice/1.0');
  assert.equal(await meStatus(other.access_token), 200);

  // Settings → Security → set up two-factor.
  await page.locator('.me').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('tab', { name: 'Security' }).click();
  await dialog.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  const qr = dialog.getByRole('img', { name: 'QR code for your authenticator app' });
  await qr.waitFor();
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR image renders');
  const uri = (await dialog.locator('.totp-setup__uri').textContent()).trim();
  assert.match(uri, new RegExp(`^otpauth://totp/Hearth:${name}\\?`));
  const secret = base32Decode(new URL(uri).searchParams.get('secret'));
  assert.equal(secret.length, 20);

  // A wrong code is refused; the right one (with the password) turns it on
  // and shows recovery codes once.
  const right = totp(secret, nowSeconds());
  const wrong = right === '000000' ? '111111' : '000000';
  await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await dialog.getByLabel('Code from your authenticator app').fill(wrong);
  await dialog.getByRole('button', { name: 'Turn on' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'That code did not work' }).waitFor();
  await dialog.getByLabel('Code from your authenticator app').fill(right);
  await dialog.getByRole('button', { name: 'Turn on' }).click();
  await waitCount(dialog.locator('.recovery-codes li'), 10);
  const codes = await dialog.locator('.recovery-codes code').allTextContents();
  assert.ok(codes.every((c) => /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/.test(c)), codes.join(' '));
  await dialog.getByRole('button', { name: 'I saved them' }).click();
  await dialog.getByRole('button', { name: 'Turn off two-factor authentication' }).waitFor();
  assert.equal((await me(page)).totp_enabled, true);

  // Sign out, then in: the password alone is not enough.
  await dialog.getByRole('button', { name: 'Sign out' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username or e-mail').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const codeField = page.getByLabel('Two-factor code');
  await codeField.waitFor();
  // The code that turned two-factor on is spent; the next step's code is good.
  await codeField.fill(totp(secret, nowSeconds() + 30));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.sidebar').waitFor();
  await waitConnected(page);

  // The sessions list shows this device and the other one; revoke the other.
  await page.goto('/#/settings/sessions');
  const sessions = dialog.locator('.session-item');
  await waitCount(sessions, 2);
  await dialog.locator('.session-item--current').waitFor();
  await dialog.getByRole('button', { name: 'Revoke session OtherDevice/1.0' }).click();
  await waitCount(sessions, 1);
  await waitGone(dialog.locator('.session-item', { hasText: 'OtherDevice/1.0' }));
  assert.equal(await meStatus(other.access_token), 401, "the other device's token stopped working");
  assert.equal(await meStatus((await page.evaluate(() => JSON.parse(localStorage.getItem('hearth.auth')))).access_token), 200);

  // A 401 (totp_required) and a 403 (wrong code) were expected along the way.
  assertNoProblems(page, [/status of 40[13]/]);
  await page.context().close();
});
