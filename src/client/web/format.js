// DOM helpers and the formatting of addresses, dates and bodies. Text only: nothing here
// parses HTML.

export const $ = (id) => document.getElementById(id);

// An element with properties (class, text, data-*, or DOM properties) and children.
export function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'class') e.className = value;
    else if (key === 'text') e.textContent = value;
    else if (key.startsWith('data-') || key.startsWith('aria-')) e.setAttribute(key, value);
    else e[key] = value;
  }
  for (const child of children) if (child != null) e.append(child);
  return e;
}

export function addressText(list) {
  return (list || []).map((a) => (a.name ? `${a.name} <${a.email}>` : a.email)).join(', ');
}

export function senderName(email) {
  const a = (email.from || [])[0];
  return a ? (a.name || a.email) : '(no sender)';
}

export function recipientNames(email) {
  return (email.to || []).map((a) => a.name || a.email).join(', ') || '(no recipient)';
}

export function shortDate(iso) {
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) {
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  return d.toLocaleDateString([], { month: 'short', day: 'numeric', year:
    d.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
}

// "Bob <bob@x>, carol@y" -> [{name, email}]; throws on an entry without an address.
export function parseAddresses(text) {
  const out = [];
  for (const part of text.split(/[,;](?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const entry = part.trim();
    if (!entry) continue;
    const angle = /^(.*)<([^<>\s]+)>$/.exec(entry);
    const email = angle ? angle[2] : entry;
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new Error(`Not an email address: ${entry}`);
    const name = angle ? angle[1].trim().replace(/^"(.*)"$/, '$1') : '';
    out.push(name ? { name, email } : { email });
  }
  return out;
}

export function bodyText(email, parts) {
  return (parts || []).map((p) => (email.bodyValues[p.partId] || {}).value || '').join('\n');
}
