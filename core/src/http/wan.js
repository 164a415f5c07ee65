// Sesame's passkey pages: runs navigator.credentials for the forms marked data-wan and posts
// the answers to Sesame as JSON. Served at /wan.js; no other script runs on Sesame's pages.
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

  const say = (message) => {
    const status = document.getElementById('wan-status');
    if (status) status.textContent = message;
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
      throw new Error((json.error && json.error.message) || `Sesame answered ${response.status}.`);
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

  const ceremonies = {
    async register(form) {
      const csrf = form.dataset.csrf;
      const data = new FormData(form);
      const started = await post('/wan-register', { name: data.get('name'), usage: data.get('usage') }, csrf);
      say('Follow your browser to create the passkey…');
      const credential = await navigator.credentials.create({
        publicKey: creationOptions(started.options.publicKey),
      });
      const done = await post(
        '/wan-register-response',
        { state: started.state, credential: registrationJson(credential) },
        csrf,
      );
      say(`Added \u201c${done.credential.name}\u201d.`);
      window.location.assign('/wan-register');
    },

    async signin(form) {
      const data = new FormData(form);
      const identity = data.get('identity');
      const started = await post('/wan-signin', identity ? { identity } : {});
      say('Follow your browser to use your passkey…');
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(started.options.publicKey),
      });
      await post('/wan-signin-response', { state: started.state, credential: assertionJson(credential) });
      say('Signed in.');
      window.location.assign('/me');
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
      say('Verified.');
      window.location.assign('/wan-register');
    },
  };

  document.addEventListener('DOMContentLoaded', () => {
    for (const time of document.querySelectorAll('time[data-ms]')) {
      const at = new Date(Number(time.dataset.ms));
      time.dateTime = at.toISOString();
      time.textContent = at.toLocaleString();
    }
    for (const form of document.querySelectorAll('form[data-wan]')) {
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        if (!window.PublicKeyCredential) {
          say('This browser does not support passkeys.');
          return;
        }
        const button = form.querySelector('button');
        if (button) button.disabled = true;
        ceremonies[form.dataset.wan](form)
          .catch((error) => say(error.message || String(error)))
          .finally(() => {
            if (button) button.disabled = false;
          });
      });
    }
  });
})();
