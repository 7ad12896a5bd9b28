import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import Format from 'helpers/format.js';
import Router from 'lib/router.js';
import PopoverView from 'views/popover_view.js';

const PRESENCE = { online: 'Online', idle: 'Away', offline: 'Offline' };

/**
 * A person's card, opened from their name, avatar or @mention: picture,
 * display name and handle, presence, status, local time (from their time
 * zone, when they gave one), bio, and a "Message" button that opens (or
 * starts) the DM with them.
 */
export default class ProfileCardView {
  /**
   * @param anchor the element clicked
   * @param who a UserSummary ({id, username, display_name, avatar_url}) or {username} alone
   * @param ctx {chat, router, toast}
   */
  static open(anchor, who, ctx) {
    const card = new ProfileCardView(who, ctx);
    card.#popover.open(anchor, { placement: 'bottom' });
    card.#load();
    return card.#popover;
  }

  #popover = new PopoverView('profile-card', 'Profile');
  #ctx;
  #user;

  constructor(who, ctx) {
    this.#ctx = ctx;
    this.#user = who;
    this.#render(false);
  }

  async #load() {
    const { chat } = this.#ctx;
    try {
      let user = this.#user;
      if (!user.id) {
        const found = (await chat.api.searchUsers(user.username)) ?? [];
        user = found.find((u) => u.username.toLowerCase() === user.username.toLowerCase());
        if (!user) {
          Dom.replace(this.#popover.el, Dom.h('p', { class: 'profile-card__missing' }, `No one is called @${this.#user.username}.`));
          return;
        }
      }
      this.#user = user.id === chat.me.id ? chat.me : await chat.api.user(user.id);
      this.#render(true);
    } catch (err) {
      this.#popover.el.append(Dom.h('p', { class: 'profile-card__missing', role: 'alert' }, `Could not load the profile: ${err.message}`));
    }
  }

  #render(loaded) {
    const { chat } = this.#ctx;
    const u = this.#user;
    const name = u.display_name || u.username || '';
    const isMe = u.id === chat.me.id;
    const status = u.id ? chat.presence.status(u.id) : null;
    const localTime = ProfileCardView.localTime(u.time_zone);
    const titleId = `card-${crypto.randomUUID().slice(0, 6)}`;
    this.#popover.el.removeAttribute('aria-label');
    this.#popover.el.setAttribute('aria-labelledby', titleId);
    Dom.replace(
      this.#popover.el,
      Dom.h(
        'div',
        { class: 'profile-card__top' },
        Avatar.create(u.id ? u : null, { size: 64, presence: status }),
        Dom.h(
          'div',
          { class: 'profile-card__names' },
          Dom.h('h2', { class: 'profile-card__name', id: titleId }, name),
          u.username && Dom.h('p', { class: 'profile-card__handle' }, `@${u.username}`),
          status &&
            Dom.h(
              'p',
              { class: ['profile-card__presence', `profile-card__presence--${status}`] },
              status === 'offline' ? ProfileCardView.#capitalised(Format.lastSeen(chat.presence.lastSeen(u.id))) : PRESENCE[status] ?? status,
            ),
        ),
      ),
      u.status_text && Dom.h('p', { class: 'profile-card__status' }, u.status_text),
      localTime &&
        Dom.h(
          'p',
          { class: 'profile-card__row profile-card__time' },
          Icons.get('clock', { size: 15 }),
          Dom.h('span', null, `${localTime} local time`),
        ),
      u.bio && Dom.h('p', { class: 'profile-card__bio' }, u.bio),
      !loaded && Dom.h('div', { class: 'profile-card__loading', role: 'status' }, Dom.h('span', { class: 'spinner' }), Dom.h('span', { class: 'visually-hidden' }, 'Loading profile')),
      loaded &&
        !isMe &&
        Dom.h(
          'div',
          { class: 'profile-card__actions' },
          Dom.h('button', { class: 'btn btn--primary profile-card__message', type: 'button', onclick: () => this.#message() }, Icons.get('chat', { size: 16 }), 'Message'),
        ),
      loaded && isMe && Dom.h('p', { class: 'profile-card__handle' }, 'This is you.'),
    );
    if (this.#popover.el.isConnected) this.#popover.reposition();
    if (loaded) this.#popover.el.querySelector('button')?.focus();
  }

  async #message() {
    const { chat, router, toast } = this.#ctx;
    const existing = chat.rooms.all().find((r) => r.kind === 'dm' && r.peer?.id === this.#user.id);
    try {
      const room = existing ?? (await chat.api.createRoom({ kind: 'dm', members: [this.#user.id] }));
      if (!existing) chat.addRoom(room);
      this.#popover.close();
      router.go(Router.roomHref(room.id));
    } catch (err) {
      toast(`Could not open the conversation: ${err.message}`);
    }
  }

  static #capitalised(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** "14:05" in the IANA time zone `tz`, or null when none or unknown. */
  static localTime(tz, now = new Date()) {
    if (!tz) return null;
    try {
      return new Intl.DateTimeFormat(undefined, { timeZone: tz, hour: 'numeric', minute: '2-digit' }).format(now);
    } catch {
      return null;
    }
  }
}
