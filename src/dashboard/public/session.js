// The signed-in user's tokens and every authenticated call the dashboard makes.
//
// The access token lives in memory only. The refresh token is also kept in sessionStorage (this tab only,
// gone when the tab closes) so that a reload does not sign the user out.

const REFRESH_KEY = 'pebble.dashboard.refresh';
/** Refresh this long before the access token expires, at most; a fifth of its lifetime for short ones. */
const REFRESH_MARGIN_MS = 60_000;

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** The claims of a JWT, read without verifying it: only to know when to refresh. The server verifies. */
function claimsOf(token) {
  const part = token.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
  return JSON.parse(json);
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(answer.detail ?? `HTTP ${response.status}`, answer.code, response.status);
  return answer;
}

export class Session {
  /** @param {{ onChange(signedIn: boolean, reason?: string): void }} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    this.access = null;
    this.refresh = sessionStorage.getItem(REFRESH_KEY);
    this.claims = null;
    /** When the access token expires, on this browser's clock (measured from receipt, so clock skew does not matter). */
    this.expiresAt = 0;
    this.refreshing = null;
    this.timer = null;
  }

  get signedIn() {
    return this.refresh !== null;
  }

  get role() {
    return this.claims?.role ?? null;
  }

  async login(email, password) {
    this.store(await postJson('/api/v1/token/', { email, password }));
    this.hooks.onChange(true);
  }

  /** Resumes a session from a refresh token kept across a reload. */
  async resume() {
    if (!this.refresh) return false;
    try {
      await this.refreshNow();
      return this.signedIn;
    } catch {
      return false;
    }
  }

  async logout(reason) {
    const { access, refresh } = this;
    this.clear();
    this.hooks.onChange(false, reason);
    if (access && refresh) {
      // Best effort: the tokens are already gone from this page.
      fetch('/api/v1/token/revoke/', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${access}` },
        body: JSON.stringify({ refresh }),
        credentials: 'omit',
      }).catch(() => undefined);
    }
  }

  /** An access token good for a while longer, refreshed first when it is about to expire. */
  async accessToken() {
    if (!this.access || Date.now() > this.expiresAt - 5_000) await this.refreshNow();
    if (!this.access) throw new ApiError('Not signed in', 'UNAUTHENTICATED', 401);
    return this.access;
  }

  /** Forgets the access token (the server refused it), so the next call refreshes first. */
  markStale() {
    this.expiresAt = 0;
  }

  /**
   * One refresh at a time: refresh tokens rotate, and presenting a spent one revokes the whole family, so two
   * concurrent refreshes with the same token would sign the user out.
   */
  refreshNow() {
    this.refreshing ??= (async () => {
      const refresh = this.refresh;
      if (!refresh) throw new ApiError('Not signed in', 'UNAUTHENTICATED', 401);
      try {
        this.store(await postJson('/api/v1/token/refresh/', { refresh }));
      } catch (error) {
        if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
          await this.logout('Your session has ended. Please sign in again.');
        }
        throw error;
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** A GraphQL operation over HTTP; on 401 the token is refreshed and the operation sent once more. */
  async graphql(query, variables = {}) {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        credentials: 'omit',
      });
      const answer = await response.json().catch(() => ({}));
      const error = answer.errors?.[0];
      const code = error?.extensions?.code;
      if ((response.status === 401 || code === 'UNAUTHENTICATED') && attempt === 0) {
        this.markStale();
        continue;
      }
      if (error) throw new ApiError(error.message, code, response.status);
      if (!response.ok) throw new ApiError(`HTTP ${response.status}`, undefined, response.status);
      return answer.data;
    }
  }

  store({ access, refresh }) {
    const claims = claimsOf(access);
    const lifetimeMs = Math.max(0, (claims.exp - claims.iat) * 1000);
    this.access = access;
    this.refresh = refresh;
    this.claims = claims;
    this.expiresAt = Date.now() + lifetimeMs;
    sessionStorage.setItem(REFRESH_KEY, refresh);
    clearTimeout(this.timer);
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 5);
    // Refreshed ahead of time, so HTTP calls never wait for it; the socket picks the new token up when it reconnects.
    this.timer = setTimeout(() => this.refreshNow().catch(() => undefined), Math.max(1_000, lifetimeMs - margin));
  }

  clear() {
    clearTimeout(this.timer);
    this.access = null;
    this.refresh = null;
    this.claims = null;
    this.expiresAt = 0;
    sessionStorage.removeItem(REFRESH_KEY);
  }
}
