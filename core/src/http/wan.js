// Sesame's passkey pages: runs navigator.credentials for the forms marked data-wan, offers
// this device's passkeys in the sign-in form's autofill (form[data-wan-autofill], WebAuthn
// conditional mediation) or where the browser cannot, a passkey button, and posts the
// answers to Sesame as JSON. What it says comes from the page, in the page's language: the
// data-* attributes of #wan-status. Served at /wan.js; no other script runs on Sesame's pages.
'use strict';

(() => {
  const b64uEncode = (buffer) => {
    const bytes = new Uint8Array(buffer);
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const b64uDecode = (text) => {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };

  // The page's message `key` (data-<key> of #wan-status).
  const text = (key) => {
    const status = document.getElementById('wan-status');
    return (status && status.dataset[key]) || '';
  };

  const say = (message) => {
    const status = document.getElementById('wan-status');
    if (status) status.textContent = message;
  };

  // What to tell about a failure: Sesame's message (in the page's language, as the browser
  // asks for it), or for a request the person cancelled or let time out, the page's words
  // rather than the browser's technical ones.
  const reason = (error) => {
    if (error && error.name === 'NotAllowedError') return text('cancelled');
    return (error && error.message) || text('failed');
  };

  // Every call is same-origin JSON; signed-in pages carry the session's CSRF token.
  const post = async (path, body, csrf) => {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (csrf) headers['x-csrf-token'] = csrf;
    const response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify(body),
    });
    const json = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((json.error && json.error.message) || text('failed'));
      error.code = json.error && json.error.code;
      throw error;
    }
    return json;
  };

  const descriptors = (list) => (list || []).map((d) => ({ ...d, id: b64uDecode(d.id) }));

  const creationOptions = (publicKey) => ({
    ...publicKey,
    challenge: b64uDecode(publicKey.challenge),
    user: { ...publicKey.user, id: b64uDecode(publicKey.user.id) },
    excludeCredentials: descriptors(publicKey.excludeCredentials),
  });

  const requestOptions = (publicKey) => ({
    ...publicKey,
    challenge: b64uDecode(publicKey.challenge),
    allowCredentials: descriptors(publicKey.allowCredentials),
  });

  const registrationJson = (credential) => ({
    id: credential.id,
    rawId: b64uEncode(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: b64uEncode(credential.response.clientDataJSON),
      attestationObject: b64uEncode(credential.response.attestationObject),
      transports: credential.response.getTransports ? credential.response.getTransports() : [],
    },
  });

  const assertionJson = (credential) => ({
    id: credential.id,
    rawId: b64uEncode(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: b64uEncode(credential.response.clientDataJSON),
      authenticatorData: b64uEncode(credential.response.authenticatorData),
      signature: b64uEncode(credential.response.signature),
      userHandle: credential.response.userHandle
        ? b64uEncode(credential.response.userHandle)
        : null,
    },
  });

  // Ends a passkey sign-in started at /wan-signin: Sesame checks the answer against the
  // challenge it issued (once, before it expires) and sets the session cookie; the account
  // page then sends the browser on to where it was going, if anywhere.
  const finishSignIn = async (started, credential) => {
    await post('/wan-signin-response', { state: started.state, credential: assertionJson(credential) });
    say(text('signedIn'));
    window.location.assign('/me');
  };

  const ceremonies = {
    async register(form) {
      const csrf = form.dataset.csrf;
      const data = new FormData(form);
      const started = await post('/wan-register', { name: data.get('name'), usage: data.get('usage') }, csrf);
      say(text('creating'));
      const credential = await navigator.credentials.create({
        publicKey: creationOptions(started.options.publicKey),
      });
      const done = await post(
        '/wan-register-response',
        { state: started.state, credential: registrationJson(credential) },
        csrf,
      );
      // A function, so a name with `$&` in it is shown as typed.
      say(text('added').replace('{name}', () => done.credential.name));
      window.location.assign('/wan-register');
    },

    // A passkey sign-in in the browser's dialog; `form` may name whose passkeys to offer.
    async signin(form) {
      const identity = form ? new FormData(form).get('identity') : null;
      const started = await post('/wan-signin', identity ? { identity } : {});
      say(text('using'));
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(started.options.publicKey),
      });
      await finishSignIn(started, credential);
    },

    async verify(form) {
      const csrf = form.dataset.csrf;
      const started = await post('/wan-verify', {}, csrf);
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(started.options.publicKey),
      });
      await post(
        '/wan-verify-response',
        { state: started.state, credential: assertionJson(credential) },
        csrf,
      );
      say(text('verified'));
      window.location.assign('/wan-register');
    },
  };

  // The pending autofill request. A browser runs one credential request at a time, so it is
  // aborted before the passkey button asks for another, and before the password form is sent.
  let autofill = null;
  const stopAutofill = () => {
    if (autofill) autofill.abort();
    autofill = null;
  };

  // The passkey button, for browsers without passkey autofill or after it failed.
  const showPasskeyButton = () => {
    for (const fallback of document.querySelectorAll('[data-wan-fallback]')) fallback.hidden = false;
  };

  // Offers this device's passkeys in the autofill of the form's identity field. The challenge
  // is the one every passkey sign-in without a username gets from /wan-signin: single use,
  // short-lived, throttled per address, with no list of credentials that could tell whose
  // account exists. One per page view; should it fail, the button is the way to try again.
  const offerInAutofill = async (form) => {
    const controller = new AbortController();
    autofill = controller;
    form.addEventListener('submit', stopAutofill);
    let started;
    let credential;
    try {
      started = await post('/wan-signin', {});
      credential = await navigator.credentials.get({
        mediation: 'conditional',
        signal: controller.signal,
        publicKey: requestOptions(started.options.publicKey),
      });
    } catch (error) {
      // Aborted for the password or the button: nothing to say. Otherwise (throttled, or
      // the browser refused) the button remains, silently: nobody asked for anything yet.
      if (!controller.signal.aborted) showPasskeyButton();
      return;
    } finally {
      if (autofill === controller) autofill = null;
    }
    if (!credential) {
      showPasskeyButton();
      return;
    }
    try {
      await finishSignIn(started, credential);
    } catch (error) {
      say(reason(error));
      showPasskeyButton();
    }
  };

  // Whether the browser offers passkeys in autofill (WebAuthn conditional mediation).
  const autofillAvailable = async () => {
    const check = window.PublicKeyCredential.isConditionalMediationAvailable;
    if (typeof check !== 'function') return false;
    try {
      return Boolean(await check.call(window.PublicKeyCredential));
    } catch {
      return false;
    }
  };

  // Runs `ceremony` with `button` disabled meanwhile, saying how it failed.
  const run = (button, ceremony) => {
    if (button) button.disabled = true;
    ceremony()
      .catch((error) => say(reason(error)))
      .finally(() => {
        if (button) button.disabled = false;
      });
  };

  document.addEventListener('DOMContentLoaded', () => {
    for (const time of document.querySelectorAll('time[data-ms]')) {
      const at = new Date(Number(time.dataset.ms));
      time.dateTime = at.toISOString();
      time.textContent = at.toLocaleString(document.documentElement.lang || undefined);
    }
    for (const form of document.querySelectorAll('form[data-wan]')) {
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        if (!window.PublicKeyCredential) {
          say(text('unsupported'));
          return;
        }
        run(form.querySelector('button'), () => ceremonies[form.dataset.wan](form));
      });
    }
    // The sign-in page: without passkey support the password form and the link remain.
    if (!window.PublicKeyCredential) return;
    for (const button of document.querySelectorAll('button[data-wan-passkey]')) {
      button.addEventListener('click', () => {
        stopAutofill();
        run(button, () => ceremonies.signin(null));
      });
    }
    const form = document.querySelector('form[data-wan-autofill]');
    if (form) {
      autofillAvailable().then((available) => {
        if (available) offerInAutofill(form);
        else showPasskeyButton();
      });
    }
  });
})();
