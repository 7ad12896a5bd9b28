/**
 * Web Push for this browser: the service worker at /sw.js, the permission,
 * the push service subscription and its registration with the server.
 * Failures are thrown as Errors whose message is meant for the user.
 */
export default class PushClient {
  static SUBSCRIBE_TIMEOUT_MS = 15_000;
  #api;

  constructor(api) {
    this.#api = api;
  }

  static get supported() {
    return window.isSecureContext && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  }

  /** The browser's current subscription, or null. */
  async current() {
    if (!PushClient.supported) return null;
    try {
      const reg = await navigator.serviceWorker.getRegistration('/');
      return (await reg?.pushManager.getSubscription()) ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Ties this browser's subscription (if it has one) to the current login
   * session: the server keeps a subscription only as long as the session
   * that registered it.
   */
  async resume() {
    const subscription = await this.current();
    if (!subscription) return;
    await this.#api.addPushSubscription(subscription.toJSON()).catch(() => {});
  }

  /**
   * Drops this browser's push subscription on sign-out (the server forgets
   * it with the session), so the device gets nothing more.
   */
  static async forget() {
    if (!PushClient.supported) return;
    try {
      const reg = await navigator.serviceWorker.getRegistration('/');
      const subscription = await reg?.pushManager.getSubscription();
      await subscription?.unsubscribe();
    } catch {
      // no service worker or subscription: nothing to drop
    }
  }

  async enable() {
    if (!PushClient.supported) throw new Error('This browser does not support push notifications.');
    let reg;
    try {
      reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    } catch {
      throw new Error('Could not install the notification service worker.');
    }
    const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    if (permission !== 'granted') {
      throw new Error('Notifications are blocked for this site. Allow them in the browser settings and try again.');
    }
    const { public_key: key } = await this.#api.vapidPublicKey();
    await navigator.serviceWorker.ready;
    let subscription;
    try {
      subscription = await PushClient.#withTimeout(
        reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: PushClient.keyBytes(key) }),
      );
    } catch {
      throw new Error("Could not reach the browser's push service. Check the connection and try again.");
    }
    try {
      await this.#api.addPushSubscription(subscription.toJSON());
    } catch (err) {
      await subscription.unsubscribe().catch(() => {});
      throw new Error(`The server did not accept this device: ${err.message}`);
    }
    return subscription;
  }

  async disable() {
    const subscription = await this.current();
    if (!subscription) return;
    try {
      await this.#api.removePushSubscription(subscription.endpoint);
    } catch (err) {
      if (err.status !== 404) throw err;
    }
    await subscription.unsubscribe().catch(() => {});
  }

  /** A base64url string (VAPID public key) → bytes. */
  static keyBytes(base64url) {
    const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
    const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  static #withTimeout(promise) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), PushClient.SUBSCRIBE_TIMEOUT_MS);
      promise.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}
