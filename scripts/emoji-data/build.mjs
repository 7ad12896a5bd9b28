// Builds web/js/data/emoji.json (the emoji the web client offers, with their
// names, shortcodes and skin tones) from the emojibase-data npm package, so the
// client ships the data and fetches nothing from elsewhere at run time.
// Run: cd scripts/emoji-data && npm ci && node build.mjs
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, 'node_modules', 'emojibase-data');
const out = path.resolve(here, '..', '..', 'web', 'js', 'data', 'emoji.json');

const load = async (file) => JSON.parse(await readFile(path.join(pkg, file), 'utf8'));
const emoji = await load('en/compact.json');
const messages = await load('en/messages.json');
// GitHub's shortcodes first (what Slack and Discord users type: :tada:, :+1:),
// then Slack's own (iamcal) for the ones GitHub lacks.
const sources = [await load('en/shortcodes/github.json'), await load('en/shortcodes/iamcal.json')];

const GROUP_NAMES = {
  'smileys-emotion': 'Smileys & emotion',
  'people-body': 'People & body',
  'animals-nature': 'Animals & nature',
  'food-drink': 'Food & drink',
  'travel-places': 'Travel & places',
  activities: 'Activities',
  objects: 'Objects',
  symbols: 'Symbols',
  flags: 'Flags',
};

// 👍 is drawn as an emoji without U+FE0F, and reactions compare strings: the
// picker must give the same 👍 as the quick reactions, so the selector is
// dropped after a character that is an emoji by default (❤️ keeps it).
const plain = (unicode) => unicode.replace(/^(\p{Emoji_Presentation})\uFE0F$/u, '$1');

const shortcodesOf = (hexcode) => {
  const codes = [];
  for (const source of sources) {
    const v = source[hexcode];
    for (const code of v === undefined ? [] : Array.isArray(v) ? v : [v]) if (!codes.includes(code)) codes.push(code);
  }
  return codes;
};

const groups = messages.groups
  .filter((g) => GROUP_NAMES[g.key])
  .map((g) => ({ key: g.key, name: GROUP_NAMES[g.key], order: g.order, emoji: [] }));
const byOrder = new Map(groups.map((g) => [g.order, g]));

for (const e of [...emoji].sort((a, b) => (a.order ?? 0) - (b.order ?? 0))) {
  const group = byOrder.get(e.group);
  if (!group) continue; // components (bare skin tones, hair) and regional indicators
  const shortcodes = shortcodesOf(e.hexcode);
  if (shortcodes.length === 0) continue;
  // [emoji, name, shortcodes, search words, skins (5, light to dark) or omitted]
  const row = [plain(e.unicode), e.label, shortcodes, (e.tags ?? []).join(' ')];
  if (e.skins?.length === 5) row.push(e.skins.map((s) => s.unicode));
  group.emoji.push(row);
}

const data = {
  source: `emojibase-data ${(await load('package.json')).version}`,
  groups: groups.map(({ key, name, emoji }) => ({ key, name, emoji })),
};
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(data)}\n`);
const count = groups.reduce((n, g) => n + g.emoji.length, 0);
console.log(`wrote ${path.relative(process.cwd(), out)}: ${count} emoji`);
