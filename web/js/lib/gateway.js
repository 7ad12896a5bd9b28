import Emitter from 'lib/emitter.js';

const CLOSE = {
  AUTH_FAILED: 4001,
  SESSION_REVOKED: 4003,
  RESUME: 4008,
  RATE_LIMITED: 4029,
  SERVICE_RESTART: 1012,
};
const MAX_BACKOFF_MS = 30_000;

/**
 * The one WebSocket of this client. Authenticates with the first frame, keeps
 * the connection alive with pings, and reconnects with exponential backoff and
 * jitter. It goes down on purpose when the browser reports being offline.
 *
 * Events: `state` (connecting | ready | reconnecting | offline | stopped),
 * `ready` (the ready payload), `event` ({t, d}), `down`, `auth-lost`, `revoked`.
 */
export default class Gateway extends Emitter {
  #session;
  #ws = null;
  #state = 'stopped';
  #attempt = 0;
  #retryTimer = null;
  #pingTimer = null;
  #lastFrameAt = 0;
  #heartbeatMs = 30_000;
  #onOnline = () => this.#connectSoon(0);
  #onOffline = () => this.#drop('offline');

  constructor(session) {
    super();
    this.#session = session;
  }

  get state() {
    return this.#state;
  }

  get ready() {
    return this.#state === 'ready';
  }

  start() {
    if (this.#state !== 'stopped') return;
    window.addEventListener('online', this.#onOnline);
    window.addEventListener('offline', this.#onOffline);
    this.#setState('connecting');
    this.#connect();
  }

  stop() {
    window.removeEventListener('online', this.#onOnline);
    window.removeEventListener('offline', this.#onOffline);
    clearTimeout(this.#retryTimer);
    this.#detach(1000);
    this.#setState('stopped');
  }

  /** Sends an op when the connection is ready; false otherwise. */
  send(op) {
    if (!this.ready || this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(op));
    return true;
  }

  /** Reconnects now (e.g. the user pressed "retry"). */
  reconnectNow() {
    if (this.#state === 'stopped') return;
    this.#drop('reconnecting', 0);
  }

  async #connect() {
    clearTimeout(this.#retryTimer);
    if (this.#state === 'stopped') return;
    if (!navigator.onLine) {
      this.#setState('offline');
      return;
    }
    let token;
    try {
      token = await this.#session.accessToken();
    } catch (err) {
      if (err.status === 401) {
        this.emit('auth-lost');
        return;
      }
      this.#scheduleReconnect();
      return;
    }
    if (this.#state === 'stopped') return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/gateway`);
    this.#ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ op: 'auth', token }));
    ws.onmessage = (e) => this.#onFrame(ws, e.data);
    ws.onclose = (e) => this.#onClose(ws, e.code, token);
    ws.onerror = () => {};
  }

  #onFrame(ws, data) {
    if (ws !== this.#ws) return;
    this.#lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.t === 'ready') {
      this.#attempt = 0;
      this.#heartbeatMs = Math.max(5, Number(frame.d.heartbeat_interval) || 30) * 1000;
      this.#startHeartbeat();
      this.#setState('ready');
      this.emit('ready', frame.d);
      return;
    }
    if (frame.t === 'pong') return;
    this.emit('event', frame);
  }

  async #onClose(ws, code, token) {
    if (ws !== this.#ws) return;
    this.#ws = null;
    this.#stopHeartbeat();
    if (this.#state === 'stopped') return;
    this.emit('down');
    if (code === CLOSE.SESSION_REVOKED) {
      this.#setState('stopped');
      this.emit('revoked');
      return;
    }
    if (code === CLOSE.AUTH_FAILED) {
      try {
        await this.#session.refresh(token);
      } catch (err) {
        if (err.status === 401 || err.status === 400) {
          this.#setState('stopped');
          this.emit('auth-lost');
          return;
        }
      }
    }
    this.#setState(navigator.onLine ? 'reconnecting' : 'offline');
    if (!navigator.onLine) return;
    let floor = 0;
    if (code === CLOSE.RATE_LIMITED) floor = 5_000;
    if (code === CLOSE.SERVICE_RESTART || code === CLOSE.RESUME) floor = 250;
    this.#scheduleReconnect(floor);
  }

  #scheduleReconnect(floor = 0) {
    clearTimeout(this.#retryTimer);
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#attempt);
    const delay = Math.max(floor, base / 2 + Math.random() * (base / 2));
    this.#attempt = Math.min(this.#attempt + 1, 10);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #connectSoon(delay) {
    if (this.#state === 'stopped' || this.#state === 'ready' || this.#ws) return;
    this.#attempt = 0;
    this.#setState('connecting');
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Abandons the socket without waiting for a close handshake. */
  #drop(state, reconnectDelay = null) {
    if (this.#state === 'stopped') return;
    const had = this.#ws !== null || this.#state === 'ready';
    this.#detach(4000);
    this.#setState(state);
    if (had) this.emit('down');
    if (reconnectDelay !== null) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#connect(), reconnectDelay);
    }
  }

  #detach(code) {
    this.#stopHeartbeat();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(code);
      } catch {
        // already closing
      }
    }
  }

  #startHeartbeat() {
    this.#stopHeartbeat();
    const every = Math.max(2_000, this.#heartbeatMs * 0.75);
    this.#pingTimer = setInterval(() => {
      if (Date.now() - this.#lastFrameAt > this.#heartbeatMs * 2 + 5_000) {
        this.#drop('reconnecting', 0);
        return;
      }
      this.#ws?.send(JSON.stringify({ op: 'ping' }));
    }, every);
  }

  #stopHeartbeat() {
    clearInterval(this.#pingTimer);
    this.#pingTimer = null;
  }

  #setState(state) {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
