// The reference web client: plain DOM, no build step. ?api=<origin> points it
// at a gateway on another origin (that gateway lists this page's origin in
// MESSENGER_CORS_ORIGINS).
'use strict';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const api = new Api(params.get('api') || location.origin);

const state = {
  names: new Map(),          // user_id -> username
  open: null,                // {conversation_id?, peer_user_id?, title}
  lastSeq: 0,
  stopLive: null,
};

function say(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

// Runs an action, showing its error instead of throwing.
function guarded(fn) {
  return async (event) => {
    if (event) event.preventDefault();
    try { await fn(event); } catch (e) { say(e.message, true); }
  };
}

function li(text, className) {
  const item = document.createElement('li');
  item.textContent = text;
  if (className) item.className = className;
  return item;
}

function button(label, onClick) {
  const b = document.createElement('button');
  b.textContent = label;
  b.addEventListener('click', guarded(onClick));
  return b;
}

async function nameOf(userId) {
  if (!state.names.has(userId)) {
    try {
      const p = await api.call('GET', `/v1/users/${userId}/profile`);
      state.names.set(userId, p.display_name || p.username);
    } catch (e) {
      return userId.slice(0, 8);
    }
  }
  return state.names.get(userId);
}

// ---- signed out ----

$('register-form').addEventListener('submit', guarded(async () => {
  const r = await api.call('POST', '/v1/auth/register', {
    username: $('reg-username').value, email: $('reg-email').value,
    password: $('reg-password').value,
  });
  $('login-name').value = r.username;
  say(`Registered ${r.username}: enter the token from the mail sent to ${r.email}.`);
}));

$('verify-form').addEventListener('submit', guarded(async () => {
  await api.call('POST', '/v1/auth/verify-email', { token: $('verify-token').value.trim() });
  say('Email verified: you can log in.');
}));

$('login-form').addEventListener('submit', guarded(async () => {
  const r = await api.call('POST', '/v1/auth/login', {
    login: $('login-name').value, password: $('login-password').value, device_name: 'web',
  });
  api.remember(r);
  sessionStorage.removeItem('messenger.since');
  await enter();
}));

// ---- signed in ----

$('logout').addEventListener('click', guarded(async () => {
  try { await api.call('POST', '/v1/auth/logout'); } finally { leave(); }
}));

$('search-form').addEventListener('submit', guarded(async () => {
  const q = encodeURIComponent($('search-q').value.trim().toLowerCase());
  const r = await api.call('GET', `/v1/users/search?q=${q}&limit=10`);
  const list = $('search-results');
  list.replaceChildren();
  for (const u of r.users) {
    if (u.user_id === api.session.user_id) continue;
    state.names.set(u.user_id, u.display_name || u.username);
    const item = li(u.username);
    item.dataset.userId = u.user_id;
    item.append(button('Add', async () => {
      const added = await api.call('POST', '/v1/contacts/requests', { user_id: u.user_id });
      say(added.status === 'accepted' ? `${u.username} is now a contact.`
                                      : `Asked ${u.username} to be a contact.`);
      await Promise.all([loadRequests(), loadContacts()]);
    }));
    list.append(item);
  }
  if (list.children.length === 0) list.append(li('nobody found'));
}));

$('compose').addEventListener('submit', guarded(async () => {
  const text = $('compose-text').value;
  if (!text || !state.open) return;
  const body = { text, client_msg_id: crypto.randomUUID() };
  if (state.open.conversation_id) body.conversation_id = state.open.conversation_id;
  else body.to = state.open.peer_user_id;
  const r = await api.call('POST', '/v1/messages', body);
  $('compose-text').value = '';
  // The message itself arrives over the WebSocket like anyone else's; the
  // first one of a new chat may arrive before its conversation id did.
  if (!state.open.conversation_id) await openConversation(r.conversation_id, state.open.title);
}));

async function loadRequests() {
  const r = await api.call('GET', '/v1/contacts/requests');
  const list = $('requests');
  list.replaceChildren();
  for (const q of r.incoming) {
    state.names.set(q.user_id, q.username);
    const item = li(`${q.username} wants to connect`);
    item.dataset.userId = q.user_id;
    item.append(button('Accept', async () => {
      await api.call('POST', `/v1/contacts/requests/${q.user_id}/accept`);
      await Promise.all([loadRequests(), loadContacts()]);
    }));
    list.append(item);
  }
  for (const q of r.outgoing) list.append(li(`waiting for ${q.username}`, 'pending'));
}

async function loadContacts() {
  const r = await api.call('GET', '/v1/contacts');
  const list = $('contacts');
  list.replaceChildren();
  for (const c of r.contacts) {
    state.names.set(c.user_id, c.display_name || c.username);
    const item = li(c.display_name || c.username, 'clickable');
    item.dataset.userId = c.user_id;
    item.addEventListener('click', guarded(() => openDirect(c.user_id)));
    list.append(item);
  }
}

async function loadConversations() {
  const r = await api.call('GET', '/v1/conversations');
  const list = $('conversations');
  list.replaceChildren();
  for (const c of r.conversations) {
    const title = c.type === 'direct' ? await nameOf(c.peer_user_id) : c.name;
    const item = li(title, 'clickable');
    item.dataset.conversationId = c.conversation_id;
    if (state.open && state.open.conversation_id === c.conversation_id) item.classList.add('active');
    if (c.unread_count > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = c.unread_count;
      item.append(badge);
    }
    item.addEventListener('click', guarded(() => openConversation(c.conversation_id, title)));
    list.append(item);
  }
}

async function openDirect(userId) {
  const r = await api.call('GET', '/v1/conversations');
  const existing = r.conversations.find((c) => c.type === 'direct' && c.peer_user_id === userId);
  if (existing) return openConversation(existing.conversation_id, await nameOf(userId));
  state.open = { peer_user_id: userId, title: await nameOf(userId) };
  showChat([]);
}

async function openConversation(conversationId, title) {
  state.open = { conversation_id: conversationId, title };
  const r = await api.call('GET',
                           `/v1/conversations/${encodeURIComponent(conversationId)}/messages?limit=50`);
  showChat(r.messages.reverse());
  await markSeen();
  await loadConversations();
}

function showChat(messages) {
  $('chat-title').textContent = state.open.title;
  $('messages').replaceChildren();
  $('compose').hidden = false;
  state.lastSeq = 0;
  for (const m of messages) appendMessage(m);
  $('compose-text').focus();
}

function appendMessage(m) {
  if (m.seq <= state.lastSeq) return;  // already shown
  state.lastSeq = m.seq;
  const item = li(m.text, m.sender_id === api.session.user_id ? 'mine' : 'theirs');
  item.dataset.seq = m.seq;
  item.title = `${state.names.get(m.sender_id) || ''} ${m.sent_at}`;
  $('messages').append(item);
  item.scrollIntoView({ block: 'end' });
}

async function markSeen() {
  if (!state.open || !state.open.conversation_id || state.lastSeq === 0) return;
  await api.call('POST', `/v1/conversations/${encodeURIComponent(state.open.conversation_id)}/seen`,
                 { seq: state.lastSeq });
}

// One sync frame from the WebSocket.
async function onFrame(frame) {
  let conversations = false, requests = false, contacts = false, seen = false;
  for (const e of frame.events) {
    if (e.type === 'message') {
      if (state.open && state.open.conversation_id === e.conversation_id) {
        appendMessage(e.message);
        seen = true;
      }
      conversations = true;
    } else if (e.type === 'contact_request') {
      requests = true;
    } else if (e.type === 'contact_accepted' || e.type === 'contact_removed') {
      requests = contacts = conversations = true;
    } else if (e.type === 'conversation' || e.type === 'seen') {
      conversations = true;
    }
  }
  try {
    if (seen && document.visibilityState === 'visible') await markSeen();
    await Promise.all([
      conversations ? loadConversations() : null,
      requests ? loadRequests() : null,
      contacts ? loadContacts() : null,
    ]);
  } catch (e) {
    say(e.message, true);
  }
}

async function enter() {
  const me = await api.call('GET', '/v1/me');
  state.names.set(me.user_id, me.username);
  $('whoami').textContent = me.username;
  $('auth').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  say(`Signed in as ${me.username}.`);
  await Promise.all([loadRequests(), loadContacts(), loadConversations()]);
  state.stopLive = api.live((frame) => onFrame(frame), (up) => {
    $('live').textContent = up ? 'live' : 'offline';
    $('live').className = up ? 'live' : 'offline';
    if (up) loadConversations().catch(() => {});
  });
}

function leave() {
  if (state.stopLive) state.stopLive();
  api.forget();
  sessionStorage.removeItem('messenger.since');
  location.reload();
}

if (api.loggedIn) enter().catch((e) => { say(e.message, true); leave(); });
