/** Human formats for times, days, sizes and durations. */
export default class Format {
  static #time = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  static #day = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
  static #dayYear = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric' });
  static #full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
  static #short = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

  static time(iso) {
    return Format.#time.format(new Date(iso));
  }

  static full(iso) {
    return Format.#full.format(new Date(iso));
  }

  /** Key of the local calendar day. */
  static dayKey(iso) {
    const d = new Date(iso);
    return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
  }

  static dayLabel(iso) {
    const d = new Date(iso);
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (Format.dayKey(d) === Format.dayKey(today)) return 'Today';
    if (Format.dayKey(d) === Format.dayKey(yesterday)) return 'Yesterday';
    return d.getFullYear() === today.getFullYear() ? Format.#day.format(d) : Format.#dayYear.format(d);
  }

  /** "10:42" today, "Mar 3" otherwise: for lists. */
  static when(iso) {
    if (!iso) return '';
    return Format.dayKey(iso) === Format.dayKey(new Date()) ? Format.time(iso) : Format.#short.format(new Date(iso));
  }

  static size(bytes) {
    if (!Number.isFinite(bytes)) return '';
    const units = ['B', 'KB', 'MB', 'GB'];
    let n = bytes;
    let u = 0;
    while (n >= 1024 && u < units.length - 1) {
      n /= 1024;
      u++;
    }
    return `${n >= 10 || u === 0 ? Math.round(n) : n.toFixed(1)} ${units[u]}`;
  }

  static duration(ms) {
    const s = Math.max(0, Math.round((ms || 0) / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }

  static lastSeen(iso) {
    if (!iso) return 'offline';
    const mins = Math.round((Date.now() - new Date(iso).getTime()) / 60000);
    if (mins < 1) return 'last seen just now';
    if (mins < 60) return `last seen ${mins} min ago`;
    if (mins < 24 * 60) return `last seen ${Math.round(mins / 60)} h ago`;
    return `last seen ${Format.#short.format(new Date(iso))}`;
  }
}
