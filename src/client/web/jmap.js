// A JMAP connection (RFC 8620) for one login: the session resource, method calls, downloads.
// Every request carries the Bearer token from POST /jmap/login; a 401 throws AuthError.

export const CAPABILITIES = [
  'urn:ietf:params:jmap:core',
  'urn:ietf:params:jmap:mail',
  'urn:ietf:params:jmap:submission',
];
export const MAIL = 'urn:ietf:params:jmap:mail';

export class AuthError extends Error {}

export class Jmap {
  constructor(token) {
    this.token = token;
  }

  async fetch(url, options = {}) {
    const headers = { Authorization: 'Bearer ' + this.token, ...(options.headers || {}) };
    const response = await fetch(url, { ...options, headers, cache: 'no-store' });
    if (response.status === 401) throw new AuthError('Your session has ended.');
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response;
  }

  async connect() {
    this.session = await (await this.fetch('/.well-known/jmap')).json();
    this.accountId = this.session.primaryAccounts[MAIL];
    this.apiUrl = new URL(this.session.apiUrl, location.href).href;
  }

  // Runs method calls (each [name, arguments, id]; accountId is added); returns the responses.
  // A method error throws, with its type in `error.type`.
  async call(calls) {
    const methodCalls = calls.map(([name, args, id]) => [name,
      { accountId: this.accountId, ...args }, id]);
    const response = await this.fetch(this.apiUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ using: CAPABILITIES, methodCalls }),
    });
    const reply = await response.json();
    for (const [name, args] of reply.methodResponses) {
      if (name === 'error') {
        const error = new Error(args.description || args.type);
        error.type = args.type;
        throw error;
      }
    }
    return reply.methodResponses;
  }

  async download(blobId, name, type) {
    const url = this.session.downloadUrl
      .replace('{accountId}', encodeURIComponent(this.accountId))
      .replace('{blobId}', encodeURIComponent(blobId))
      .replace('{name}', encodeURIComponent(name || 'attachment'))
      .replace('{type}', encodeURIComponent(type || 'application/octet-stream'));
    return (await this.fetch(new URL(url, location.href).href)).blob();
  }
}
