import Emitter from 'lib/emitter.js';
import OutboxStorage from 'lib/outbox_storage.js';

/** Error codes after which a resend may succeed. */
const TRANSIENT = new Set(['rate_limited', 'unavailable', 'internal']);
/** Error codes after which the same message can never be sent: it is handed back. */
const REFUSED = new Set(['validation', 'invalid_body', 'payload_too_large']);
const MAX_TRANSIENT_TRIES = 5;

/**
 * Messages written but not acknowledged. Each carries a nonce created once, so
 * sending it again after a reconnect can never produce a second message. They
 * are persisted, sent over the gateway whenever it is ready, and marked failed
 * when the server refuses them; one that can never be sent as it is (too
 * long, invalid) leaves the outbox and is handed back to be edited.
 * Events: `change` (room id), `sent` ({item, message}), `refused` ({item, code, message}).
 */
export default class Outbox extends Emitter {
  #gateway;
  #storage = null;
  #items = [];
  #retryTimer = null;

  constructor(gateway) {
    super();
    this.#gateway = gateway;
  }

  load(userId) {
    this.#storage = new OutboxStorage(userId);
    this.#items = this.#storage.load().map((i) => (i.status === 'sending' ? { ...i, status: 'pending' } : i));
    for (const roomId of new Set(this.#items.map((i) => i.room_id))) this.emit('change', roomId);
  }

  forRoom(roomId) {
    return this.#items.filter((i) => i.room_id === roomId);
  }

  get size() {
    return this.#items.length;
  }

  add({ room_id, body, reply_to = null, attachments = [], attachmentMeta = [], anonymous = false }) {
    const item = {
      nonce: crypto.randomUUID(),
      room_id,
      body,
      reply_to,
      attachments,
      attachmentMeta,
      anonymous,
      created_at: new Date().toISOString(),
      status: 'pending',
      error: null,
      tries: 0,
    };
    this.#items.push(item);
    this.#save(room_id);
    this.flush();
    return item;
  }

  /** Sends every pending item, in order, if the gateway is ready. */
  flush() {
    if (!this.#gateway.ready) return;
    for (const item of this.#items) {
      if (item.status !== 'pending') continue;
      const sent = this.#gateway.send({
        op: 'send',
        room_id: item.room_id,
        nonce: item.nonce,
        body: item.body,
        reply_to: item.reply_to ?? undefined,
        attachments: item.attachments,
        anonymous: item.anonymous || undefined,
      });
      if (!sent) break;
      item.status = 'sending';
      this.emit('change', item.room_id);
    }
    this.#storage?.save(this.#items);
  }

  /** The connection dropped: anything unacknowledged is sent again later. */
  connectionLost() {
    for (const item of this.#items) {
      if (item.status === 'sending') {
        item.status = 'pending';
        this.emit('change', item.room_id);
      }
    }
  }

  /** An ack, or our own message.created carrying the nonce. */
  resolve(nonce, message) {
    const item = this.#items.find((i) => i.nonce === nonce);
    if (!item) return false;
    this.#items = this.#items.filter((i) => i !== item);
    this.#save(item.room_id);
    this.emit('sent', { item, message });
    return true;
  }

  /** An `error` frame naming a nonce. */
  reject(nonce, { code, message }) {
    const item = this.#items.find((i) => i.nonce === nonce);
    if (!item) return;
    item.tries += 1;
    if (REFUSED.has(code)) {
      this.#items = this.#items.filter((i) => i !== item);
      this.#save(item.room_id);
      this.emit('refused', { item, code, message: message || code });
      return;
    }
    if (TRANSIENT.has(code) && item.tries < MAX_TRANSIENT_TRIES) {
      item.status = 'pending';
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.flush(), 1000 * 2 ** item.tries);
    } else {
      item.status = 'failed';
      item.error = message || code;
    }
    this.#save(item.room_id);
  }

  retry(nonce) {
    const item = this.#items.find((i) => i.nonce === nonce);
    if (!item) return;
    item.status = 'pending';
    item.error = null;
    item.tries = 0;
    this.#save(item.room_id);
    this.flush();
  }

  discard(nonce) {
    const item = this.#items.find((i) => i.nonce === nonce);
    if (!item) return;
    this.#items = this.#items.filter((i) => i !== item);
    this.#save(item.room_id);
  }

  /** Drops a room's items (the user left it). */
  dropRoom(roomId) {
    this.#items = this.#items.filter((i) => i.room_id !== roomId);
    this.#save(roomId);
  }

  #save(roomId) {
    this.#storage?.save(this.#items);
    this.emit('change', roomId);
  }
}
