// Drives the web client in Debian's Chromium with playwright-core, against a running pushmaild
// (started by tests/test_web.py, which passes its addresses in the environment):
// logs in, sees a message delivered over SMTP appear without a reload, opens it (its HTML in a
// sandbox where its script does not run), flags it, replies, deletes it, gets a notification
// for the next one while the tab is hidden, and moves that one to Archive. Screenshots go to $WEB_ARTIFACTS.
//
// Every wait is bounded (WAIT_MS); the script exits non-zero on the first failed check.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE_URL = process.env.PUSHMAIL_URL;
const SMTP_PORT = Number(process.env.SMTP_PORT);
const ARTIFACTS = process.env.WEB_ARTIFACTS || os.tmpdir();
const USER = process.env.WEB_USER;
const PASSWORD = process.env.WEB_PASSWORD;
const SENDER = process.env.WEB_SENDER;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 30000;

// One message over SMTP to 127.0.0.1, line by line, checking each reply code.
function deliver(from, to, message) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(SMTP_PORT, '127.0.0.1');
    const steps = [
      [null, 220], ['EHLO web-test', 250], [`MAIL FROM:<${from}>`, 250], [`RCPT TO:<${to}>`, 250],
      ['DATA', 354], [message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..') + '\r\n.', 250],
      ['QUIT', 221],
    ];
    let buffer = '';
    let step = 0;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('SMTP timed out')); },
      WAIT_MS);
    const next = () => {
      if (step === steps.length) {
        clearTimeout(timer);
        socket.end();
        resolve();
        return;
      }
      const [line] = steps[step];
      if (line !== null) socket.write(line + '\r\n');
    };
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let end;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const reply = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (reply[3] === '-') continue;  // a multi-line reply goes on
        const expected = steps[step][1];
        if (Number(reply.slice(0, 3)) !== expected) {
          clearTimeout(timer);
          socket.destroy();
          reject(new Error(`SMTP: expected ${expected}, got "${reply}"`));
          return;
        }
        step++;
        next();
      }
    });
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
    next();
  });
}

function mail(subject, text, html) {
  const boundary = 'b' + Date.now();
  return [
    `From: Bob <${SENDER}>`, `To: ${USER}`, `Subject: ${subject}`,
    `Message-ID: <${Date.now()}.${Math.random().toString(36).slice(2)}@web-test>`,
    `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`, '',
    `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', text, '',
    `--${boundary}`, 'Content-Type: text/html; charset=utf-8', '', html, '',
    `--${boundary}--`, '',
  ].join('\n');
}

// Wraps Notification so the test can see what the page shows, and records CSP violations.
function instrument() {
  window.__notes = [];
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
  });
  const Real = window.Notification;
  if (!Real) return;
  function Recorded(title, options) {
    window.__notes.push({ title, body: options && options.body });
    return new Real(title, options);
  }
  Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
}

async function main() {
  assert.ok(BASE_URL && SMTP_PORT && USER && PASSWORD && SENDER, 'environment incomplete');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pushmail-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    ignoreHTTPSErrors: true,  // the server's self-signed certificate
    permissions: ['notifications'],
    viewport: { width: 1280, height: 800 },
  });
  const pageErrors = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    const consoleLines = [];
    page.on('console', (m) => {
      consoleLines.push(m.text());
      console.log(`browser ${m.type()}: ${m.text()}`);
    });
    await page.addInitScript(instrument);

    const response = await page.goto(BASE_URL);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /script-src 'self'/);

    // Log in; wait for the push stream.
    await page.fill('#login-user', USER);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#app-view:not([hidden])');
    await page.waitForSelector('#live.on');
    await page.waitForSelector('.mailbox[data-role="inbox"][aria-current="true"]');
    await page.evaluate(() => { window.__noReload = true; });
    console.log('logged in, push stream open');

    // A message over SMTP appears without a reload.
    const subject = `Hello from SMTP ${Date.now()}`;
    await deliver(SENDER, USER, mail(subject, 'The text part.',
      '<p id="hello">Hello in <b>HTML</b></p><script>document.body.append("SCRIPT RAN")</script>' +
      '<img src="http://127.0.0.1:9/track.png" alt="">'));
    const row = page.locator('#message-list .message', { hasText: subject });
    await row.waitFor();
    assert.equal(await page.evaluate(() => window.__noReload), true, 'the page reloaded');
    assert.equal(await row.evaluate((e) => e.classList.contains('unread')), true);
    await page.locator('.mailbox[data-role="inbox"] .count', { hasText: '1' }).waitFor();
    console.log('new message appeared without a reload');
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-new-mail.png') });

    // Open it: HTML in a sandboxed iframe, its script not run, marked read.
    await row.click();
    await page.locator('#reader-subject', { hasText: subject }).waitFor();
    const frame = page.locator('#reader-body iframe.body-html');
    assert.equal(await frame.getAttribute('sandbox'), '');
    const body = page.frameLocator('#reader-body iframe.body-html').locator('body');
    await body.locator('#hello', { hasText: 'Hello in HTML' }).waitFor();
    assert.doesNotMatch(await body.innerText(), /SCRIPT RAN/);
    await page.waitForFunction(() => !document.querySelector('.mailbox[data-role="inbox"] .count'));
    await page.locator('#message-list .message:not(.unread)', { hasText: subject }).waitFor();
    console.log('opened; HTML sandboxed, script not run, marked read');
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-reading.png') });

    // Flag and unflag.
    await page.click('#flag-button');
    await page.locator('#message-list .message.flagged', { hasText: subject }).waitFor();
    await page.locator('#flag-button', { hasText: 'Unflag' }).waitFor();

    // Reply.
    await page.click('#reply-button');
    await page.waitForSelector('#compose[open]');
    assert.match(await page.inputValue('#compose-to'), new RegExp(SENDER.replace('.', '\\.')));
    assert.equal(await page.inputValue('#compose-subject'), `Re: ${subject}`);
    await page.locator('#compose-body').press('Control+Home');
    await page.locator('#compose-body').pressSequentially('Thanks, got it.');
    await page.click('#compose-send');
    await page.waitForSelector('#compose[open]', { state: 'detached' });
    await page.locator('#status', { hasText: 'Sent.' }).waitFor();
    await page.click('.mailbox[data-role="sent"]');
    await page.locator('#message-list .message', { hasText: `Re: ${subject}` }).click();
    await page.locator('#reader-body .body-text', { hasText: 'Thanks, got it.' }).waitFor();
    assert.match(await page.locator('#reader-body .body-text').innerText(), /^> The text part\.$/m);
    console.log('replied; the reply is in Sent, as text, quoting the original');

    // A new message to another domain is refused (no outbound relay) and the dialog says so.
    await page.click('#compose-button');
    await page.waitForSelector('#compose[open]');
    await page.fill('#compose-to', 'Carol <carol@elsewhere.test>');
    await page.fill('#compose-subject', 'Far away');
    await page.fill('#compose-body', 'Hello there.');
    await page.click('#compose-send');
    await page.locator('#compose-error', { hasText: 'Not sent (kept in Drafts)' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-compose.png') });
    await page.fill('#compose-subject', 'Far away, again');  // a second try replaces the draft
    await page.click('#compose-send');
    await page.locator('#compose-error', { hasText: 'Not sent' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('#compose-send').disabled);
    await page.click('#compose-cancel');
    await page.waitForSelector('#compose[open]', { state: 'detached' });
    console.log('a message to another domain is refused with a reason');

    // Delete: to Trash.
    await page.click('.mailbox[data-role="inbox"]');
    await page.locator('#message-list .message', { hasText: subject }).click();
    await page.locator('#reader-subject', { hasText: subject }).waitFor();
    await page.click('#delete-button');
    await page.locator('#message-list .message', { hasText: subject }).waitFor({ state: 'detached' });
    await page.click('.mailbox[data-role="trash"]');
    await page.locator('#message-list .message', { hasText: subject }).waitFor();
    console.log('deleted; the message is in Trash');

    // A notification for new mail while the tab is hidden.
    await page.click('.mailbox[data-role="inbox"]');
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const second = `Second message ${Date.now()}`;
    await deliver(SENDER, USER, mail(second, 'Another one.', '<p>Another one.</p>'));
    await page.waitForFunction((s) => window.__notes.some((n) => n.body === s), second);
    await page.locator('#message-list .message.unread', { hasText: second }).waitFor();
    assert.equal(await page.evaluate(() => window.__noReload), true, 'the page reloaded');
    console.log('notified while hidden');

    // Move it to Archive.
    await page.locator('#message-list .message', { hasText: second }).click();
    await page.locator('#reader-subject', { hasText: second }).waitFor();
    const archive = await page.getAttribute('.mailbox[data-role="archive"]', 'data-id');
    await page.selectOption('#move-select', archive);
    await page.locator('#message-list .message', { hasText: second }).waitFor({ state: 'detached' });
    await page.click('.mailbox[data-role="archive"]');
    await page.locator('#message-list .message', { hasText: second }).waitFor();
    console.log('moved to Archive');

    // The app itself causes no CSP violation; the message frame inherited the policy, so its
    // remote image was blocked.
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.ok(consoleLines.some((l) => l.includes('track.png') &&
      l.includes('Content Security Policy')), 'the remote image in the mail was not blocked');
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-client.png') });
    assert.deepEqual(pageErrors, []);
    assert.equal(await page.locator('#status.error').count(), 0,
      `the client showed an error: ${await page.textContent('#status')}`);

    // A reload keeps the tab signed in; signing out revokes the token.
    await page.reload();
    await page.waitForSelector('#app-view:not([hidden])');
    await page.waitForSelector('#live.on');
    const token = await page.evaluate(() => sessionStorage.getItem('pushmail.token'));
    assert.ok(token);
    const logout = page.waitForResponse((r) => r.url().endsWith('/jmap/logout'));
    await page.click('#logout-button');
    assert.equal((await logout).status(), 204);
    await page.waitForSelector('#login-view:not([hidden])');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('pushmail.token')), null);
    // A revoked token gets 401 with only a Bearer challenge: a Basic one would make the
    // browser open its own login dialog (and this fetch would hang on it).
    const revoked = await page.evaluate(async (t) => {
      const r = await fetch('/.well-known/jmap', { headers: { Authorization: `Bearer ${t}` } });
      return [r.status, r.headers.get('WWW-Authenticate')];
    }, token);
    assert.equal(revoked[0], 401);
    assert.match(revoked[1], /^Bearer .*error="invalid_token"/);
    console.log('signed out; the token is revoked');
    console.log(`web test passed; screenshots in ${ARTIFACTS}`);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
