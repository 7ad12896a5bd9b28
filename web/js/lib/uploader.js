import ApiError from 'lib/api_error.js';

/**
 * Uploads one file with XMLHttpRequest, the only browser API that reports
 * upload progress. Answers the upload's metadata (`{id, filename, url, ...}`).
 */
export default class Uploader {
  #session;

  constructor(session) {
    this.#session = session;
  }

  /**
   * @param {Blob} file
   * @param {{filename?: string, fields?: Record<string,string>, onProgress?: (fraction:number)=>void, signal?: AbortSignal}} options
   */
  async upload(file, { filename, fields = {}, onProgress, signal } = {}) {
    let token = await this.#session.accessToken();
    try {
      return await this.#send(file, filename, fields, token, onProgress, signal);
    } catch (err) {
      if (err.status !== 401) throw err;
      await this.#session.refresh(token);
      token = await this.#session.accessToken();
      return this.#send(file, filename, fields, token, onProgress, signal);
    }
  }

  #send(file, filename, fields, token, onProgress, signal) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', file, filename ?? file.name ?? 'file');
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/v1/uploads');
      xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.responseType = 'text';
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress?.(e.loaded / e.total);
      };
      xhr.onload = () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          // not JSON
        }
        if (xhr.status >= 200 && xhr.status < 300 && body) {
          onProgress?.(1);
          resolve(body);
        } else {
          reject(
            new ApiError(
              xhr.status,
              body?.error?.code ?? `http_${xhr.status}`,
              body?.error?.message ?? `Upload failed (${xhr.status})`,
            ),
          );
        }
      };
      xhr.onerror = () => reject(ApiError.network());
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled'));
      signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(form);
    });
  }
}
