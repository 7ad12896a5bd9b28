import Emitter from 'lib/emitter.js';

/**
 * Hash routes: `#/room/<id>` and `#/room/<id>/m/<message id>` (jump to a
 * message), `#/settings/<page>` (the settings dialog, over whatever is open).
 * Events: `route` ({roomId, messageId, seq} or {settings}).
 */
export default class Router extends Emitter {
  #onHash = () => this.emit('route', this.current);

  start() {
    window.addEventListener('hashchange', this.#onHash);
  }

  stop() {
    window.removeEventListener('hashchange', this.#onHash);
  }

  get current() {
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    if (parts[0] === 'settings') return { roomId: null, settings: parts[1] || 'profile' };
    if (parts[0] !== 'room' || !parts[1]) return { roomId: null };
    const route = { roomId: parts[1], messageId: null, seq: null };
    if (parts[2] === 'm' && parts[3]) route.messageId = parts[3];
    if (parts[2] === 's' && parts[3]) route.seq = Number(parts[3]);
    return route;
  }

  static roomHref(roomId) {
    return `#/room/${encodeURIComponent(roomId)}`;
  }

  static settingsHref(page) {
    return `#/settings/${encodeURIComponent(page)}`;
  }

  static seqHref(roomId, seq) {
    return `#/room/${encodeURIComponent(roomId)}/s/${seq}`;
  }

  go(href) {
    if (location.hash === href) this.#onHash();
    else location.hash = href;
  }

  /** Replaces the current entry (no history step). */
  replace(href) {
    history.replaceState(null, '', href);
    this.#onHash();
  }
}
