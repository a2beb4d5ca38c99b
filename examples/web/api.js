// The messenger /v1 API from a browser: JSON calls with the bearer token, and
// the realtime feed over a WebSocket (ticket, resume from the last sync token,
// reconnect with backoff).
'use strict';

class Api {
  // `base`: the gateway's origin ("http://127.0.0.1:8080"), maybe not this page's.
  constructor(base) {
    this.base = base.replace(/\/$/, '');
    this.session = JSON.parse(sessionStorage.getItem('messenger.session') || 'null');
  }

  get loggedIn() { return this.session !== null; }

  async call(method, path, body) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.session) headers['Authorization'] = 'Bearer ' + this.session.access_token;
    let res = await fetch(this.base + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 && this.session && path !== '/v1/auth/refresh' && await this.refresh()) {
      headers['Authorization'] = 'Bearer ' + this.session.access_token;
      res = await fetch(this.base + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
    }
    const text = await res.text();
    const data = text ? JSON.parse(text) : {};
    if (!res.ok) {
      const message = (data.error && data.error.message) || res.statusText;
      const retry = res.headers.get('Retry-After');
      throw new Error(message + (retry ? ` (retry in ${retry}s)` : ''));
    }
    return data;
  }

  async refresh() {
    try {
      const pair = await this.call('POST', '/v1/auth/refresh',
                                   { refresh_token: this.session.refresh_token });
      this.remember(pair);
      return true;
    } catch (e) {
      this.forget();
      return false;
    }
  }

  remember(login) {
    this.session = {
      access_token: login.access_token, refresh_token: login.refresh_token,
      user_id: login.user_id, session_id: login.session_id,
    };
    sessionStorage.setItem('messenger.session', JSON.stringify(this.session));
  }

  forget() {
    this.session = null;
    sessionStorage.removeItem('messenger.session');
  }

  // Calls onFrame({next, events}) for each sync frame; onState(true|false)
  // when the socket opens or drops. Reconnects from the last token.
  live(onFrame, onState) {
    let since = sessionStorage.getItem('messenger.since') || '';
    let delay = 500;
    let stopped = false;
    let socket = null;
    const connect = async () => {
      if (stopped || !this.session) return;
      try {
        const { ticket } = await this.call('POST', '/v1/ws/ticket');
        const url = new URL(this.base + '/v1/ws');
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        url.searchParams.set('ticket', ticket);
        if (since) url.searchParams.set('since', since);
        socket = new WebSocket(url);
      } catch (e) {
        return retry();
      }
      socket.onopen = () => { delay = 500; onState(true); };
      socket.onmessage = (m) => {
        const frame = JSON.parse(m.data);
        if (frame.type !== 'sync') return;
        since = frame.next;
        sessionStorage.setItem('messenger.since', since);
        onFrame(frame);
      };
      socket.onclose = (e) => {
        onState(false);
        // 4002: the session ended (logged out elsewhere); no point retrying.
        if (e.code === 4002) { this.forget(); stopped = true; return; }
        retry();
      };
    };
    const retry = () => {
      if (stopped) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
    connect();
    return () => { stopped = true; if (socket) socket.close(1000); };
  }
}
