/**
 * The unread count in the tab title and browser notifications for mentions
 * and direct messages while the tab is hidden.
 */
export default class Notifier {
  #baseTitle;

  constructor(baseTitle = 'Hearth') {
    this.#baseTitle = baseTitle;
  }

  get permission() {
    return 'Notification' in window ? Notification.permission : 'unsupported';
  }

  async requestPermission() {
    if (!('Notification' in window)) return 'unsupported';
    return Notification.requestPermission();
  }

  setTitle(unread, roomName = null) {
    const base = roomName ? `${roomName} · ${this.#baseTitle}` : this.#baseTitle;
    document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
  }

  /** Shows a notification unless the tab is visible; `onClick` focuses the room. */
  notify({ title, body, tag, onClick }) {
    if (!document.hidden || this.permission !== 'granted') return;
    try {
      const n = new Notification(title, { body: body.slice(0, 200), tag, silent: false });
      n.onclick = () => {
        window.focus();
        onClick?.();
        n.close();
      };
    } catch {
      // some platforms only allow notifications from a service worker
    }
  }
}
