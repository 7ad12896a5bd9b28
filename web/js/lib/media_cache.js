/**
 * Media needs the bearer token, so it is fetched here and shown through
 * object URLs. A small LRU keeps recent ones; evicted URLs are revoked.
 */
export default class MediaCache {
  #session;
  #entries = new Map();
  #limit;

  constructor(session, limit = 150) {
    this.#session = session;
    this.#limit = limit;
  }

  /** An object URL for `url`; concurrent callers share one fetch. */
  get(url) {
    const hit = this.#entries.get(url);
    if (hit) {
      this.#entries.delete(url);
      this.#entries.set(url, hit);
      return hit;
    }
    const pending = this.#fetch(url);
    this.#entries.set(url, pending);
    pending.catch(() => this.#entries.delete(url));
    this.#evict();
    return pending;
  }

  /** Fetches as a Blob (downloads). */
  async blob(url) {
    const objectUrl = await this.get(url);
    const res = await fetch(objectUrl);
    return res.blob();
  }

  clear() {
    for (const p of this.#entries.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
    this.#entries.clear();
  }

  async #fetch(url) {
    let token = await this.#session.accessToken();
    let res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (res.status === 401) {
      await this.#session.refresh(token);
      token = await this.#session.accessToken();
      res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    }
    if (!res.ok) throw new Error(`media ${res.status}`);
    return URL.createObjectURL(await res.blob());
  }

  #evict() {
    while (this.#entries.size > this.#limit) {
      const [key, p] = this.#entries.entries().next().value;
      this.#entries.delete(key);
      p.then((u) => setTimeout(() => URL.revokeObjectURL(u), 60_000), () => {});
    }
  }
}
