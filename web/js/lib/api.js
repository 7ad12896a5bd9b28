import ApiError from 'lib/api_error.js';

const BASE = '/api/v1';

/**
 * The REST client: JSON in and out, the bearer token attached, one refresh and
 * retry when the server answers 401 to a token it no longer accepts.
 */
export default class Api {
  #session;

  constructor(session) {
    this.#session = session;
  }

  async request(method, path, { body, query, auth = true } = {}) {
    const url = Api.url(path, query);
    const send = async (token) => {
      const headers = { Accept: 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (token) headers.Authorization = `Bearer ${token}`;
      try {
        return await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        throw ApiError.network(err);
      }
    };
    let token = auth ? await this.#session.accessToken() : null;
    let res = await send(token);
    if (res.status === 401 && auth) {
      await this.#session.refresh(token);
      token = await this.#session.accessToken();
      res = await send(token);
    }
    if (!res.ok) throw await ApiError.fromResponse(res);
    if (res.status === 204) return null;
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }

  static url(path, query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const q = qs.toString();
    return `${BASE}${path}${q ? `?${q}` : ''}`;
  }

  #serverInfo = null;

  /** `GET /server` (public, asked once): mail, registration, message length limit. */
  serverInfo() {
    this.#serverInfo ??= this.request('GET', '/server', { auth: false }).catch((err) => {
      this.#serverInfo = null;
      throw err;
    });
    return this.#serverInfo;
  }

  // auth
  register(fields) {
    return this.request('POST', '/auth/register', { body: fields, auth: false });
  }
  login(fields) {
    return this.request('POST', '/auth/login', { body: fields, auth: false });
  }
  changePassword(currentPassword, newPassword) {
    return this.request('POST', '/auth/password', {
      body: { current_password: currentPassword, new_password: newPassword },
    });
  }
  requestPasswordReset(email) {
    return this.request('POST', '/auth/password-reset/request', { body: { email }, auth: false });
  }
  confirmPasswordReset(token, password) {
    return this.request('POST', '/auth/password-reset/confirm', { body: { token, password }, auth: false });
  }
  requestEmailVerification() {
    return this.request('POST', '/auth/verify-email/request');
  }
  confirmEmailVerification(token) {
    return this.request('POST', '/auth/verify-email/confirm', { body: { token }, auth: false });
  }

  // two-factor
  totpSetup() {
    return this.request('POST', '/auth/totp/setup');
  }
  totpEnable(code, password) {
    return this.request('POST', '/auth/totp/enable', { body: { code, password } });
  }
  totpDisable(password, code) {
    return this.request('POST', '/auth/totp/disable', { body: { password, code } });
  }

  // sessions
  sessions() {
    return this.request('GET', '/sessions');
  }
  revokeSession(id) {
    return this.request('DELETE', `/sessions/${id}`);
  }
  revokeOtherSessions() {
    return this.request('POST', '/sessions/revoke-others');
  }

  // users
  me() {
    return this.request('GET', '/users/me');
  }
  updateMe(patch) {
    return this.request('PATCH', '/users/me', { body: patch });
  }
  deleteMe(password) {
    return this.request('DELETE', '/users/me', { body: { password } });
  }
  searchUsers(q) {
    return this.request('GET', '/users', { query: { q } });
  }
  user(id) {
    return this.request('GET', `/users/${id}`);
  }

  // rooms
  rooms() {
    return this.request('GET', '/rooms');
  }
  room(id) {
    return this.request('GET', `/rooms/${id}`);
  }
  createRoom(fields) {
    return this.request('POST', '/rooms', { body: fields });
  }
  updateRoom(id, patch) {
    return this.request('PATCH', `/rooms/${id}`, { body: patch });
  }
  archiveRoom(id) {
    return this.request('DELETE', `/rooms/${id}`);
  }
  channels(q) {
    return this.request('GET', '/channels', { query: { q } });
  }
  join(id) {
    return this.request('POST', `/rooms/${id}/join`);
  }
  leave(id) {
    return this.request('POST', `/rooms/${id}/leave`);
  }
  members(id) {
    return this.request('GET', `/rooms/${id}/members`);
  }
  addMembers(id, userIds) {
    return this.request('POST', `/rooms/${id}/members`, { body: { user_ids: userIds } });
  }
  updateMember(id, userId, patch) {
    return this.request('PATCH', `/rooms/${id}/members/${userId}`, { body: patch });
  }
  removeMember(id, userId, ban = false) {
    return this.request('DELETE', `/rooms/${id}/members/${userId}`, {
      query: ban ? { ban: 'true' } : undefined,
    });
  }
  markRead(id, seq) {
    return this.request('POST', `/rooms/${id}/read`, { body: { seq } });
  }
  /** `level`: 'all' | 'mentions' | 'none', or null for the room kind's default. */
  setRoomNotifications(id, level) {
    return this.request('PATCH', `/rooms/${id}/notifications`, { body: { level } });
  }

  // messages
  messages(roomId, { before, after, limit = 50 } = {}) {
    return this.request('GET', `/rooms/${roomId}/messages`, { query: { before, after, limit } });
  }
  sendMessage(roomId, fields) {
    return this.request('POST', `/rooms/${roomId}/messages`, { body: fields });
  }
  editMessage(roomId, id, body) {
    return this.request('PATCH', `/rooms/${roomId}/messages/${id}`, { body: { body } });
  }
  deleteMessage(roomId, id) {
    return this.request('DELETE', `/rooms/${roomId}/messages/${id}`);
  }
  react(roomId, id, emoji, on) {
    const path = `/rooms/${roomId}/messages/${id}/reactions/${encodeURIComponent(emoji)}`;
    return this.request(on ? 'PUT' : 'DELETE', path);
  }
  pin(roomId, id, on) {
    return this.request(on ? 'PUT' : 'DELETE', `/rooms/${roomId}/messages/${id}/pin`);
  }
  pins(roomId) {
    return this.request('GET', `/rooms/${roomId}/pins`);
  }

  // web push
  vapidPublicKey() {
    return this.request('GET', '/push/vapid-public-key');
  }
  /** `subscription`: `PushSubscription.toJSON()` ({endpoint, keys: {p256dh, auth}}). */
  addPushSubscription({ endpoint, keys }) {
    return this.request('POST', '/push/subscriptions', {
      body: { endpoint, keys: { p256dh: keys?.p256dh, auth: keys?.auth } },
    });
  }
  removePushSubscription(endpoint) {
    return this.request('DELETE', '/push/subscriptions', { body: { endpoint } });
  }

  // search
  search(q, { roomId, from, has, before, after, cursor } = {}) {
    return this.request('GET', '/search', { query: { q, room_id: roomId, from, has, before, after, cursor } });
  }
}
