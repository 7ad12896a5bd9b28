import { startServer } from './lib/server.js';
import { launch, newPage, signUp, createChannel, openRoom, sendMessage, screenshot } from './lib/browser.js';
const s = await startServer();
const browser = await launch();
try {
  const { page } = await newPage(browser, s.url);
  await page.goto('/');
  await page.waitForTimeout(500);
  await screenshot(page, 'smoke-auth');
  await signUp(page, 'alice', { displayName: 'Alice Liddell' });
  const ch = await createChannel(page, 'general', 'Company-wide announcements');
  await page.locator(`.room-item[data-room-id="${ch.id}"]`).waitFor();
  await openRoom(page, ch.id);
  await sendMessage(page, 'Hello **world**, this is `code` and a [link](https://example.com)');
  await sendMessage(page, 'second one\n- a\n- b');
  await page.locator('.msg[data-message-id]').nth(1).waitFor();
  await page.waitForTimeout(300);
  await screenshot(page, 'smoke-room');
} catch (e) { console.error('FAIL', e); }
finally {
  await browser.close();
  await s.stop();
}
