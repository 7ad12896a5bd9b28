/** An error answered by the API (`{"error":{"code","message"}}`) or a network failure. */
export default class ApiError extends Error {
  /** @param {number} status HTTP status, 0 for a network failure */
  constructor(status, code, message, retryAfter = null) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  get isNetwork() {
    return this.status === 0;
  }

  /** Worth retrying later: network failures, rate limits and server trouble. */
  get isTransient() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  static async fromResponse(res) {
    let code = `http_${res.status}`;
    let message = res.statusText;
    try {
      const body = await res.json();
      if (body?.error?.code) {
        code = body.error.code;
        message = body.error.message || code;
      }
    } catch {
      // not JSON: keep the status text
    }
    const retryAfter = Number(res.headers.get('Retry-After')) || null;
    return new ApiError(res.status, code, message, retryAfter);
  }

  static network(cause) {
    const err = new ApiError(0, 'network', 'Cannot reach the server');
    err.cause = cause;
    return err;
  }
}
