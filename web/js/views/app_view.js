import Session from 'lib/session.js';
import Api from 'lib/api.js';
import Uploader from 'lib/uploader.js';
import MediaCache from 'lib/media_cache.js';
import Router from 'lib/router.js';
import Notifier from 'lib/notifier.js';
import ServiceWorker from 'lib/service_worker.js';
import PushClient from 'lib/push.js';
import Avatar from 'helpers/avatar.js';
import Theme from 'helpers/theme.js';
import Chat from 'models/chat.js';
import RoomListStorage from 'lib/room_list_storage.js';
import AuthView from 'views/auth_view.js';
import ShellView from 'views/shell_view.js';
import ToastView from 'views/toast_view.js';

/** The root: shows sign-in or the chat shell, and switches on sign-in / sign-out. */
export default class AppView {
  #root;
  #session = new Session();
  #api = new Api(this.#session);
  #uploader = new Uploader(this.#session);
  #media = new MediaCache(this.#session);
  #router = new Router();
  #notifier = new Notifier();
  #toasts = new ToastView();
  #chat = null;
  #shell = null;

  constructor(root) {
    this.#root = root;
  }

  start() {
    Theme.apply();
    AppView.#pinFavicon();
    Avatar.use(this.#media);
    document.body.append(this.#toasts.el);
    this.#router.start();
    ServiceWorker.start((roomId) => this.#router.go(Router.roomHref(roomId)));
    this.#session.on('signed-out', (reason) => {
      PushClient.forget();
      this.#showAuth({ notice: AppView.#whySignedOut(reason) });
    });
    this.#session.on('user', () => {
      if (!this.#chat && this.#session.signedIn) this.#showShell();
    });
    const link = AppView.#emailLink();
    if (link) history.replaceState(null, '', location.pathname + location.search);
    if (link?.route === 'verify-email') this.#verifyEmail(link.token);
    if (link?.route === 'reset-password') {
      // The reset ends every session anyway; this browser starts signed out.
      if (this.#session.signedIn) this.#session.lose();
      this.#showAuth({ resetToken: link.token });
    } else if (this.#session.signedIn) this.#showShell();
    else this.#showAuth();
  }

  /**
   * Chromium asks for the favicon again on every in-page navigation (each
   * room switch changes the hash); as a data: URL it costs no request.
   */
  static #pinFavicon() {
    const link = document.querySelector('link[rel="icon"]');
    if (!link || link.href.startsWith('data:')) return;
    fetch(link.href)
      .then((res) => (res.ok ? res.text() : Promise.reject(new Error(res.statusText))))
      .then((svg) => {
        link.href = `data:image/svg+xml,${encodeURIComponent(svg)}`;
      })
      .catch(() => {});
  }

  /** `#/reset-password/TOKEN` or `#/verify-email/TOKEN`: a link from an e-mail. */
  static #emailLink() {
    const m = /^#\/(reset-password|verify-email)\/([A-Za-z0-9_-]{16,128})$/.exec(location.hash);
    return m ? { route: m[1], token: m[2] } : null;
  }

  async #verifyEmail(token) {
    try {
      await this.#api.confirmEmailVerification(token);
      this.#toasts.show('Your e-mail address is verified.');
      if (this.#session.signedIn) this.#session.user = await this.#api.me();
    } catch (err) {
      const text = err.code === 'invalid_token' ? 'That verification link is invalid, expired or already used.' : err.message;
      this.#toasts.show(text, { kind: 'error' });
    }
  }

  /** What to tell someone whose session ended without their signing out here. */
  static #whySignedOut(reason) {
    if (!reason) return null;
    if (/revoked/.test(reason)) return 'You were signed out: this session was ended from another device or by an administrator. Sign in again to continue.';
    return 'Your session has ended (it expired or was signed out elsewhere). Sign in again to continue.';
  }

  #showAuth({ resetToken = null, notice = null } = {}) {
    this.#shell?.disconnect();
    this.#chat?.stop();
    this.#shell = null;
    this.#chat = null;
    this.#media.clear();
    RoomListStorage.clearAll();
    document.title = 'Sign in · Hearth';
    const view = new AuthView({ api: this.#api, session: this.#session, resetToken, notice });
    this.#root.replaceChildren(view.el);
    this.#root.dataset.screen = 'auth';
    view.focus();
  }

  async #showShell() {
    const toast = (text, opts) => this.#toasts.show(text, opts);
    this.#chat = new Chat(this.#session, this.#api);
    const chat = this.#chat;
    chat.on('auth-lost', (why) => this.#session.lose(why));
    this.#shell = new ShellView({
      session: this.#session,
      chat,
      api: this.#api,
      media: this.#media,
      uploader: this.#uploader,
      router: this.#router,
      notifier: this.#notifier,
      toast,
      signOut: () => this.#session.signOut(),
    });
    this.#root.replaceChildren(this.#shell.el);
    this.#root.dataset.screen = 'chat';
    new PushClient(this.#api).resume();
    await chat.start();
    if (this.#chat === chat) this.#shell.startRoute();
  }
}
