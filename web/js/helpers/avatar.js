import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';

const HUES = [210, 260, 330, 20, 150, 190, 45, 290, 0, 120];

/**
 * Avatars: the picture when there is one (fetched with the token), otherwise
 * initials on a colour derived from the id, so a person keeps their colour.
 */
export default class Avatar {
  static #media = null;

  /** Set once at start: the MediaCache used for avatar pictures. */
  static use(media) {
    Avatar.#media = media;
  }

  /**
   * @param {{id?: string, display_name?: string, username?: string, name?: string, avatar_url?: string|null}|null} who
   * @param {{size?: number, presence?: string|null, anonymous?: boolean, square?: boolean}} opts
   */
  static create(who, { size = 36, presence = null, anonymous = false, square = false } = {}) {
    const name = who?.display_name || who?.name || who?.username || '?';
    const wrap = Dom.h('span', {
      class: ['avatar', square && 'avatar--square'],
      style: { width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.4)}px` },
      'aria-hidden': 'true',
    });
    if (anonymous || !who) {
      wrap.classList.add('avatar--anon');
      wrap.append(Icons.get('mask', { size: Math.round(size * 0.6) }));
    } else {
      wrap.style.setProperty('--avatar-hue', String(Avatar.hue(who.id ?? name)));
      wrap.append(Dom.h('span', { class: 'avatar__initials' }, Avatar.initials(name)));
      if (who.avatar_url && Avatar.#media) {
        Avatar.#media.get(who.avatar_url).then(
          (src) => {
            const img = Dom.h('img', { class: 'avatar__img', alt: '', src });
            wrap.append(img);
          },
          () => {},
        );
      }
    }
    if (presence) wrap.append(Dom.h('span', { class: `presence presence--${presence}` }));
    return wrap;
  }

  static initials(name) {
    const parts = String(name).trim().split(/[\s._-]+/).filter(Boolean);
    const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] ?? '?').slice(0, 2);
    return [...letters].slice(0, 2).join('').toUpperCase();
  }

  static hue(key) {
    let h = 0;
    for (const ch of String(key)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
    return HUES[h % HUES.length];
  }
}
