// Two people register, befriend and chat in headless Chromium through the
// reference web client, served from its own origin (another port) and calling
// the gateway cross-origin. Each must see the other's message arrive without
// a reload. Exit 0 on success; screenshots go to --artifacts.
//
// node chat_test.cjs --web=<examples/web> --web-port=<n> --api=<gateway url>
//                    --maildir=<dir> --artifacts=<dir> [--chromium=/usr/bin/chromium]
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const puppeteer = require('puppeteer-core');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, ...v] = a.replace(/^--/, '').split('=');
  return [k, v.join('=')];
}));
const STEP_MS = 30000;
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

function log(...parts) { console.log(new Date().toISOString(), ...parts); }

// The web client's own origin: a static server on another port.
function serveStatic(root, port) {
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname) || 'index.html';
    const file = path.join(root, name);
    if (!TYPES[path.extname(file)] || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

// The newest verification token mailed to `email` (the e2e tests' maildir).
async function verificationToken(email) {
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    const dir = path.join(args.maildir, 'new');
    let best = null;
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const file = path.join(dir, name);
      const text = fs.readFileSync(file, 'utf8');
      const token = /^Verification-Token: (\S+)/m.exec(text);
      if (token && text.includes(`To: <${email}>`)) {
        const mtime = fs.statSync(file).mtimeMs;
        if (!best || mtime >= best.mtime) best = { mtime, token: token[1] };
      }
    }
    if (best) return best.token;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no verification mail for ${email}`);
}

async function type(page, selector, text) {
  await page.$eval(selector, (el) => { el.value = ''; });
  await page.type(selector, text);
}

async function waitText(page, selector, text) {
  await page.waitForFunction(
      (s, t) => [...document.querySelectorAll(s)].some((el) => el.textContent.includes(t)),
      { timeout: STEP_MS }, selector, text);
}

// Repeats `attempt` (which throws on failure) until it passes or STEP_MS
// ends: what other services learn from events shows up a moment later.
async function retry(what, attempt) {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${what}: ${e.message}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function waitTextBriefly(page, selector, text) {
  await page.waitForFunction(
      (s, t) => [...document.querySelectorAll(s)].some((el) => el.textContent.includes(t)),
      { timeout: 2000 }, selector, text);
}

async function clickIn(page, selector, text, buttonLabel) {
  await waitText(page, selector, text);
  await page.evaluate((s, t, b) => {
    const el = [...document.querySelectorAll(s)].find((e) => e.textContent.includes(t));
    (b ? [...el.querySelectorAll('button')].find((x) => x.textContent === b) : el).click();
  }, selector, text, buttonLabel);
}

async function signUp(page, username) {
  const email = `${username}@example.com`;
  await type(page, '#reg-username', username);
  await type(page, '#reg-email', email);
  await type(page, '#reg-password', `pw-${username}-secret`);
  await page.click('#reg-submit');
  await waitText(page, '#status', 'Registered');
  await type(page, '#verify-token', await verificationToken(email));
  await page.click('#verify-submit');
  await waitText(page, '#status', 'verified');
  await type(page, '#login-password', `pw-${username}-secret`);
  await page.click('#login-submit');
  await page.waitForSelector('#app:not([hidden])', { timeout: STEP_MS });
  await waitText(page, '#live', 'live');
  log(username, 'signed in, WebSocket live');
}

async function main() {
  const server = await serveStatic(args.web, Number(args['web-port']));
  const url = `http://127.0.0.1:${args['web-port']}/index.html?api=${encodeURIComponent(args.api)}`;
  const browser = await puppeteer.launch({
    executablePath: args.chromium || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const pages = [];
  try {
    for (let i = 0; i < 2; ++i) {
      const context = await browser.createBrowserContext();  // separate storage
      const page = await context.newPage();
      await page.setViewport({ width: 1000, height: 700 });
      page.on('console', (m) => log(`page${i}:`, m.text()));
      page.on('pageerror', (e) => log(`page${i} error:`, e.message));
      await page.goto(url, { timeout: STEP_MS });
      pages.push(page);
    }
    const [ann, ben] = pages;
    const suffix = Date.now().toString(36).slice(-5);
    const annName = `ann${suffix}`, benName = `ben${suffix}`;
    await signUp(ann, annName);
    await signUp(ben, benName);

    await type(ann, '#search-q', benName);
    await retry('search', async () => {
      await ann.click('#search-submit');
      await waitTextBriefly(ann, '#search-results li', benName);
    });
    await retry('contact request', async () => {
      await clickIn(ann, '#search-results li', benName, 'Add');
      await waitTextBriefly(ann, '#status', 'Asked');
    });
    // Ben hears of the request over his WebSocket.
    await clickIn(ben, '#requests li', annName, 'Accept');
    await clickIn(ann, '#contacts li', benName);
    // The chat opens asynchronously: type only once its form is there.
    await waitText(ann, '#chat-title', benName);
    await ann.waitForSelector('#compose:not([hidden])', { timeout: STEP_MS });
    log('befriended');

    const hello = `hello ben, from ann ${suffix}`;
    await type(ann, '#compose-text', hello);
    await ann.click('#compose-send');
    await waitText(ann, '#messages li', hello);
    // Ben, without reloading: the conversation shows up unread, then opens.
    await ben.waitForSelector('#conversations li .unread', { timeout: STEP_MS });
    await clickIn(ben, '#conversations li', annName);
    await waitText(ben, '#messages li', hello);
    await ben.waitForSelector('#compose:not([hidden])', { timeout: STEP_MS });
    const reply = `hi ann, ben here ${suffix}`;
    await type(ben, '#compose-text', reply);
    await ben.click('#compose-send');
    // Ann has the chat open: the reply arrives live.
    await waitText(ann, '#messages li', reply);
    log('both saw each other\'s message');

    fs.mkdirSync(args.artifacts, { recursive: true });
    await ann.screenshot({ path: path.join(args.artifacts, 'ann.png') });
    await ben.screenshot({ path: path.join(args.artifacts, 'ben.png') });
    const texts = await ann.$$eval('#messages li', (els) => els.map((e) => e.textContent));
    if (!texts.includes(hello) || !texts.includes(reply)) {
      throw new Error(`ann's chat shows ${JSON.stringify(texts)}`);
    }
    log('screenshots in', args.artifacts);
  } catch (e) {
    fs.mkdirSync(args.artifacts, { recursive: true });
    for (let i = 0; i < pages.length; ++i) {
      await pages[i].screenshot({ path: path.join(args.artifacts, `failed-${i}.png`) }).catch(() => {});
    }
    throw e;
  } finally {
    await browser.close();
    server.close();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error('FAILED:', e && e.stack || e);
  process.exit(1);
});
