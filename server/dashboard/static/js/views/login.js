// Sign in with a username and password (the collector sets an HttpOnly
// session cookie; no secret is kept in the page) or with an API token
// (kept in sessionStorage for this tab only).

import { post, session } from '../api.js';
import { h, setText } from '../dom.js';

let messageEl = null;

export function showMessage(text) {
  if (messageEl) setText(messageEl, text);
}

export function mount(container) {
  messageEl = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'login-error' });
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', spellcheck: 'false', autocapitalize: 'none' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'token-help' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'login panel',
      onsubmit: async (e) => {
        e.preventDefault();
        const t = token.value.trim();
        if (t) {
          session.set(t);
          window.dispatchEvent(new Event('hashwatt:signed-in'));
          return;
        }
        if (!username.value.trim() || !password.value) return showMessage('Enter your username and password, or an API token.');
        submit.disabled = true;
        try {
          session.clear();
          await post('/session', { username: username.value.trim(), password: password.value });
          window.dispatchEvent(new Event('hashwatt:signed-in'));
        } catch (err) {
          showMessage(err.status === 429 ? err.message : err.status === 401 ? 'Wrong username or password.' : `Cannot sign in: ${err.message}`);
          password.value = '';
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h1', {}, h('span', { class: 'brand' }, 'hashwatt'), ' operator dashboard'),
    h('label', { for: 'username' }, 'Username'),
    username,
    h('label', { for: 'password' }, 'Password'),
    password,
    h('label', { for: 'token' }, 'or an API token'),
    token,
    h('p', { id: 'token-help', class: 'muted' }, 'A user\'s token or a service token from the collector configuration. The demo prints one for each role.'),
    messageEl,
    submit,
  );
  container.append(form);
  username.focus();
  return () => {
    messageEl = null;
  };
}
