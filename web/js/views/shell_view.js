import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Markdown from 'helpers/markdown.js';
import RoomList from 'models/room_list.js';
import Router from 'lib/router.js';
import SidebarView from 'views/sidebar_view.js';
import RoomView from 'views/room_view.js';
import ComposerView from 'views/composer_view.js';
import MembersPanelView from 'views/members_panel_view.js';
import SearchPanelView from 'views/search_panel_view.js';
import ChannelBrowserDialog from 'views/channel_browser_dialog.js';
import PeopleDialog from 'views/people_dialog.js';
import RoomSettingsDialog from 'views/room_settings_dialog.js';
import PinsPanelView from 'views/pins_panel_view.js';
import QuickSwitcherDialog from 'views/quick_switcher_dialog.js';
import ShortcutsDialog from 'views/shortcuts_dialog.js';
import MemberList from 'models/member_list.js';
import SettingsDialog from 'views/settings_dialog.js';

const BANNER = {
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Reconnecting…',
  offline: 'You are offline. Messages you write will be sent when you are back online.',
};

/**
 * The signed-in layout: sidebar, the open room (or a welcome page) and an
 * optional side panel; routes, title, notifications and keyboard shortcuts.
 */
export default class ShellView {
  el;
  #ctx;
  #sidebar;
  #main;
  #banner;
  #panelSlot;
  #room = null;
  #panel = null;
  #panelName = null;
  #settings = null;
  /** Where closing the settings returns to (the hash before they opened). */
  #settingsReturn = '#/';
  #off = [];
  #onKey = (e) => this.#shortcut(e);

  /** @param ctx {session, chat, media, uploader, router, notifier, toast, signOut} */
  constructor(ctx) {
    this.#ctx = ctx;
    const { chat, router } = ctx;
    const dialogCtx = () => ({ ...ctx, newChannel: () => new PeopleDialog(ctx, 'channel').open() });
    this.#sidebar = new SidebarView({
      chat,
      session: ctx.session,
      actions: {
        browseChannels: () => new ChannelBrowserDialog(dialogCtx()).open(),
        newChannel: () => new PeopleDialog(ctx, 'channel').open(),
        newDm: () => new PeopleDialog(ctx, 'dm').open(),
        newGroup: () => new PeopleDialog(ctx, 'group').open(),
        openProfile: () => router.go(Router.settingsHref('profile')),
        openSearch: () => this.#openPanel('search'),
      },
    });
    this.#banner = Dom.h('div', { class: 'banner', role: 'status', hidden: true });
    this.#main = Dom.h('main', { class: 'main', id: 'main' });
    this.#panelSlot = Dom.h('div', { class: 'panel-slot' });
    this.el = Dom.h(
      'div',
      { class: 'shell' },
      Dom.h('a', { class: 'skip-link', href: '#main' }, 'Skip to conversation'),
      this.#sidebar.el,
      Dom.h('div', { class: 'workspace' }, this.#banner, Dom.h('div', { class: 'workspace__row' }, this.#main, this.#panelSlot)),
    );
    this.#off.push(
      router.on('route', (r) => this.route(r)),
      chat.on('connection', (s) => this.#renderBanner(s)),
      chat.rooms.on('change', () => this.#onRooms()),
      chat.on('notification', (d) => this.#notify(d)),
      chat.on('error', (text) => ctx.toast(text, { kind: 'error' })),
      ComposerView.watch(chat, ctx.toast),
      chat.on('room-gone', (id) => {
        if (this.#room?.roomId === id) router.go('#/');
      }),
    );
    document.addEventListener('keydown', this.#onKey);
    this.#shareTimeZone();
    this.#renderBanner(chat.connection);
    this.#showWelcome();
  }

  disconnect() {
    this.#off.forEach((off) => off());
    document.removeEventListener('keydown', this.#onKey);
    this.#sidebar.disconnect();
    this.#room?.disconnect();
    this.#panel?.disconnect();
    const settings = this.#settings;
    this.#settings = null;
    settings?.close();
  }

  /** Where a new start of the app goes when its address names no room: the last one open. */
  startRoute() {
    const { chat, router } = this.#ctx;
    const current = router.current;
    if (current.roomId || current.settings) return this.route(current);
    let last = null;
    try {
      last = localStorage.getItem(`hearth.lastRoom.${chat.me?.id}`);
    } catch {
      // storage unavailable: start at the welcome screen
    }
    if (last && chat.rooms.has(last)) return router.replace(Router.roomHref(last));
    return this.route(current);
  }

  static #rememberRoom(userId, roomId) {
    try {
      if (userId) localStorage.setItem(`hearth.lastRoom.${userId}`, roomId);
    } catch {
      // storage unavailable: nothing to remember with
    }
  }

  async route({ roomId, messageId = null, seq = null, settings = null }) {
    const { chat, router } = this.#ctx;
    if (settings) {
      this.#openSettings(settings);
      return;
    }
    if (this.#settings) {
      // Back (or a link) left the settings' URL: close them, keep the new route.
      const dialog = this.#settings;
      this.#settings = null;
      dialog.close();
    }
    if (!roomId) {
      this.#closeRoom();
      return;
    }
    if (!chat.rooms.has(roomId)) {
      try {
        const room = await chat.api.room(roomId);
        if (!room.my_role) throw new Error('not a member');
        chat.addRoom(room);
      } catch {
        this.#ctx.toast('That conversation is not available.');
        router.replace('#/');
        return;
      }
    }
    if (this.#room?.roomId !== roomId) {
      this.#room?.disconnect();
      const shell = this;
      this.#room = new RoomView(
        {
          chat,
          media: this.#ctx.media,
          uploader: this.#ctx.uploader,
          toast: this.#ctx.toast,
          router,
          onBack: () => router.go('#/'),
          openSettings: (id) => new RoomSettingsDialog(this.#ctx, id).open(),
          panels: {
            toggle: (name) => (this.#panelName === name ? this.#closePanel() : this.#openPanel(name)),
            get active() {
              return shell.#panelName;
            },
          },
        },
        roomId,
      );
      Dom.replace(this.#main, this.#room.el);
      this.el.classList.add('shell--room');
      this.#sidebar.activeRoom = roomId;
      if (this.#panelName === 'members' || this.#panelName === 'pins') {
        if (chat.rooms.get(roomId)?.kind === 'dm') this.#closePanel();
        else this.#openPanel(this.#panelName);
      }
      chat.openRoom(roomId);
      ShellView.#rememberRoom(chat.me?.id, roomId);
      if (!matchMedia('(max-width: 760px)').matches) this.#room.focusComposer();
      this.#updateTitle();
    }
    if (messageId || seq !== null) {
      await this.#room.jumpTo({ messageId, seq });
      if (matchMedia('(max-width: 1100px)').matches && this.#panelName === 'search') this.#closePanel();
    }
  }

  /** Others see your local time on your card: fill in the browser's zone once, if none is set. */
  #shareTimeZone() {
    const { chat, session } = this.#ctx;
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!tz || !chat.me || chat.me.time_zone !== '') return;
    chat.api.updateMe({ time_zone: tz }).then(
      (user) => {
        session.user = user;
      },
      () => {},
    );
  }

  #openSettings(page) {
    const { router } = this.#ctx;
    if (!this.#settings) {
      this.#settingsReturn = this.#room ? Router.roomHref(this.#room.roomId) : '#/';
      const dialog = new SettingsDialog({
        ...this.#ctx,
        onPage: (name) => history.replaceState(null, '', Router.settingsHref(name)),
        onClose: () => {
          if (this.#settings !== dialog) return;
          this.#settings = null;
          router.replace(this.#settingsReturn);
        },
      });
      this.#settings = dialog;
    }
    this.#settings.open(page);
  }

  #closeRoom() {
    this.#room?.disconnect();
    this.#room = null;
    this.#ctx.chat.closeRoom();
    this.#sidebar.activeRoom = null;
    this.el.classList.remove('shell--room');
    if (this.#panelName === 'members' || this.#panelName === 'pins') this.#closePanel();
    this.#showWelcome();
    this.#updateTitle();
  }

  #showWelcome() {
    const { chat } = this.#ctx;
    const me = chat.me;
    Dom.replace(
      this.#main,
      Dom.h(
        'section',
        { class: 'welcome' },
        Dom.h('span', { class: 'welcome__mark' }, Icons.get('chat', { size: 32 })),
        Dom.h('h1', { class: 'welcome__title' }, `Welcome, ${me?.display_name || me?.username || ''}`),
        Dom.h('p', { class: 'welcome__text' }, 'Pick a conversation on the left, or start something new.'),
        Dom.h(
          'div',
          { class: 'welcome__actions' },
          Dom.h('button', { class: 'btn btn--secondary', type: 'button', onclick: () => new ChannelBrowserDialog({ ...this.#ctx, newChannel: () => new PeopleDialog(this.#ctx, 'channel').open() }).open() }, Icons.get('compass', { size: 16 }), 'Browse channels'),
          Dom.h('button', { class: 'btn btn--secondary', type: 'button', onclick: () => new PeopleDialog(this.#ctx, 'dm').open() }, Icons.get('chat', { size: 16 }), 'Message someone'),
        ),
      ),
    );
  }

  #openPanel(name) {
    const { chat, router } = this.#ctx;
    this.#panel?.disconnect();
    const roomId = this.#room?.roomId ?? null;
    const close = () => this.#closePanel();
    if (name === 'members') {
      if (!roomId) return;
      this.#panel = new MembersPanelView({ chat, toast: this.#ctx.toast, close, addPeople: (id) => new PeopleDialog(this.#ctx, 'add', id).open() }, roomId);
    } else if (name === 'pins') {
      if (!roomId) return;
      this.#panel = new PinsPanelView(
        {
          chat,
          close,
          canPin: () => MemberList.rank(chat.rooms.get(roomId)?.my_role) >= MemberList.rank('moderator'),
          unpin: (m) => chat.api.pin(roomId, m.id, false).catch((e) => this.#ctx.toast(`Could not unpin: ${e.message}`)),
        },
        roomId,
      );
    } else {
      this.#panel = new SearchPanelView({ chat, router, close, roomId });
    }
    this.#panelName = name;
    Dom.replace(this.#panelSlot, this.#panel.el);
    this.el.classList.add('shell--panel');
    this.#panel.focus?.();
    this.#refreshRoomHeader();
  }

  #closePanel() {
    this.#panel?.disconnect();
    this.#panel = null;
    this.#panelName = null;
    this.#panelSlot.replaceChildren();
    this.el.classList.remove('shell--panel');
    this.#refreshRoomHeader();
  }

  #refreshRoomHeader() {
    if (!this.#room) return;
    // The header marks the open panel's button as pressed.
    const name = this.#panelName;
    for (const btn of this.#room.el.querySelectorAll('.room-header__actions [aria-pressed]')) {
      const label = btn.getAttribute('aria-label');
      const on = (name === 'search' && label === 'Search messages') || (name === 'members' && label === 'Members') || (name === 'pins' && label === 'Pinned messages');
      btn.setAttribute('aria-pressed', String(on));
      btn.classList.toggle('icon-btn--on', on);
    }
  }

  #renderBanner(state) {
    const text = BANNER[state];
    this.#banner.hidden = !text;
    this.#banner.className = `banner banner--${state}`;
    this.el.dataset.connection = state;
    if (text) {
      Dom.replace(
        this.#banner,
        Icons.get(state === 'offline' ? 'wifi_off' : 'clock', { size: 16 }),
        Dom.h('span', null, text),
        state === 'reconnecting' && Dom.h('button', { class: 'link-btn', type: 'button', onclick: () => this.#ctx.chat.gateway.reconnectNow() }, 'Retry now'),
      );
    }
  }

  #onRooms() {
    this.#updateTitle();
    this.#refreshRoomHeader();
  }

  #updateTitle() {
    const room = this.#room ? this.#ctx.chat.rooms.get(this.#room.roomId) : null;
    this.#ctx.notifier.setTitle(this.#ctx.chat.rooms.titleCount, room ? RoomList.name(room) : null);
  }

  #notify(d) {
    const { chat, notifier, router } = this.#ctx;
    if (!['mention', 'dm', 'message'].includes(d.kind) || !d.message) return;
    const room = chat.rooms.get(d.room_id);
    const who = d.message.sender?.display_name || d.message.sender?.username || 'Someone';
    const where = room && room.kind !== 'dm' ? ` in ${room.kind === 'channel' ? '#' : ''}${RoomList.name(room)}` : '';
    notifier.notify({
      title: d.kind === 'mention' ? `${who} mentioned you${where}` : `${who}${where}`,
      body: Markdown.plain(d.message.body) || 'Sent an attachment',
      tag: d.room_id,
      onClick: () => router.go(Router.roomHref(d.room_id)),
    });
  }

  #shortcut(e) {
    const { chat, router } = this.#ctx;
    const overlay = document.querySelector('dialog[open], .popover');
    const typing = e.target instanceof Element && e.target.matches('input, textarea, select, [contenteditable]');
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      if (!overlay) new QuickSwitcherDialog({ chat, router, toast: this.#ctx.toast }).open();
    } else if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === 'f') {
      e.preventDefault();
      this.#openPanel('search');
    } else if (((e.key === '?' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) || ((e.ctrlKey || e.metaKey) && e.key === '/')) && !overlay) {
      e.preventDefault();
      new ShortcutsDialog().open();
    } else if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      const { channels, groups, dms } = chat.rooms.sections();
      const order = [...channels, ...groups, ...dms];
      if (!order.length) return;
      const i = order.findIndex((r) => r.id === this.#room?.roomId);
      const next = order[(i + (e.key === 'ArrowDown' ? 1 : order.length - 1) + order.length) % order.length];
      router.go(Router.roomHref(next.id));
    } else if (e.key === 'Escape' && !overlay && !e.defaultPrevented) {
      // Esc closes the side panel; with none open it marks the open room read
      // up to its newest message, wherever the view is scrolled.
      if (this.#panel) this.#closePanel();
      else if (this.#room) chat.markRead(this.#room.roomId);
    }
  }
}
