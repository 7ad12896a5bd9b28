// Draws the app icons of web/manifest.webmanifest from web/favicon.svg with
// the test Chromium (no downloads): `node scripts/make-icons.js` in e2e/.
// "any" icons are the favicon as it is; "maskable" ones put its glyph on a
// full-bleed square inside the middle 80 % (the safe zone launchers keep
// when they cut a circle or squircle out of it).
import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../lib/browser.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WEB = path.resolve(here, '..', '..', 'web');
const OUT = path.join(WEB, 'icons');

const svg = await readFile(path.join(WEB, 'favicon.svg'), 'utf8');
const background = /<rect[^>]*fill="([^"]+)"/.exec(svg)?.[1] ?? '#5b5bd6';
const glyph = svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '').replace(/<rect[^>]*\/>/, '');
const maskable = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" fill="${background}"/><g transform="translate(16 16) scale(0.8) translate(-16 -16)">${glyph}</g></svg>`;

const ICONS = [
  { file: 'icon-192.png', size: 192, svg },
  { file: 'icon-512.png', size: 512, svg },
  { file: 'maskable-192.png', size: 192, svg: maskable },
  { file: 'maskable-512.png', size: 512, svg: maskable },
  // iOS ignores the manifest's icons and rounds the corners itself.
  { file: 'apple-touch-icon.png', size: 180, svg: maskable },
];

await mkdir(OUT, { recursive: true });
const browser = await launch();
const page = await browser.newPage({ deviceScaleFactor: 1 });
for (const icon of ICONS) {
  await page.setViewportSize({ width: icon.size, height: icon.size });
  const sized = icon.svg.replace('<svg ', `<svg width="${icon.size}" height="${icon.size}" `);
  await page.setContent(`<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block}</style>${sized}`);
  await page.screenshot({ path: path.join(OUT, icon.file), omitBackground: true });
  console.log(`web/icons/${icon.file} (${icon.size}×${icon.size})`);
}
await browser.close();
