// Every page Sesame shows people, in every state they reach it in, in real Chromium against
// the real `sesame` binary on loopback (one server, a fresh store):
//
// - axe-core on each page (every rule at 1280 px in light; the colour rules again in dark and
//   at 375 px, with the rule for scrolling regions): a serious or critical violation fails;
// - screenshots at 375×800 and 1280×900, light and dark, into pages/ of the artefacts
//   directory (SESAME_BROWSER_ARTIFACTS, default $CARGO_TARGET_DIR/browser-artifacts; never
//   committed), with report.json (every violation and failed check);
// - layout facts a broken or missing stylesheet fails: the stylesheet answered and applied, the
//   card centred, controls big enough to hit, no word broken for want of room, no sideways
//   scrolling on a phone, dark mode, no CSP violation, `<html lang>` and one `h1`;
// - the German pages (Accept-Language: de) with no English heading left;
// - passkey autofill on /login (WebAuthn conditional mediation) with a CDP virtual
//   authenticator, and the "Sign in with a passkey" button where conditional mediation is not
//   available.
//
// The pages' CSP stays on: axe is injected through the DevTools protocol, which a page's
// policy does not govern, and a stylesheet the policy blocks must fail here as in a browser.
//
// Needs SESAME_BIN and SESAME_COMPONENT (scripts/test sets them) and Chromium (CHROMIUM,
// default /usr/bin/chromium).
import { spawn, execFile } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const AXE_SOURCE = readFileSync(join(HERE, 'node_modules/axe-core/axe.min.js'), 'utf8');
const ARTIFACTS = join(
  process.env.SESAME_BROWSER_ARTIFACTS
    || join(process.env.CARGO_TARGET_DIR || join(HERE, '../../target'), 'browser-artifacts'),
  'pages',
);

const ADA = 'ada@example.com';
const ADA_FIRST_PASSWORD = 'analytical engine';
// Ada resets her password through the mailed link; she signs in with this one afterwards.
const ADA_PASSWORD = 'difference engine no. 2';
const GRACE = 'grace@example.com';
const GRACE_PASSWORD = 'compiling cobol';
const LIN = 'lin@example.com';
const LIN_PASSWORD = 'typeface design';
// Hedy registers without a password and signs in with mailed codes and links.
const HEDY = 'hedy@example.com';
// Katherine has email as her second factor.
const KATHERINE = 'katherine@example.com';
const KATHERINE_PASSWORD = 'orbital mechanics';
// Mary changes her address and username, and undoes the change from the old address.
const MARY = 'mary@example.com';
const MARY_NEW = 'mary.new@example.com';
const MARY_PASSWORD = 'computing machinery';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 375, height: 800 },
];
// Controls people tap: at least this tall (WCAG 2.5.8 asks 24 px; 40 is what the design
// promises for phones).
const MIN_CONTROL_HEIGHT = 40;
const SERIOUS = new Set(['serious', 'critical']);
const RUN_LIMIT_MS = 170_000;
const IMPACTS = ['critical', 'serious', 'moderate', 'minor'];

const started = Date.now();
/** One row per page state: what axe found and which checks failed. */
const report = [];
/** Failures outside any one page state (flows that could not reach a state). */
const flowFailures = [];
/** Heading texts of the English pages by state, to find English left on the German ones. */
const englishHeadings = new Map();
let serifDefault = null;
const cssChecked = new Map();

function log(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
}

// --- The server ------------------------------------------------------------------------

function sesameArgs(dir) {
  return ['--store', join(dir, 'sesame.db'), '--component', process.env.SESAME_COMPONENT,
    '--cache-dir', join(dir, 'cache')];
}

// The test signs in and registers many times a minute from one address; the throttles are
// tested elsewhere.
const SERVER_ENV = {
  SESAME_THROTTLE_LOGIN_PER_IP: '1000',
  SESAME_THROTTLE_LOGIN_PER_ACCOUNT: '1000',
  SESAME_THROTTLE_REGISTER_PER_IP: '1000',
  SESAME_THROTTLE_MAIL_PER_ACCOUNT: '1000',
  // Passwords, mailed codes and links, and passkeys: every page of each is shown.
  SESAME_US_METHODS: 'password,email,passkey',
};

function startSesame(dir) {
  const child = spawn(
    process.env.SESAME_BIN,
    [...sesameArgs(dir), '--mail-outbox', join(dir, 'outbox'), 'serve', '--listen', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...SERVER_ENV, RUST_LOG: process.env.RUST_LOG || 'warn' },
    },
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const direct = line.replace('sesame listening on ', '');
      // WebAuthn needs a domain as RP ID: the browser uses localhost, which is loopback too.
      resolve({ child, direct, base: direct.replace('127.0.0.1', 'localhost') });
      lines.on('line', () => {});
    });
    child.once('exit', (code) => reject(new Error(`sesame exited with ${code}`)));
  });
}

/** Registers the OpenID client whose request shows the consent page; its id. */
async function addClient(dir) {
  const { stdout } = await promisify(execFile)(process.env.SESAME_BIN, [
    ...sesameArgs(dir), 'client', 'add', '--name', 'Example Notes',
    '--redirect-uri', REDIRECT_URI, '--post-logout-redirect-uri', 'http://127.0.0.1:9/',
  ]);
  const id = /client_id:\s*(\S+)/.exec(stdout);
  if (!id) throw new Error(`no client_id in: ${stdout}`);
  return id[1];
}

/** The token of the newest mailed link to `to` of `kind` (`confirm` or `reset`). */
function mailedToken(dir, to, kind) {
  const outbox = join(dir, 'outbox');
  const names = readdirSync(outbox).sort().reverse();
  for (const name of names) {
    const text = readFileSync(join(outbox, name), 'utf8');
    if (!text.startsWith(`To: ${to}`)) continue;
    const link = new RegExp(`/${kind}\\?token=([A-Za-z0-9_.~%-]+)`).exec(text);
    if (link) return decodeURIComponent(link[1]);
  }
  throw new Error(`no ${kind} link mailed to ${to} in ${outbox}`);
}

/** The 8-digit code of the newest mail to `to` (sign-in codes and second-factor codes). */
function mailedCode(dir, to) {
  const outbox = join(dir, 'outbox');
  for (const name of readdirSync(outbox).sort().reverse()) {
    const text = readFileSync(join(outbox, name), 'utf8');
    if (!text.startsWith(`To: ${to}`)) continue;
    const code = /(?<![0-9#])([0-9]{8})(?![0-9])/.exec(text.split('\n\n').slice(1).join('\n\n'));
    if (code) return code[1];
  }
  throw new Error(`no code mailed to ${to} in ${outbox}`);
}

async function postJson(url, body, headers = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

// --- TOTP (RFC 6238) ------------------------------------------------------------------

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.toUpperCase().replace(/[^A-Z2-7]/g, '')) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secret, { digits = 6, period = 30, algorithm = 'sha1', at = Date.now() } = {}) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / period)));
  const mac = createHmac(algorithm, base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 10 ** digits).padStart(digits, '0');
}

// --- Checking one page state -----------------------------------------------------------

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** A page that records what its console says, so CSP violations can be told apart. */
async function newPage(context) {
  const page = await context.newPage();
  page.sesameConsole = [];
  page.on('console', (message) => page.sesameConsole.push(message.text()));
  page.on('pageerror', (error) => page.sesameConsole.push(`page error: ${error.message}`));
  return page;
}

async function newContext(browser, options = {}) {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  // A page that never comes fails its flow instead of stalling the run.
  context.setDefaultTimeout(15000);
  // Records CSP violations from the page's own document (the console says it too; this also
  // names the directive).
  await context.addInitScript(() => {
    window.sesameCsp = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.sesameCsp.push(`${event.effectiveDirective} ${event.blockedURI}`);
    });
  });
  return context;
}

/** What the page's layout and markup say, at the current viewport and colour scheme. */
function pageFacts() {
  const style = (el) => getComputedStyle(el);
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : '';
    const name = el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : '';
    const text = el.tagName === 'INPUT' ? '' : el.textContent.trim().replace(/\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${id}${name}${text ? ` "${text}"` : ''}`;
  };
  const visible = (el) => {
    const rect = el.getBoundingClientRect();
    const s = style(el);
    return rect.width > 0 && rect.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const sheets = [...document.querySelectorAll('link[rel~=stylesheet]')].map((link) => {
    let rules = 0;
    try {
      rules = link.sheet ? link.sheet.cssRules.length : 0;
    } catch {
      rules = -1;
    }
    return { href: link.href, rules };
  });
  const main = document.querySelector('main');
  const width = document.documentElement.clientWidth;
  const card = main && (() => {
    const rect = main.getBoundingClientRect();
    const s = style(main);
    return {
      border: parseFloat(s.borderTopWidth) || 0,
      background: s.backgroundColor,
      left: rect.left,
      right: width - rect.right,
    };
  })();
  const controls = [...document.querySelectorAll(
    'input[type=text], input[type=email], input[type=password], input:not([type]), '
      + 'input[type=submit], input[type=button], button, a.button',
  )].filter(visible).map((el) => ({ what: describe(el), height: el.getBoundingClientRect().height }));
  // Words broken inside for want of room although they would fit the card: a column or a
  // button squeezed to a few letters (a word longer than the card may break, it must).
  const measure = document.createElement('canvas').getContext('2d');
  const room = (el) => {
    const s = style(el);
    return el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  };
  const cardRoom = main ? room(main) : width;
  const squeezed = (el) => {
    const s = style(el);
    measure.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    // Lines may also break after a hyphen (dates): the pieces are what must fit.
    const words = el.textContent.trim().split(/\s+|(?<=-)/).filter(Boolean);
    const widest = words
      .map((word) => ({ word, width: measure.measureText(word).width }))
      .sort((a, b) => b.width - a.width)[0];
    if (!widest || widest.width <= room(el) + 1 || widest.width > cardRoom) return [];
    return [`${describe(el)}: "${widest.word}" needs ${widest.width.toFixed(0)} px, has ${room(el).toFixed(0)}`];
  };
  const brokenWords = [...document.querySelectorAll(
    'button, a.button, th, td, label, legend, caption, h1, h2, h3, dt',
  )]
    // A cell holding a button is judged by its button.
    .filter((el) => visible(el) && style(el).display !== 'inline' && !el.querySelector('button, a.button'))
    .flatMap(squeezed);
  return {
    brokenWords,
    lang: document.documentElement.getAttribute('lang'),
    h1: document.querySelectorAll('h1').length,
    title: document.title,
    sheets,
    fontFamily: style(document.body).fontFamily,
    bodyBackground: style(document.body).backgroundColor,
    card,
    controls,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    csp: window.sesameCsp || [],
    headings: [...document.querySelectorAll('h1, h2, h3, legend, caption')]
      .filter(visible)
      .map((el) => el.textContent.trim().replace(/\s+/g, ' '))
      .filter(Boolean),
  };
}

// What axe runs where (null: every rule): everything at 1280 px in light; again what the
// colour scheme changes (dark); again what the width changes (375 px: a table that scrolls
// must be reachable by keyboard, text over other boxes).
const AXE_RULES = {
  '1280-light': null,
  '1280-dark': ['color-contrast', 'link-in-text-block'],
  '375-light': ['color-contrast', 'scrollable-region-focusable'],
};

async function runAxe(page, rules) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (rules) => {
    const options = {
      resultTypes: ['violations'],
      // axe would fetch the page's stylesheets again for one rule; the pages' connect-src
      // refuses that, and the refusal would read as the page's own CSP violation.
      preload: false,
    };
    if (rules) options.runOnly = { type: 'rule', values: rules };
    const result = await window.axe.run(document, options);
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        html: n.html.slice(0, 160),
        summary: (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 240),
      })),
    }));
  }, rules);
}

/** Whether the stylesheet at `href` answers 200 with CSS (once per URL). */
async function stylesheetAnswers(context, href) {
  if (!cssChecked.has(href)) {
    try {
      const response = await context.request.get(href);
      cssChecked.set(href, {
        status: response.status(),
        type: response.headers()['content-type'] || '',
      });
    } catch (error) {
      cssChecked.set(href, { status: 'nothing', type: `(${error.message.split('\n')[0]})` });
    }
  }
  return cssChecked.get(href);
}

/**
 * Checks the page as it is now as state `name`: axe, layout facts and screenshots at both
 * widths in both colour schemes. `german` names the English state whose headings the page
 * (in German) must not repeat; `status` is the answer's expected status, else `refused`
 * expects a 4xx (a form shown again with its error) and otherwise a 2xx.
 */
async function check(page, name, { german = null, status = null, refused = false } = {}) {
  const row = { state: name, url: page.url(), violations: [], failures: [] };
  report.push(row);
  const fail = (message) => row.failures.push(message);
  try {
    await page.waitForLoadState('load');
    const answered = page.sesameStatus;
    if (status !== null && answered !== status) fail(`answered ${answered}, expected ${status}`);
    if (status === null && refused && !(answered >= 400 && answered < 500)) {
      fail(`answered ${answered}, expected a refusal (4xx)`);
    }
    if (status === null && !refused && !(answered >= 200 && answered < 300)) {
      fail(`answered ${answered}, expected 2xx`);
    }
    const facts = {};
    // Controls too small to hit and words broken for want of room, with the widths where.
    const small = new Map();
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const colorScheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme });
        const at = `${viewport.width}px ${colorScheme}`;
        const f = await page.evaluate(pageFacts);
        facts[`${viewport.width}-${colorScheme}`] = f;
        const rules = AXE_RULES[`${viewport.width}-${colorScheme}`];
        if (rules !== undefined) {
          for (const v of await runAxe(page, rules)) {
            const known = row.violations.find((k) => k.id === v.id);
            if (!known) row.violations.push({ ...v, where: [at] });
            else if (!known.where.includes(at)) known.where.push(at);
          }
        }
        const note = (problem) => small.set(problem, [...(small.get(problem) || []), `${viewport.width}px`]);
        for (const c of f.controls) {
          if (c.height < MIN_CONTROL_HEIGHT - 0.5) {
            note(`${c.what} is ${c.height.toFixed(1)} px tall (< ${MIN_CONTROL_HEIGHT})`);
          }
        }
        for (const b of f.brokenWords) note(`word broken for want of room: ${b}`);
        if (viewport.width === 375 && f.scrollWidth > f.innerWidth) {
          fail(`${at}: scrolls sideways (scrollWidth ${f.scrollWidth} > ${f.innerWidth})`);
        }
        if (viewport.width === 1280 && f.card) {
          const off = Math.abs(f.card.left - f.card.right);
          if (off > 2) {
            fail(`${at}: card not centred (left ${f.card.left.toFixed(1)}, right ${f.card.right.toFixed(1)})`);
          }
        }
        await page.screenshot({
          path: join(ARTIFACTS, `${slug(name)}-${viewport.width}-${colorScheme}.png`),
          fullPage: true,
        });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize(VIEWPORTS[0]);
    for (const [what, widths] of small) fail(`${what} at ${[...new Set(widths)].join(', ')}`);

    const light = facts['1280-light'];
    const dark = facts['1280-dark'];
    if (!light.lang) fail('<html> has no lang');
    if (light.h1 !== 1) fail(`${light.h1} h1 elements (one expected)`);
    const css = light.sheets.filter((s) => new URL(s.href).pathname === '/sesame.css');
    if (css.length !== 1) {
      fail(`links ${css.length} /sesame.css stylesheets (one expected; links: ${light.sheets.map((s) => s.href).join(', ') || 'none'})`);
    }
    for (const sheet of css) {
      if (!new URL(sheet.href).searchParams.get('v')) fail(`stylesheet ${sheet.href} has no ?v= hash`);
      const answer = await stylesheetAnswers(page.context(), sheet.href);
      if (answer.status !== 200 || !answer.type.startsWith('text/css')) {
        fail(`stylesheet ${sheet.href} answered ${answer.status} ${answer.type}`);
      }
      if (sheet.rules <= 0) fail(`stylesheet ${sheet.href} did not apply (no rules loaded)`);
    }
    if (light.fontFamily === serifDefault) {
      fail(`body font is the browser default (${light.fontFamily}): no stylesheet applied`);
    }
    if (!light.card) {
      fail('no <main> element');
    } else {
      const transparent = /^rgba\(0, 0, 0, 0\)$|^transparent$/;
      const painted = !transparent.test(light.card.background)
        && light.card.background !== light.bodyBackground;
      if (light.card.border <= 0 && !painted) {
        fail(`the <main> card has neither border nor background of its own (${light.card.background})`);
      }
    }
    if (light.bodyBackground === dark.bodyBackground) {
      fail(`dark mode keeps the body background (${light.bodyBackground})`);
    }
    const cspMessages = page.sesameConsole.filter((m) => /Content Security Policy/i.test(m));
    for (const m of cspMessages) fail(`console: ${m.slice(0, 200)}`);
    for (const v of light.csp) {
      if (!cspMessages.length) fail(`CSP violation: ${v}`);
    }
    for (const m of page.sesameConsole.filter((m) => m.startsWith('page error'))) fail(m);
    page.sesameConsole = [];

    if (german) {
      if (light.lang !== 'de') fail(`<html lang="${light.lang}">, expected "de"`);
      const english = englishHeadings.get(german) || [];
      if (!english.length) fail(`no English state "${german}" to compare with`);
      for (const heading of light.headings) {
        if (english.includes(heading)) fail(`English heading left: "${heading}"`);
      }
    } else {
      englishHeadings.set(name, light.headings);
    }
    for (const v of row.violations) {
      if (SERIOUS.has(v.impact)) {
        fail(`axe ${v.impact} ${v.id} (${v.where.join(', ')}): ${v.help}; `
          + v.nodes.slice(0, 4).map((n) => `${n.target} ${n.html}`).join(' | '));
      }
    }
  } catch (error) {
    fail(`check failed: ${error.message.split('\n')[0]}`);
  }
  log(`${name}: ${row.failures.length ? `${row.failures.length} problem(s)` : 'ok'}`);
  return row;
}

// --- Navigating --------------------------------------------------------------------------

/** Opens `path` and remembers the answer's status for `check`. */
async function open(page, base, path) {
  const response = await page.goto(`${base}${path}`);
  page.sesameStatus = response ? response.status() : null;
  return page;
}

/** Clicks `button` and waits for the page it leads to (after any redirects). */
async function submit(page, button) {
  const answered = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame()
      && (r.status() < 300 || r.status() >= 400),
    { timeout: 15000 },
  );
  await button.click();
  const response = await answered;
  page.sesameStatus = response.status();
  await page.waitForLoadState('load');
}

const submitButton = (form) => form.locator('button:not([type=button]), input[type=submit]').first();

/** Fills every password field of `form` with `value` (a new password and its repetition). */
async function fillPasswords(form, value) {
  const fields = form.locator('input[type=password]');
  for (let i = 0; i < (await fields.count()); i += 1) await fields.nth(i).fill(value);
}

async function signIn(page, base, identity, password) {
  await open(page, base, '/login');
  const form = page.locator('form[action="/login"]');
  await form.locator('input[autocomplete~=username]').fill(identity);
  await form.locator('input[type=password]').fill(password);
  await submit(page, submitButton(form));
}

/** Runs `step`; a failure is recorded and the run goes on with the next flow. */
async function flow(name, step) {
  try {
    await step();
  } catch (error) {
    flowFailures.push(`${name}: ${error.message.split('\n')[0]}`);
    log(`${name}: FAILED ${error.message.split('\n')[0]}`);
  }
}

// --- The pages -------------------------------------------------------------------------

/** Changing the address (the link to the new one, the undo from the old one), the username,
 * and recovering the username. */
async function accountChangePages(browser, { base, direct, dir }) {
  const registered = await postJson(`${direct}/register`, { email: MARY, password: MARY_PASSWORD, username: 'mary' });
  if (registered.status !== 202) throw new Error(`registering ${MARY} answered ${registered.status}`);
  const context = await newContext(browser);
  const page = await newPage(context);
  await flow('changing the email address', async () => {
    await signIn(page, base, MARY, MARY_PASSWORD);
    await check(await open(page, base, '/change-email'), '/change-email');
    const form = () => page.locator('form[action="/change-email"]');
    // The browser's own check stops a malformed address; the account's own one is Sesame's.
    await form().locator('[name=email]').fill(MARY);
    await submit(page, submitButton(form()));
    await check(page, '/change-email the current address', { refused: true });
    await form().locator('[name=email]').fill(MARY_NEW);
    await submit(page, submitButton(form()));
    await check(page, 'message: change-email link sent');
    const confirm = mailedToken(dir, MARY_NEW, 'change-email/confirm');
    await open(page, base, `/change-email/confirm?token=${encodeURIComponent(confirm)}`);
    await check(page, 'message: email changed (mailed link)');
    const restore = mailedToken(dir, MARY, 'change-email/restore');
    const other = await newContext(browser);
    const mailbox = await newPage(other);
    await check(await open(mailbox, base, `/change-email/restore?token=${encodeURIComponent(restore)}`), '/change-email/restore (old address)');
    await submit(mailbox, submitButton(mailbox.locator('form[action="/change-email/restore"]')));
    await check(mailbox, 'message: old address restored');
    await other.close();
    const me = await context.request.get(`${base}/me`, { headers: { accept: 'application/json' } });
    if (me.ok()) throw new Error('the restore left a session signed in');
  });
  await flow('changing and recovering the username', async () => {
    await context.clearCookies();
    await signIn(page, base, MARY, MARY_PASSWORD);
    await check(await open(page, base, '/change-username'), '/change-username');
    const form = page.locator('form[action="/change-username"]');
    await form.locator('[name=username]').fill('mary.k');
    await submit(page, submitButton(form));
    await check(page, 'message: username changed');
    await context.clearCookies();
    await check(await open(page, base, '/recover-username'), '/recover-username');
    const ask = page.locator('form[action="/recover-username"]');
    await ask.locator('[name=email]').fill(MARY);
    await submit(page, submitButton(ask));
    await check(page, 'message: username on its way');
  });
  await context.close();
}

/** Signing in without a password: registration without one, the mailed code, the link in the
 * browser that asked and in another one (the device code), and email as a second factor. */
async function passwordlessPages(browser, { base, direct, dir }) {
  const context = await newContext(browser);
  const page = await newPage(context);

  await flow('registration without a password', async () => {
    await open(page, base, '/register');
    const form = page.locator('form[action="/register"]');
    await form.locator('[name=email]').fill(HEDY);
    await submit(page, submitButton(form));
    await check(page, 'message: registration received (no password)');
  });

  /** Asks for a code as `identity` in `tab`; the device code the page shows. */
  const askForCode = async (tab, label) => {
    await open(tab, base, '/us-signin');
    const form = tab.locator('form[action="/us-signin/send-code"]');
    await form.locator('[name=identity]').fill(HEDY);
    await submit(tab, submitButton(form));
    if (label) await check(tab, label);
    const shown = /\b([0-9]{6})\b/.exec(await tab.locator('.device-code').innerText());
    if (!shown) throw new Error('no device code on the code page');
    return shown[1];
  };
  const signedInAs = async (ctx) => {
    const me = await ctx.request.get(`${base}/me`, { headers: { accept: 'application/json' } });
    return me.ok() ? (await me.json()).user.email : null;
  };

  await flow('sign-in with a mailed code', async () => {
    await open(page, base, '/login');
    await page.locator('a[href="/us-signin"]').first().click();
    await page.waitForLoadState('load');
    page.sesameStatus = 200;
    await check(page, '/us-signin');
    await askForCode(page, '/us-signin code sent (code and device code)');
    const code = mailedCode(dir, HEDY);
    const form = () => page.locator('form[action="/us-signin"]');
    await form().locator('[name=code]').fill(code === '00000000' ? '11111111' : '00000000');
    await submit(page, submitButton(form()));
    await check(page, '/us-signin wrong code', { refused: true });
    await form().locator('[name=code]').fill(code);
    await submit(page, submitButton(form()));
    if ((await signedInAs(context)) !== HEDY) throw new Error('the mailed code did not sign in');
  });

  await flow('the mailed link in the browser that asked', async () => {
    await context.clearCookies();
    await askForCode(page);
    const token = mailedToken(dir, HEDY, 'us-verify-link');
    await open(page, base, `/us-verify-link?token=${encodeURIComponent(token)}`);
    if ((await signedInAs(context)) !== HEDY) throw new Error('the link did not sign in its browser');
  });

  await flow('the mailed link in another browser', async () => {
    await context.clearCookies();
    const deviceCode = await askForCode(page);
    const token = mailedToken(dir, HEDY, 'us-verify-link');
    const other = await newContext(browser);
    const elsewhere = await newPage(other);
    await open(elsewhere, base, `/us-verify-link?token=${encodeURIComponent(token)}`);
    await check(elsewhere, '/us-verify-link in another browser (device code)');
    if ((await signedInAs(other)) !== null) throw new Error('the link signed in a browser that did not ask');
    const form = () => elsewhere.locator('form[action="/us-verify-link"]');
    await form().locator('[name=code]').fill(deviceCode === '000000' ? '111111' : '000000');
    await submit(elsewhere, submitButton(form()));
    await check(elsewhere, '/us-verify-link wrong device code', { refused: true });
    await form().locator('[name=code]').fill(deviceCode);
    await submit(elsewhere, submitButton(form()));
    if ((await signedInAs(other)) !== HEDY) throw new Error('the device code did not sign in');
    await other.close();
  });
  await context.close();

  const registered = await postJson(`${direct}/register`, { email: KATHERINE, password: KATHERINE_PASSWORD });
  if (registered.status !== 202) throw new Error(`registering ${KATHERINE} answered ${registered.status}`);
  const second = await newContext(browser);
  const tab = await newPage(second);
  await flow('email as a second factor', async () => {
    await signIn(tab, base, KATHERINE, KATHERINE_PASSWORD);
    await open(tab, base, '/tf-setup');
    await submit(tab, submitButton(tab.locator('form[action="/tf-setup"]:has(input[name=setup][value=email])')));
    await check(tab, '/tf-setup email enrolling');
    const confirm = () => tab.locator('form[action="/tf-setup"]:has([name=code])');
    await confirm().locator('[name=code]').fill(mailedCode(dir, KATHERINE));
    await submit(tab, submitButton(confirm()));
    await check(tab, 'two-factor turned on (email)');
    await second.clearCookies();
    await signIn(tab, base, KATHERINE, KATHERINE_PASSWORD);
    await check(tab, '/tf-select (email only)');
    await submit(tab, submitButton(tab.locator('form[action="/tf-select"]')));
    await check(tab, '/tf-email');
    const code = mailedCode(dir, KATHERINE);
    const form = () => tab.locator('form[action="/tf-email"]');
    await form().locator('[name=code]').fill(code === '00000000' ? '11111111' : '00000000');
    await submit(tab, submitButton(form()));
    await check(tab, '/tf-email wrong code', { refused: true });
    await form().locator('[name=code]').fill(code);
    await submit(tab, submitButton(form()));
    if ((await signedInAs(second)) !== KATHERINE) throw new Error('the mailed second factor did not sign in');
  });
  await second.close();
}

async function signedOutPages(browser, { base, dir }) {
  const context = await newContext(browser);
  const page = await newPage(context);

  await flow('start and error pages', async () => {
    await check(await open(page, base, '/'), 'start page /');
    await check(await open(page, base, '/no-such-page'), '404 page', { status: 404 });
    await check(await open(page, base, '/account'), '/account signed out (error page)', { refused: true });
  });

  await flow('registration', async () => {
    await check(await open(page, base, '/register'), '/register empty');
    const form = page.locator('form[action="/register"]');
    await form.locator('[name=email]').fill(ADA);
    await fillPasswords(form, 'password1');
    await submit(page, submitButton(form));
    await check(page, '/register weak password', { refused: true });
    const again = page.locator('form[action="/register"]');
    await again.locator('[name=email]').fill(ADA);
    await fillPasswords(again, ADA_FIRST_PASSWORD);
    await submit(page, submitButton(again));
    await check(page, 'message: registration received');
    await open(page, base, `/confirm?token=${encodeURIComponent(mailedToken(dir, ADA, 'confirm'))}`);
    await check(page, 'message: email confirmed (mailed link)');
  });

  await flow('sign-in form', async () => {
    await check(await open(page, base, '/login'), '/login empty');
    await check(
      await open(page, base, `/login?login_hint=${encodeURIComponent(ADA)}`),
      '/login with login_hint',
    );
    const hinted = await page.locator('form[action="/login"] input[autocomplete~=username]').inputValue();
    if (hinted !== ADA) flowFailures.push(`/login?login_hint: identity field holds "${hinted}"`);
    const form = page.locator('form[action="/login"]');
    await form.locator('input[type=password]').fill('not the password');
    await submit(page, submitButton(form));
    await check(page, '/login wrong password', { refused: true });
  });

  await flow('password reset', async () => {
    await check(await open(page, base, '/reset'), '/reset ask for a link');
    const ask = page.locator('form[action="/reset"]');
    await ask.locator('[name=email]').fill(ADA);
    await submit(page, submitButton(ask));
    await check(page, 'message: reset link sent');
    const token = mailedToken(dir, ADA, 'reset');
    await check(await open(page, base, `/reset?token=${encodeURIComponent(token)}`), '/reset with token');
    const form = page.locator('form[action="/reset"]');
    const fields = form.locator('input[type=password]');
    await fields.nth(0).fill(ADA_PASSWORD);
    if ((await fields.count()) > 1) await fields.nth(1).fill(`${ADA_PASSWORD} (typo)`);
    else await fields.nth(0).fill('short');
    await submit(page, submitButton(form));
    await check(page, '/reset with token, error', { refused: true });
    await open(page, base, `/reset?token=${encodeURIComponent(token)}`);
    const retry = page.locator('form[action="/reset"]');
    await fillPasswords(retry, ADA_PASSWORD);
    await submit(page, submitButton(retry));
    await check(page, 'message: password reset');
  });

  await flow('pages without a pending sign-in', async () => {
    await check(await open(page, base, '/mf-recovery'), '/mf-recovery without a pending sign-in (error page)', { refused: true });
    await check(await open(page, base, '/wan-signin'), '/wan-signin');
  });
  await context.close();
}

/** An authorization request of the registered client, as an OpenID library sends it. */
function authorizeQuery(clientId) {
  const verifier = randomBytes(32).toString('base64url');
  return new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile offline_access',
    state: 'pages-test',
    nonce: 'pages-test',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
}

/** Signing in on the way to an application: the page that hands the browser back to it. */
async function continuePage(browser, { base, clientId }) {
  const context = await newContext(browser);
  const page = await newPage(context);
  await flow('sign-in on the way to an application', async () => {
    await page.goto(`${base}/oauth/authorize?${authorizeQuery(clientId)}`);
    if (new URL(page.url()).pathname !== '/login') throw new Error(`sent to ${page.url()}, not /login`);
    // The page goes on to the authorization endpoint at once; cancelled (no error page),
    // that navigation leaves it to be seen.
    await page.route((url) => url.pathname === '/oauth/authorize', (route) => route.abort('aborted'));
    const form = page.locator('form[action="/login"]');
    await form.locator('input[autocomplete~=username]').fill(ADA);
    await form.locator('input[type=password]').fill(ADA_PASSWORD);
    await submit(page, submitButton(form));
    await check(page, 'signed in, continuing to the application');
  });
  await context.close();
}

async function accountPages(browser, { base, direct, clientId }) {
  const context = await newContext(browser);
  const page = await newPage(context);

  await flow('signed-in pages', async () => {
    await signIn(page, base, ADA, ADA_PASSWORD);
    // A second session, from another device.
    const other = await postJson(`${direct}/login`, { email: ADA, password: ADA_PASSWORD }, {
      'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile Safari/604.1',
    });
    if (other.status !== 200) throw new Error(`second sign-in answered ${other.status}`);
    await check(await open(page, base, '/me'), '/me signed in');
    await check(await open(page, base, '/account'), '/account signed in');
    await check(await open(page, base, '/sessions'), '/sessions with two sessions');
    const rows = await page.locator('main tbody tr').count();
    if (rows !== 2) flowFailures.push(`/sessions lists ${rows} sessions, expected 2`);
  });

  await flow('password change', async () => {
    await check(await open(page, base, '/change'), '/change');
    const form = page.locator('form[action="/change"]');
    await fillPasswords(form, 'a brand new password');
    await form.locator('[name=password]').fill('not the password');
    await submit(page, submitButton(form));
    await check(page, '/change wrong current password', { refused: true });
  });

  await flow('re-authentication', async () => {
    await check(await open(page, base, '/verify'), '/verify');
    const form = page.locator('form[action="/verify"]');
    await form.locator('input[type=password]').fill('not the password');
    await submit(page, submitButton(form));
    await check(page, '/verify wrong password', { refused: true });
  });

  await flow('OpenID consent and logout', async () => {
    await check(
      await open(page, base, `/oauth/authorize?${authorizeQuery(clientId)}`),
      'OpenID consent /oauth/authorize',
    );
    if (!(await page.locator('form[action="/oauth/authorize"]').count())) {
      flowFailures.push('/oauth/authorize: no consent form');
    }
    await check(await open(page, base, '/oauth/logout'), '/oauth/logout confirmation');
    const form = page.locator('form[action="/oauth/logout"]');
    await submit(page, submitButton(form));
    await check(page, 'message: signed out by /oauth/logout');
  });
  await context.close();
}

async function germanPages(browser, { base }) {
  const context = await newContext(browser, {
    locale: 'de-DE',
    extraHTTPHeaders: { 'accept-language': 'de' },
  });
  const page = await newPage(context);
  await flow('German pages', async () => {
    await check(await open(page, base, '/login'), 'de /login', { german: '/login empty' });
    await check(await open(page, base, '/register'), 'de /register', { german: '/register empty' });
    await check(await open(page, base, '/reset'), 'de /reset', { german: '/reset ask for a link' });
    await check(await open(page, base, '/no-such-page'), 'de 404 page', { german: '404 page', status: 404 });
    await signIn(page, base, ADA, ADA_PASSWORD);
    await check(await open(page, base, '/account'), 'de /account', { german: '/account signed in' });
    await check(await open(page, base, '/sessions'), 'de /sessions', { german: '/sessions with two sessions' });
  });
  await context.close();
}

async function twoFactorPages(browser, { base, direct }) {
  const registered = await postJson(`${direct}/register`, { email: GRACE, password: GRACE_PASSWORD });
  if (registered.status !== 202) throw new Error(`registering ${GRACE} answered ${registered.status}`);
  const context = await newContext(browser);
  const page = await newPage(context);
  let secret = null;
  let recoveryCodes = [];

  await flow('two-factor set-up', async () => {
    await signIn(page, base, GRACE, GRACE_PASSWORD);
    await check(await open(page, base, '/mf-recovery-codes'), '/mf-recovery-codes, two-factor off');
    await check(await open(page, base, '/tf-setup'), '/tf-setup off');
    const start = page.locator('form[action="/tf-setup"]:has(input[name=setup][value=authenticator])');
    await submit(page, submitButton(start));
    await check(page, '/tf-setup enrolling (QR code)');
    // The key people type in when they cannot scan: in the otpauth URI if the page links it,
    // else the key shown as text.
    const shown = /otpauth:\/\/[^"'\s]*[?&]secret=([A-Z2-7]+)/i.exec(await page.content())
      || /\b([A-Z2-7]{4}(?: ?[A-Z2-7]{4}){3,})\b/.exec(await page.locator('main').innerText());
    if (!shown) throw new Error('no TOTP secret on the enrolment page');
    secret = shown[1].replace(/\s/g, '');
    const confirm = () => page.locator('form[action="/tf-setup"]:has([name=code])');
    await confirm().locator('[name=code]').fill('000000' === totp(secret) ? '111111' : '000000');
    await submit(page, submitButton(confirm()));
    await check(page, '/tf-setup enrolling, wrong code', { refused: true });
    await confirm().locator('[name=code]').fill(totp(secret));
    await submit(page, submitButton(confirm()));
    await check(page, 'two-factor turned on');
    await check(await open(page, base, '/tf-setup'), '/tf-setup on');
    await check(await open(page, base, '/mf-recovery-codes'), '/mf-recovery-codes, none yet');
    await submit(page, submitButton(page.locator('form[action="/mf-recovery-codes"]')));
    await check(page, '/mf-recovery-codes, a fresh set');
    recoveryCodes = await page.locator('main li code, main ol code, main ol li').allInnerTexts();
    recoveryCodes = recoveryCodes.map((c) => c.trim()).filter((c) => /^[A-Za-z0-9-]{6,}$/.test(c));
    if (!recoveryCodes.length) throw new Error('no recovery codes shown');
  });

  await flow('second factor of a pending sign-in', async () => {
    await context.clearCookies();
    await signIn(page, base, GRACE, GRACE_PASSWORD);
    await check(page, '/tf-select during a pending sign-in');
    await check(await open(page, base, '/tf-validate'), '/tf-validate empty');
    const code = page.locator('form[action="/tf-validate"]');
    await code.locator('[name=code]').fill(totp(secret, { at: Date.now() - 10 * 60 * 1000 }));
    await submit(page, submitButton(code));
    await check(page, '/tf-validate wrong code', { refused: true });
    await check(await open(page, base, '/mf-recovery'), '/mf-recovery empty');
    const recovery = page.locator('form[action="/mf-recovery"]');
    await recovery.locator('[name=code]').fill('not-a-code');
    await submit(page, submitButton(recovery));
    await check(page, '/mf-recovery wrong code', { refused: true });
    await page.locator('form[action="/mf-recovery"] [name=code]').fill(recoveryCodes[0]);
    await submit(page, submitButton(page.locator('form[action="/mf-recovery"]')));
    const me = await (await context.request.get(`${base}/me`, { headers: { accept: 'application/json' } })).json();
    if (!me.user || me.user.email !== GRACE) throw new Error('a recovery code did not finish the sign-in');
  });
  await context.close();
}

const AUTHENTICATOR = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};

/** A page with a virtual authenticator, holding `credentials` (from another one). */
async function withAuthenticator(context, credentials = []) {
  const page = await newPage(context);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR });
  for (const credential of credentials) {
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
  }
  const asserted = [];
  cdp.on('WebAuthn.credentialAsserted', (event) => asserted.push(event.credential.credentialId));
  return { page, cdp, authenticatorId, asserted };
}

/**
 * Reports each navigator.credentials.get of the context's pages with its mediation into the
 * returned list, so the test knows which request signed the browser in (the page that made it
 * is gone by then). The request itself goes on unchanged.
 */
async function recordCredentialRequests(context) {
  const requests = [];
  await context.exposeFunction('sesameCredentialRequest', (path, mediation) => {
    requests.push({ path, mediation });
  });
  await context.addInitScript(() => {
    if (!navigator.credentials) return;
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (options) => {
      window.sesameCredentialRequest(location.pathname, (options && options.mediation) || 'optional');
      return get(options);
    };
  });
  return requests;
}

async function signedInJson(context, base) {
  const response = await context.request.get(`${base}/me`, { headers: { accept: 'application/json' } });
  return response.status() === 200 ? (await response.json()).user.email : null;
}

async function passkeyPages(browser, { base, direct }) {
  const registered = await postJson(`${direct}/register`, { email: LIN, password: LIN_PASSWORD });
  if (registered.status !== 202) throw new Error(`registering ${LIN} answered ${registered.status}`);
  const context = await newContext(browser);
  const requests = await recordCredentialRequests(context);
  const { page, cdp, authenticatorId, asserted } = await withAuthenticator(context);
  let stored = [];

  await flow('passkey pages', async () => {
    await signIn(page, base, LIN, LIN_PASSWORD);
    await check(await open(page, base, '/wan-register'), '/wan-register empty');
    await page.locator('form[data-wan=register] [name=name]').fill('Laptop passkey');
    await page.locator('form[data-wan=register] [name=usage][value=first]').check().catch(() => {});
    await Promise.all([
      page.waitForURL(`${base}/wan-register`, { waitUntil: 'load' }),
      page.locator('form[data-wan=register] button:not([type=button])').first().click(),
    ]);
    await page.waitForSelector('main :text("Laptop passkey")', { timeout: 10000 });
    ({ credentials: stored } = await cdp.send('WebAuthn.getCredentials', { authenticatorId }));
    if (stored.length !== 1) throw new Error(`${stored.length} credentials in the authenticator`);
    page.sesameStatus = 200;
    await check(page, '/wan-register with a passkey');
    await check(await open(page, base, '/account'), '/account with a passkey');
    await check(await open(page, base, '/wan-verify'), '/wan-verify');
  });

  await flow('passkey autofill on /login', async () => {
    await signOut(page, base);
    if (await signedInJson(context, base)) throw new Error('still signed in after signing out');
    const before = asserted.length;
    requests.length = 0;
    await page.goto(`${base}/login`);
    const field = page.locator('input[autocomplete~=webauthn]');
    const fields = await field.count().catch(() => 0);
    // People focus the field and pick the passkey from the autofill list. Chromium's virtual
    // authenticator, with the WebAuthn UI off (WebAuthn.enable's default), answers a
    // conditional request as soon as it is made, without the focus or a pick, so the page
    // may already be on its way; with the UI on, headless Chromium never answers it.
    const away = (timeout) => page.waitForURL((url) => url.pathname !== '/login', { timeout })
      .then(() => true, () => false);
    let when = 'before the field was focused';
    if (!(await away(5000))) {
      when = 'once the field was focused';
      if (fields === 1) await field.focus().catch(() => {});
      await away(10000);
    }
    const who = await signedInJson(context, base);
    const made = JSON.stringify(requests);
    if (!requests.some((r) => r.path === '/login' && r.mediation === 'conditional')) {
      throw new Error(`/login made no conditional request (requests: ${made}; `
        + `fields with autocomplete "… webauthn": ${fields})`);
    }
    if (requests.some((r) => r.mediation !== 'conditional')) {
      throw new Error(`/login also made a modal request without a click: ${made}`);
    }
    if (fields !== 1) throw new Error(`/login has ${fields} fields with autocomplete "… webauthn"`);
    if (who !== LIN) {
      throw new Error(`the conditional request did not sign in (requests: ${made}, `
        + `assertions: ${asserted.length - before}, now at ${page.url()})`);
    }
    if (asserted.length - before !== 1) throw new Error(`${asserted.length - before} assertions, one expected`);
    log(`passkey autofill: the conditional request on /login signed in ${who} ${when}, now at ${page.url()}`);
  });
  // The copy the next browser gets has the signature counter as it is now: Sesame refuses a
  // counter that went back (a cloned authenticator).
  if (stored.length) ({ credentials: stored } = await cdp.send('WebAuthn.getCredentials', { authenticatorId }));
  await context.close();

  await flow('"Sign in with a passkey" without conditional mediation', async () => {
    if (!stored.length) throw new Error('no passkey from the previous flow');
    const fallback = await newContext(browser);
    const made = await recordCredentialRequests(fallback);
    await fallback.addInitScript(() => {
      if (window.PublicKeyCredential) {
        PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
      }
    });
    const copies = stored.map(({ credentialId, isResidentCredential, rpId, privateKey, userHandle, signCount }) =>
      ({ credentialId, isResidentCredential, rpId, privateKey, userHandle, signCount }));
    const { page: p } = await withAuthenticator(fallback, copies);
    await open(p, base, '/login');
    await p.waitForLoadState('load');
    await p.waitForTimeout(300);
    const button = p.getByRole('button', { name: /passkey/i });
    if (!(await button.count()) || !(await button.first().isVisible())) {
      throw new Error('no visible "Sign in with a passkey" button on /login');
    }
    await check(p, '/login without conditional mediation (passkey button)');
    await Promise.all([
      p.waitForURL((url) => url.pathname !== '/login', { timeout: 10000 }),
      button.first().click(),
    ]).catch(async (error) => {
      const said = await p.locator('#wan-status').textContent().catch(() => '');
      throw new Error(`${error.message.split('\n')[0]}; status: "${said}"; requests: ${JSON.stringify(made)}`);
    });
    if (made.some((r) => r.mediation === 'conditional')) {
      throw new Error(`a conditional request although unavailable: ${JSON.stringify(made)}`);
    }
    const who = await signedInJson(fallback, base);
    if (who !== LIN) throw new Error(`the passkey button did not sign in (at ${p.url()})`);
    log(`passkey button: signed in ${who} (requests: ${JSON.stringify(made)})`);
    await fallback.close();
  });
}

/**
 * Signs the browser out (POST /logout with the session's CSRF token) away from any page: the
 * sign-out button lands on /login, whose conditional request the virtual authenticator would
 * answer at once.
 */
async function signOut(page, base) {
  await page.goto('about:blank');
  const request = page.context().request;
  const me = await (await request.get(`${base}/me`, { headers: { accept: 'application/json' } })).json();
  const response = await request.post(`${base}/logout`, {
    headers: { accept: 'application/json', 'x-csrf-token': me.csrf_token, origin: base },
  });
  if (response.status() !== 200) throw new Error(`POST /logout answered ${response.status()}`);
}

async function secondFactorPasskeyPage(browser, { base }) {
  // A pending sign-in whose only second factor is a security key lands on /wan-signin.
  const context = await newContext(browser);
  const { page } = await withAuthenticator(context);
  await flow('security key as second factor', async () => {
    await signIn(page, base, ADA, ADA_PASSWORD);
    await open(page, base, '/wan-register');
    await page.locator('form[data-wan=register] [name=name]').fill('Desk key');
    await page.locator('form[data-wan=register] [name=usage][value=secondary]').check();
    await Promise.all([
      page.waitForURL(`${base}/wan-register`, { waitUntil: 'load' }),
      page.locator('form[data-wan=register] button:not([type=button])').first().click(),
    ]);
    await page.waitForSelector('main :text("Desk key")', { timeout: 10000 });
    await context.clearCookies();
    // Without the authenticator's help this time: the page must wait for the person.
    const anonymous = await newContext(browser);
    const p = await newPage(anonymous);
    await signIn(p, base, ADA, ADA_PASSWORD);
    await check(p, '/wan-signin as the second factor');
    await anonymous.close();
  });
  await context.close();
}

// --- The report --------------------------------------------------------------------------

function printReport() {
  const rows = report.map((r) => {
    const counts = Object.fromEntries(IMPACTS.map((i) => [i, 0]));
    for (const v of r.violations) counts[v.impact] = (counts[v.impact] || 0) + 1;
    return {
      state: r.state,
      ...counts,
      rules: r.violations.map((v) => `${v.id}(${v.impact[0]}${v.nodes.length})`).join(' ') || '-',
      checks: r.failures.length ? `${r.failures.length} failed` : 'ok',
    };
  });
  const widths = {
    state: Math.max(10, ...rows.map((r) => r.state.length)),
    rules: Math.max(5, ...rows.map((r) => r.rules.length)),
  };
  const line = (r) => [
    r.state.padEnd(widths.state),
    ...IMPACTS.map((i) => String(r[i]).padStart(i.length)),
    r.checks.padEnd(9),
    r.rules,
  ].join('  ');
  console.log('\naxe violations (rules) by impact per page state; rule(impact initial, nodes)');
  console.log(line({ state: 'page / state', critical: 'critical', serious: 'serious', moderate: 'moderate', minor: 'minor', checks: 'checks', rules: 'rules' }));
  console.log('-'.repeat(widths.state + 44 + Math.min(widths.rules, 60)));
  for (const r of rows) console.log(line(r));
  const failed = report.filter((r) => r.failures.length);
  if (failed.length) {
    console.log('\nproblems:');
    for (const r of failed) {
      console.log(`\n${r.state} (${r.url.length > 90 ? `${r.url.slice(0, 87)}...` : r.url})`);
      for (const f of r.failures) console.log(`  - ${f}`);
    }
  }
  if (flowFailures.length) {
    console.log('\nflows that did not finish:');
    for (const f of flowFailures) console.log(`  - ${f}`);
  }
}

async function main() {
  for (const name of ['SESAME_BIN', 'SESAME_COMPONENT']) {
    if (!process.env[name]) throw new Error(`${name} is not set`);
  }
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'sesame-pages-'));
  let child = null;
  // CI has two cores and other steps to run: the whole test stays bounded.
  const watchdog = setTimeout(() => {
    console.error(`pages.mjs: still running after ${RUN_LIMIT_MS / 1000} s, giving up`);
    printReport();
    if (child) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }, RUN_LIMIT_MS);
  watchdog.unref();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // localhost must reach the server's 127.0.0.1, never ::1.
    args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
  try {
    const clientId = await addClient(dir);
    const server = await startSesame(dir);
    child = server.child;
    const env = { ...server, dir, clientId };
    log(`sesame on ${server.base}`);
    {
      const blank = await browser.newPage();
      await blank.setContent('<!doctype html><p>x</p>');
      serifDefault = await blank.evaluate(() => getComputedStyle(document.body).fontFamily);
      await blank.close();
    }
    await signedOutPages(browser, env);
    await accountPages(browser, env);
    await continuePage(browser, env);
    await germanPages(browser, env);
    await twoFactorPages(browser, env);
    await passwordlessPages(browser, env);
    await accountChangePages(browser, env);
    await passkeyPages(browser, env);
    await secondFactorPasskeyPage(browser, env);
  } finally {
    await browser.close();
    if (child) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(join(ARTIFACTS, 'report.json'), JSON.stringify({ report, flowFailures }, null, 2));
  printReport();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const failedStates = report.filter((r) => r.failures.length).length;
  console.log(`\n${report.length} page states, ${failedStates} with problems, `
    + `${flowFailures.length} unfinished flows; screenshots in ${ARTIFACTS}; ${seconds} s`);
  if (failedStates || flowFailures.length) process.exit(1);
  console.log('browser page test: ok');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
