// pushmail's web client: JMAP (RFC 8620/8621) over fetch with a Bearer token from
// POST /jmap/login, push over an EventSource whose URL the server signs
// (POST /jmap/eventsource/token), because a browser's EventSource cannot send Authorization.
//
// Nothing here polls: a StateChange on the event stream makes the client ask for
// Email/changes since the state it has, refresh what is on screen, and notify when the tab is
// hidden. Mail content is only ever put into the page as text (textContent) or into an iframe
// with an empty sandbox (no scripts, no same origin); the page's CSP forbids inline script.

import { AuthError, Jmap } from './jmap.js';
import {
  $, addressText, bodyText, el, parseAddresses, recipientNames, senderName, shortDate,
} from './format.js';

const ROLE_ORDER = ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash'];
const LIST_LIMIT = 200;
const LIST_PROPERTIES = ['id', 'threadId', 'mailboxIds', 'keywords', 'from', 'to', 'subject',
  'receivedAt', 'preview', 'hasAttachment'];
const READ_PROPERTIES = [...LIST_PROPERTIES, 'cc', 'replyTo', 'sentAt', 'messageId',
  'inReplyTo', 'references', 'textBody', 'htmlBody', 'attachments', 'bodyValues'];
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;
const MAX_CHANGE_ROUNDS = 20;  // Email/changes pages per push; then the list is reloaded anyway
const MAX_NOTIFICATIONS = 3;  // per push; more new messages make one summary notification
const TOKEN_KEY = 'pushmail.token';
const USER_KEY = 'pushmail.user';

// Everything the client knows; replaced on login.
const state = {
  jmap: null,
  user: '',
  identity: null,
  mailboxes: new Map(),  // id -> Mailbox
  roles: {},  // role -> mailbox id
  current: null,  // the mailbox on screen
  emails: [],  // its messages, newest first
  open: null,  // the Email on the reading pane
  emailState: null,  // what Email/changes starts from
  mailboxState: null,
  events: null,  // the EventSource
  retryMs: RETRY_MIN_MS,
  retryTimer: null,
  listGeneration: 0,
  replyTo: null,  // the Email a compose answers
  unsentDraft: null,  // the draft a refused send left; replaced by the next try
};

// --- Status.

function setStatus(text, isError = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
}

function fail(error) {
  if (error instanceof AuthError) {
    signOut(error.message);
    return;
  }
  console.error(error);
  setStatus(error.message || String(error), true);
}

function setLive(on) {
  const live = $('live');
  live.textContent = on ? 'live' : 'offline';
  live.classList.toggle('on', on);
}

// --- Mailboxes.

function mailboxPath(mailbox) {
  if (mailbox.role === 'inbox' && !mailbox.parentId) return 'Inbox';
  const names = [mailbox.name];
  for (let m = mailbox, depth = 0; m.parentId && depth < 32; depth++) {
    m = state.mailboxes.get(m.parentId);
    if (!m) break;
    names.unshift(m.name);
  }
  return names.join('/');
}

function sortedMailboxes() {
  const rank = (m) => {
    const i = ROLE_ORDER.indexOf(m.role);
    return i < 0 ? ROLE_ORDER.length : i;
  };
  return [...state.mailboxes.values()].sort((a, b) => rank(a) - rank(b) ||
    (a.sortOrder || 0) - (b.sortOrder || 0) || mailboxPath(a).localeCompare(mailboxPath(b)));
}

async function loadMailboxes() {
  const [[, got]] = await state.jmap.call([['Mailbox/get', {
    properties: ['id', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'unreadEmails'],
  }, 'm']]);
  state.mailboxes = new Map(got.list.map((m) => [m.id, m]));
  state.mailboxState = got.state;
  state.roles = {};
  for (const m of got.list) if (m.role) state.roles[m.role] = m.id;
  if (!state.mailboxes.has(state.current)) state.current = state.roles.inbox || got.list[0]?.id;
  renderMailboxes();
}

function renderMailboxes() {
  const list = $('mailbox-list');
  list.replaceChildren();
  for (const m of sortedMailboxes()) {
    const button = el('button', { type: 'button', class: 'mailbox', 'data-id': m.id,
      'data-role': m.role || '' },
    el('span', { class: 'name', text: mailboxPath(m) }),
    m.unreadEmails > 0 ? el('span', { class: 'count', text: String(m.unreadEmails) }) : null);
    if (m.id === state.current) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', () => selectMailbox(m.id).catch(fail));
    list.append(el('li', {}, button));
  }
  const inbox = state.mailboxes.get(state.roles.inbox);
  const unread = inbox ? inbox.unreadEmails : 0;
  document.title = unread > 0 ? `(${unread}) pushmail` : 'pushmail';
  const current = state.mailboxes.get(state.current);
  $('list-title').textContent = current ? mailboxPath(current) : '';
}

async function selectMailbox(id) {
  state.current = id;
  closeReader();
  renderMailboxes();
  await loadList();
}

// --- Message list.

async function loadList() {
  const generation = ++state.listGeneration;
  const mailbox = state.current;
  if (!mailbox) return;
  const responses = await state.jmap.call([
    ['Email/query', {
      filter: { inMailbox: mailbox },
      sort: [{ property: 'receivedAt', isAscending: false }],
      limit: LIST_LIMIT,
    }, 'q'],
    ['Email/get', {
      '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' },
      properties: LIST_PROPERTIES,
    }, 'g'],
  ]);
  if (generation !== state.listGeneration) return;  // another mailbox was chosen meanwhile
  state.emails = responses[1][1].list;
  renderList();
}

function renderList(fresh = new Set()) {
  const list = $('message-list');
  list.replaceChildren();
  const role = (state.mailboxes.get(state.current) || {}).role;
  const outgoing = role === 'sent' || role === 'drafts';
  for (const email of state.emails) {
    const keywords = email.keywords || {};
    const row = el('li', { class: 'message', 'data-id': email.id, tabIndex: 0 },
      el('span', { class: 'from', text: outgoing ? `To: ${recipientNames(email)}` :
        senderName(email) }),
      el('span', { class: 'date', text: shortDate(email.receivedAt) }),
      el('span', { class: 'subject', text: email.subject || '(no subject)' }),
      el('span', { class: 'preview', text: email.preview || '' }));
    row.classList.toggle('unread', !keywords.$seen);
    row.classList.toggle('flagged', !!keywords.$flagged);
    row.classList.toggle('fresh', fresh.has(email.id));
    if (state.open && state.open.id === email.id) row.setAttribute('aria-selected', 'true');
    const open = () => openEmail(email.id).catch(fail);
    row.addEventListener('click', open);
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    list.append(row);
  }
  $('list-empty').hidden = state.emails.length > 0;
}

// --- Reading pane.

function closeReader() {
  state.open = null;
  $('reader-content').hidden = true;
  $('reader-empty').hidden = false;
  $('reader-body').replaceChildren();
}

async function openEmail(id) {
  const [[, got]] = await state.jmap.call([['Email/get', {
    ids: [id],
    properties: READ_PROPERTIES,
    fetchTextBodyValues: true,
    fetchHTMLBodyValues: true,
    maxBodyValueBytes: MAX_BODY_BYTES,
  }, 'r']]);
  const email = got.list[0];
  if (!email) {
    closeReader();
    setStatus('That message is gone.');
    return;
  }
  state.open = email;
  renderReader(email);
  renderList();
  if (!(email.keywords || {}).$seen) await updateEmail(email.id, { 'keywords/$seen': true });
}

function renderReader(email) {
  $('reader-empty').hidden = true;
  $('reader-content').hidden = false;
  $('reader-subject').textContent = email.subject || '(no subject)';
  const headers = $('reader-headers');
  headers.replaceChildren();
  const rows = [['From', addressText(email.from)], ['To', addressText(email.to)],
    ['Cc', addressText(email.cc)], ['Date', new Date(email.sentAt || email.receivedAt)
      .toLocaleString()]];
  for (const [name, value] of rows) {
    if (value) headers.append(el('dt', { text: name }), el('dd', { text: value }));
  }
  const flagged = !!(email.keywords || {}).$flagged;
  $('flag-button').textContent = flagged ? 'Unflag' : 'Flag';
  $('flag-button').setAttribute('aria-pressed', String(flagged));
  renderMoveSelect(email);
  renderAttachments(email);
  $('reader-body').replaceChildren(messageBody(email));
}

// The message's HTML in a sandboxed iframe, or its text as text. Never mail HTML in our DOM.
function messageBody(email) {
  const htmlParts = (email.htmlBody || []).filter((p) => p.type === 'text/html');
  if (htmlParts.length > 0) {
    const frame = el('iframe', { class: 'body-html', title: 'Message content' });
    frame.setAttribute('sandbox', '');  // no scripts, no forms, no popups, opaque origin
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.srcdoc = bodyText(email, htmlParts);
    return frame;
  }
  return el('div', { class: 'body-text', text: bodyText(email, email.textBody) });
}

function renderAttachments(email) {
  const list = $('reader-attachments');
  list.replaceChildren();
  for (const part of email.attachments || []) {
    const name = part.name || 'attachment';
    const button = el('button', { type: 'button', class: 'link',
      text: `${name} (${Math.max(1, Math.round(part.size / 1024))} KB)` });
    button.addEventListener('click', () => saveAttachment(part).catch(fail));
    list.append(el('li', {}, button));
  }
}

async function saveAttachment(part) {
  const blob = await state.jmap.download(part.blobId, part.name, part.type);
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: part.name || 'attachment' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function renderMoveSelect(email) {
  const select = $('move-select');
  select.replaceChildren(el('option', { value: '', text: '…' }));
  for (const m of sortedMailboxes()) {
    if (email.mailboxIds[m.id]) continue;
    select.append(el('option', { value: m.id, text: mailboxPath(m) }));
  }
  select.value = '';
}

// --- Changes to messages.

async function updateEmail(id, patch) {
  const [[, result]] = await state.jmap.call([['Email/set', { update: { [id]: patch } }, 'u']]);
  const error = (result.notUpdated || {})[id];
  if (error) throw new Error(error.description || error.type);
  await refresh();
}

async function toggleFlag() {
  const email = state.open;
  if (!email) return;
  const flagged = !!(email.keywords || {}).$flagged;
  await updateEmail(email.id, { 'keywords/$flagged': flagged ? null : true });
}

async function moveOpen(target) {
  const email = state.open;
  if (!email || !target) return;
  closeReader();
  await updateEmail(email.id, { mailboxIds: { [target]: true } });
  setStatus(`Moved to ${mailboxPath(state.mailboxes.get(target))}.`);
}

// To Trash; from Trash (or without one), destroyed.
async function deleteOpen() {
  const email = state.open;
  if (!email) return;
  const trash = state.roles.trash;
  if (trash && !email.mailboxIds[trash]) {
    await moveOpen(trash);
    return;
  }
  if (!window.confirm('Delete this message for good?')) return;
  closeReader();
  const [[, result]] = await state.jmap.call([['Email/set', { destroy: [email.id] }, 'd']]);
  const error = (result.notDestroyed || {})[email.id];
  if (error) throw new Error(error.description || error.type);
  setStatus('Deleted.');
  await refresh();
}

// --- Compose and reply.

function openCompose(reply) {
  state.replyTo = reply || null;
  state.unsentDraft = null;
  $('compose-error').textContent = '';
  $('compose-cc').value = '';
  if (reply) {
    const to = (reply.replyTo && reply.replyTo.length) ? reply.replyTo : reply.from;
    const subject = reply.subject || '';
    const text = bodyText(reply, reply.textBody) || reply.preview || '';
    const when = new Date(reply.sentAt || reply.receivedAt).toLocaleString();
    $('compose-title').textContent = 'Reply';
    $('compose-to').value = addressText(to);
    $('compose-subject').value = /^re:/i.test(subject) ? subject : `Re: ${subject}`;
    $('compose-body').value = `\n\nOn ${when}, ${senderName(reply)} wrote:\n` +
      text.replace(/\s+$/, '').split('\n').map((line) => `> ${line}`).join('\n') + '\n';
  } else {
    $('compose-title').textContent = 'New message';
    $('compose-to').value = '';
    $('compose-subject').value = '';
    $('compose-body').value = '';
  }
  $('compose').showModal();
  (reply ? $('compose-body') : $('compose-to')).focus();
  if (reply) $('compose-body').setSelectionRange(0, 0);
}

// Creates the draft and submits it in one request; the server moves it to Sent on success.
async function send() {
  const drafts = state.roles.drafts;
  const sent = state.roles.sent;
  if (!drafts || !state.identity) throw new Error('This account has no Drafts or identity.');
  const to = parseAddresses($('compose-to').value);
  const cc = parseAddresses($('compose-cc').value);
  if (to.length === 0) throw new Error('Say whom to send it to.');
  const identity = state.identity;
  const draft = {
    mailboxIds: { [drafts]: true },
    keywords: { $draft: true, $seen: true },
    from: [identity.name ? { name: identity.name, email: identity.email } :
      { email: identity.email }],
    to,
    subject: $('compose-subject').value,
    bodyValues: { body: { value: $('compose-body').value } },
    textBody: [{ partId: 'body', type: 'text/plain' }],
  };
  if (cc.length) draft.cc = cc;
  const reply = state.replyTo;
  if (reply && reply.messageId) {
    draft.inReplyTo = reply.messageId;
    draft.references = [...(reply.references || []), ...reply.messageId];
  }
  const onSuccess = { [`mailboxIds/${drafts}`]: null, 'keywords/$draft': null };
  if (sent) onSuccess[`mailboxIds/${sent}`] = true;
  const create = { create: { draft } };
  if (state.unsentDraft) create.destroy = [state.unsentDraft];
  const responses = await state.jmap.call([
    ['Email/set', create, 'c'],
    ['EmailSubmission/set', {
      create: { send: { identityId: identity.id, emailId: '#draft' } },
      onSuccessUpdateEmail: { '#send': onSuccess },
    }, 's'],
  ]);
  const created = responses[0][1];
  if (created.notCreated && created.notCreated.draft) {
    const e = created.notCreated.draft;
    throw new Error(`The message could not be made: ${e.description || e.type}`);
  }
  state.unsentDraft = null;
  const submitted = responses[1][1];
  if (submitted.notCreated && submitted.notCreated.send) {
    state.unsentDraft = created.created.draft.id;
    const e = submitted.notCreated.send;
    throw new Error(`Not sent (kept in Drafts): ${e.description || e.type}`);
  }
  if (reply && !(reply.keywords || {}).$answered) {
    await state.jmap.call([['Email/set', { update: { [reply.id]: { 'keywords/$answered': true } } },
      'a']]);
  }
}

// --- Push and resynchronisation.

let syncing = null;
let syncAgain = false;

// Brings the screen up to date; runs one at a time, once more if asked meanwhile.
function refresh() {
  if (syncing) {
    syncAgain = true;
    return syncing;
  }
  syncing = (async () => {
    do {
      syncAgain = false;
      await syncOnce();
    } while (syncAgain);
  })().finally(() => { syncing = null; });
  return syncing;
}

async function syncOnce() {
  const created = await emailChanges();
  await loadMailboxes();
  await loadList();
  const fresh = new Set(created.map((e) => e.id));
  renderList(fresh);
  if (state.open && !state.emails.some((e) => e.id === state.open.id)) {
    closeReader();  // moved or deleted, here or elsewhere
  } else if (state.open) {
    const listed = state.emails.find((e) => e.id === state.open.id);
    if (listed) {
      state.open.keywords = listed.keywords;
      state.open.mailboxIds = listed.mailboxIds;
      renderReaderState(state.open);
    }
  }
  notifyNew(created);
}

function renderReaderState(email) {
  const flagged = !!(email.keywords || {}).$flagged;
  $('flag-button').textContent = flagged ? 'Unflag' : 'Flag';
  $('flag-button').setAttribute('aria-pressed', String(flagged));
  renderMoveSelect(email);
}

// The Emails created since state.emailState (RFC 8620 5.2), and the new state.
async function emailChanges() {
  const created = [];
  for (let round = 0; round < MAX_CHANGE_ROUNDS && state.emailState; round++) {
    let responses;
    try {
      responses = await state.jmap.call([
        ['Email/changes', { sinceState: state.emailState, maxChanges: 256 }, 'c'],
        ['Email/get', {
          '#ids': { resultOf: 'c', name: 'Email/changes', path: '/created' },
          properties: ['id', 'mailboxIds', 'keywords', 'from', 'subject', 'preview'],
        }, 'g'],
      ]);
    } catch (error) {
      if (error.type !== 'cannotCalculateChanges') throw error;
      await resetEmailState();
      return created;
    }
    const changes = responses[0][1];
    created.push(...responses[1][1].list);
    state.emailState = changes.newState;
    if (!changes.hasMoreChanges) break;
  }
  return created;
}

async function resetEmailState() {
  const [[, got]] = await state.jmap.call([['Email/get', { ids: [] }, 'e']]);
  state.emailState = got.state;
}

function notifyNew(created) {
  const inbox = state.roles.inbox;
  const unread = created.filter((e) => e.mailboxIds[inbox] && !(e.keywords || {}).$seen &&
    !(e.keywords || {}).$draft);
  if (unread.length === 0 || document.visibilityState !== 'hidden') return;
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const shown = unread.length > MAX_NOTIFICATIONS ? [] : unread;
  for (const email of shown) {
    const n = new Notification(senderName(email), {
      body: email.subject || '(no subject)', tag: `pushmail-${email.id}`,
    });
    n.addEventListener('click', () => {
      window.focus();
      n.close();
      selectMailbox(inbox).then(() => openEmail(email.id)).catch(fail);
    });
  }
  if (shown.length === 0) {
    new Notification('pushmail', { body: `${unread.length} new messages`, tag: 'pushmail' });
  }
}

function closePush() {
  clearTimeout(state.retryTimer);
  state.retryTimer = null;
  if (state.events) state.events.close();
  state.events = null;
  setLive(false);
}

function schedulePush() {
  closePush();
  state.retryTimer = setTimeout(() => openPush().catch(fail), state.retryMs);
  state.retryMs = Math.min(state.retryMs * 2, RETRY_MAX_MS);
}

// Asks for a signed URL and opens the event stream. The browser reconnects by itself after a
// network error; when the server refuses (the signed URL has expired), a new one is fetched.
async function openPush() {
  closePush();
  const jmap = state.jmap;
  let signed;
  try {
    signed = await (await jmap.fetch('/jmap/eventsource/token', { method: 'POST' })).json();
  } catch (error) {
    if (error instanceof AuthError) throw error;
    schedulePush();
    return;
  }
  if (jmap !== state.jmap) return;  // signed out meanwhile
  const url = signed.eventSourceUrl.replace('{types}', '*').replace('{closeafter}', 'no')
    .replace('{ping}', '60');
  const events = new EventSource(url);
  state.events = events;
  events.addEventListener('open', () => {
    state.retryMs = RETRY_MIN_MS;
    setLive(true);
  });
  events.addEventListener('state', (event) => {
    let change;
    try {
      change = JSON.parse(event.data);
    } catch {
      return;
    }
    const changed = (change.changed || {})[jmap.accountId];
    if (!changed) return;
    const differs = (type, known) => changed[type] !== undefined && changed[type] !== known;
    if (differs('Email', state.emailState) || differs('Mailbox', state.mailboxState)) {
      refresh().catch(fail);
    }
  });
  events.addEventListener('error', () => {
    setLive(false);
    if (events.readyState === EventSource.CLOSED && state.events === events) schedulePush();
  });
}

// --- Login.

async function start(token, user) {
  const jmap = new Jmap(token);
  await jmap.connect();
  state.jmap = jmap;
  state.user = user || jmap.session.username;
  state.open = null;
  state.current = null;
  const responses = await jmap.call([
    ['Identity/get', {}, 'i'],
    ['Email/get', { ids: [] }, 'e'],
  ]);
  state.identity = responses[0][1].list.find((i) => i.email === state.user) ||
    responses[0][1].list[0] || null;
  state.emailState = responses[1][1].state;
  $('user').textContent = state.user;
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  closeReader();
  await loadMailboxes();
  await loadList();
  await openPush();
}

async function signIn(event) {
  event.preventDefault();
  $('login-error').textContent = '';
  $('login-submit').disabled = true;
  try {
    if ('Notification' in window && Notification.permission === 'default') {
      Notification.requestPermission().catch(() => {});  // asked while the click counts
    }
    const username = $('login-user').value.trim();
    const response = await fetch('/jmap/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: $('login-password').value }),
    });
    if (!response.ok) {
      throw new Error(response.status === 401 ? 'Wrong email address or password.' :
        `Sign-in failed (${response.status}).`);
    }
    const login = await response.json();
    sessionStorage.setItem(TOKEN_KEY, login.accessToken);
    sessionStorage.setItem(USER_KEY, login.username);
    $('login-password').value = '';
    await start(login.accessToken, login.username);
  } catch (error) {
    $('login-error').textContent = error.message;
  } finally {
    $('login-submit').disabled = false;
  }
}

function signOut(message) {
  const jmap = state.jmap;
  state.jmap = null;
  closePush();
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  if (jmap) {
    fetch('/jmap/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + jmap.token } })
      .catch(() => {});
  }
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message || '';
  $('login-user').focus();
}

// --- Wiring.

function wire() {
  $('login-form').addEventListener('submit', signIn);
  $('logout-button').addEventListener('click', () => signOut());
  $('compose-button').addEventListener('click', () => openCompose(null));
  $('reply-button').addEventListener('click', () => { if (state.open) openCompose(state.open); });
  $('flag-button').addEventListener('click', () => toggleFlag().catch(fail));
  $('delete-button').addEventListener('click', () => deleteOpen().catch(fail));
  $('move-select').addEventListener('change', (e) => moveOpen(e.target.value).catch(fail));
  $('compose-cancel').addEventListener('click', () => $('compose').close());
  $('compose-form').addEventListener('submit', (event) => {
    event.preventDefault();
    $('compose-send').disabled = true;
    $('compose-error').textContent = '';
    send().then(() => {
      $('compose').close();
      setStatus('Sent.');
      return refresh();
    }).catch((error) => {
      if (error instanceof AuthError) fail(error);
      else $('compose-error').textContent = error.message;
    }).finally(() => { $('compose-send').disabled = false; });
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.jmap && !state.events) {
      openPush().catch(fail);
    }
  });
}

function main() {
  wire();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    signOut();
    return;
  }
  start(token, sessionStorage.getItem(USER_KEY)).catch((error) => {
    if (error instanceof AuthError) signOut();
    else fail(error);
  });
}

main();
