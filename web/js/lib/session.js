import Emitter from 'lib/emitter.js';
import ApiError from 'lib/api_error.js';

const STORAGE_KEY = 'hearth.auth';
/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;
const RETRY_MS = 10_000;

/**
 * The signed-in identity: the token pair and the user. The pair lives in
 * localStorage so a reload keeps the session; refreshes are serialised across
 * tabs with the Web Locks API, because a refresh token works only once.
 *
 * Events: `user` (profile changed), `signed-out` (reason: null when signed out here,
 * else an error code such as `revoked` or `expired`).
 */
export default class Session extends Emitter {
  #state = null;
  #timer = null;
  #inflight = null;

  constructor() {
    super();
    this.#state = Session.#read();
    this.#schedule();
    window.addEventListener('storage', (e) => this.#onStorage(e));
  }

  get signedIn() {
    return this.#state !== null;
  }

  get user() {
    return this.#state?.user ?? null;
  }

  set user(user) {
    if (!this.#state || !user) return;
    this.#state.user = user;
    this.#write();
    this.emit('user', user);
  }

  /** Takes a register / login / refresh answer. */
  adopt(auth) {
    this.#state = {
      access_token: auth.access_token,
      refresh_token: auth.refresh_token,
      expires_at: Date.now() + auth.expires_in * 1000,
      user: auth.user,
    };
    this.#write();
    this.#schedule();
    this.emit('user', auth.user);
  }

  /** A valid access token, refreshing first when it is about to expire. */
  async accessToken() {
    if (!this.#state) throw new ApiError(401, 'unauthorized', 'Signed out');
    if (this.#state.expires_at - Date.now() < 15_000) await this.refresh();
    return this.#state.access_token;
  }

  /**
   * Rotates the pair. `staleToken` is an access token the server just refused:
   * if another tab has already replaced it, that one is adopted instead.
   */
  refresh(staleToken = null) {
    this.#inflight ??= this.#refreshOnce(staleToken).finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  /** Forgets the session locally (the server is told best-effort). */
  async signOut() {
    const refresh = this.#state?.refresh_token;
    this.#clear();
    if (refresh) {
      try {
        await fetch('/api/v1/auth/logout', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: refresh }),
        });
      } catch {
        // offline: the refresh token simply expires
      }
    }
  }

  /** The session ended elsewhere (revoked, refresh refused); `reason` goes with `signed-out`. */
  lose(reason = 'expired') {
    this.#clear(reason);
  }

  async #refreshOnce(staleToken) {
    const run = async () => {
      const stored = Session.#read();
      if (!stored) {
        this.#clear();
        throw new ApiError(401, 'unauthorized', 'Signed out');
      }
      const current = this.#state?.access_token;
      const freshElsewhere =
        stored.access_token !== current &&
        stored.access_token !== staleToken &&
        stored.expires_at - Date.now() > EARLY_MS / 2;
      if (freshElsewhere) {
        this.#state = stored;
        this.#schedule();
        return;
      }
      let res;
      try {
        res = await fetch('/api/v1/auth/refresh', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: stored.refresh_token }),
        });
      } catch (err) {
        this.#retrySoon();
        throw ApiError.network(err);
      }
      if (!res.ok) {
        const err = await ApiError.fromResponse(res);
        if (err.status === 401 || err.status === 400) this.#clear(err.code || 'expired');
        else this.#retrySoon();
        throw err;
      }
      this.adopt(await res.json());
    };
    if (navigator.locks?.request) {
      await navigator.locks.request('hearth-refresh', run);
    } else {
      await run();
    }
  }

  #schedule() {
    clearTimeout(this.#timer);
    if (!this.#state) return;
    const lifetime = this.#state.expires_at - Date.now();
    const delay = Math.max(1_000, lifetime - Math.min(EARLY_MS, lifetime / 5));
    this.#timer = setTimeout(() => this.refresh().catch(() => {}), delay);
  }

  #retrySoon() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.refresh().catch(() => {}), RETRY_MS);
  }

  /** @param reason why a session ended that the user did not end here (null: they signed out) */
  #clear(reason = null) {
    const wasSignedIn = this.#state !== null;
    this.#state = null;
    clearTimeout(this.#timer);
    this.#write();
    if (wasSignedIn) this.emit('signed-out', reason);
  }

  #write() {
    if (this.#state) localStorage.setItem(STORAGE_KEY, JSON.stringify(this.#state));
    else localStorage.removeItem(STORAGE_KEY);
  }

  #onStorage(event) {
    if (event.key !== STORAGE_KEY) return;
    const stored = Session.#read();
    if (!stored) {
      this.#clear();
    } else if (this.#state) {
      this.#state = stored;
      this.#schedule();
    }
  }

  static #read() {
    try {
      const state = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
      return state?.refresh_token ? state : null;
    } catch {
      return null;
    }
  }
}
