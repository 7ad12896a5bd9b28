const NS = 'http://www.w3.org/2000/svg';

/** Line icons on a 24×24 grid, drawn for Hearth. */
const SHAPES = {
  hash: [['path', 'M5 9h14M5 15h14M10 4 8 20M16 4l-2 16']],
  lock: [['rect', { x: 5, y: 11, width: 14, height: 9, rx: 2 }], ['path', 'M8 11V8a4 4 0 0 1 8 0v3']],
  plus: [['path', 'M12 5v14M5 12h14']],
  search: [['circle', { cx: 11, cy: 11, r: 6 }], ['path', 'm20 20-4.5-4.5']],
  users: [
    ['circle', { cx: 9, cy: 8, r: 3.5 }],
    ['path', 'M2.5 20a6.5 6.5 0 0 1 13 0M16 4.5a3.5 3.5 0 0 1 0 7M18.5 14.5A6.5 6.5 0 0 1 21.5 20'],
  ],
  settings: [
    ['circle', { cx: 12, cy: 12, r: 3 }],
    ['path', 'M12 2.5v3M12 18.5v3M21.5 12h-3M5.5 12h-3M18.7 5.3l-2.1 2.1M7.4 16.6l-2.1 2.1M18.7 18.7l-2.1-2.1M7.4 7.4 5.3 5.3'],
  ],
  info: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', 'M12 11v6M12 7.5v.5']],
  smile: [
    ['circle', { cx: 12, cy: 12, r: 9 }],
    ['path', 'M8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5v.5M15 9.5v.5'],
  ],
  clip: [['path', 'M20 11.5 12.2 19.3a5 5 0 0 1-7.1-7.1l8.1-8.1a3.3 3.3 0 0 1 4.7 4.7l-8 8a1.7 1.7 0 0 1-2.4-2.4L15 7']],
  mic: [['rect', { x: 9, y: 3, width: 6, height: 11, rx: 3 }], ['path', 'M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21']],
  send: [['path', 'M4 12 20 4l-4 16-4-7zM12 13l8-9']],
  reply: [['path', 'M9 7 4 12l5 5M4 12h10a6 6 0 0 1 6 6v1']],
  edit: [['path', 'M15.5 4.5l4 4L9 19H5v-4zM13 7l4 4']],
  trash: [['path', 'M4.5 7h15M9.5 7V4.5h5V7M6.5 7l1 13h9l1-13M10 11v5.5M14 11v5.5']],
  x: [['path', 'M6 6l12 12M18 6 6 18']],
  back: [['path', 'M15 5l-7 7 7 7']],
  sun: [
    ['circle', { cx: 12, cy: 12, r: 4 }],
    ['path', 'M12 2.5V5M12 19v2.5M2.5 12H5M19 12h2.5M5.3 5.3 7 7M17 17l1.7 1.7M5.3 18.7 7 17M17 7l1.7-1.7'],
  ],
  moon: [['path', 'M20 14.5A8 8 0 0 1 9.5 4 8 8 0 1 0 20 14.5z']],
  bell: [['path', 'M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15zM10 20.5a2.2 2.2 0 0 0 4 0']],
  check: [['path', 'M5 12.5l4.5 4.5L19 7.5']],
  checks: [['path', 'M2.5 12.5 7 17l9.5-9.5M11.5 16l1 1 9.5-9.5']],
  clock: [['circle', { cx: 12, cy: 12, r: 8.5 }], ['path', 'M12 7.5V12l3 2']],
  alert: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', 'M12 7.5V13M12 16.5v.5']],
  download: [['path', 'M12 4v11M7 10.5l5 5 5-5M5 19.5h14']],
  file: [['path', 'M6 3h8l5 5v13H6zM14 3v5h5']],
  play: [['path', 'M8 5.5v13l11-6.5z', { fill: 'currentColor' }]],
  pause: [['path', 'M8 5v14M16 5v14', { 'stroke-width': 3 }]],
  stop: [['rect', { x: 6, y: 6, width: 12, height: 12, rx: 2, fill: 'currentColor' }]],
  at: [['circle', { cx: 12, cy: 12, r: 3.5 }], ['path', 'M15.5 12v1.5a2.5 2.5 0 0 0 5 0V12a8.5 8.5 0 1 0-3.5 6.9']],
  logout: [['path', 'M14 4.5H5.5v15H14M10 12h10.5M17 8.5l3.5 3.5-3.5 3.5']],
  more: [
    ['circle', { cx: 6, cy: 12, r: 1.3, fill: 'currentColor' }],
    ['circle', { cx: 12, cy: 12, r: 1.3, fill: 'currentColor' }],
    ['circle', { cx: 18, cy: 12, r: 1.3, fill: 'currentColor' }],
  ],
  compass: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', 'm15.5 8.5-2 5-5 2 2-5z']],
  chat: [['path', 'M4.5 5.5h15v10h-8l-4.5 4v-4H4.5z']],
  mask: [['path', 'M3.5 8c3-1.5 14-1.5 17 0 0 5-2.5 8-5 8-1.5 0-2.3-1.5-3.5-1.5S10 16 8.5 16c-2.5 0-5-3-5-8z'], ['path', 'M7.5 11h2.5M14 11h2.5']],
  pin: [['path', 'M9 4h6l-1 5 3 3v2H7v-2l3-3zM12 14v6']],
  wifi_off: [['path', 'M3 3l18 18M8.5 16.5a5 5 0 0 1 7 0M5 12.5a10 10 0 0 1 5-2.6M19 12.5a10 10 0 0 0-2.2-1.6M12 20h.01']],
};

/** Builds the SVG icons; decorative unless given a label. */
export default class Icons {
  static get(name, { size = 18, label = null, className = '' } = {}) {
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', size);
    svg.setAttribute('height', size);
    svg.setAttribute('fill', 'none');
    svg.setAttribute('stroke', 'currentColor');
    svg.setAttribute('stroke-width', '1.8');
    svg.setAttribute('stroke-linecap', 'round');
    svg.setAttribute('stroke-linejoin', 'round');
    svg.setAttribute('class', `icon ${className}`.trim());
    if (label) {
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', label);
    } else {
      svg.setAttribute('aria-hidden', 'true');
    }
    for (const [tag, a, extra] of SHAPES[name] ?? []) {
      const el = document.createElementNS(NS, tag);
      const attrs = typeof a === 'string' ? { d: a, ...(extra ?? {}) } : a;
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      svg.append(el);
    }
    return svg;
  }
}
