// Sign in with an API token. The collector checks it; we only keep it in
// sessionStorage for this tab.

import { session } from '../api.js';
import { h, setText } from '../dom.js';

let messageEl = null;

export function showMessage(text) {
  if (messageEl) setText(messageEl, text);
}

export function mount(container) {
  messageEl = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'login-error' });
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false', 'aria-describedby': 'token-help' });
  const form = h(
    'form',
    {
      class: 'login panel',
      onsubmit: (e) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) return showMessage('Enter an API token.');
        session.set(token);
        window.dispatchEvent(new Event('hashwatt:signed-in'));
      },
    },
    h('h1', {}, h('span', { class: 'brand' }, 'hashwatt'), ' operator dashboard'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('p', { id: 'token-help', class: 'muted' }, 'A bearer token from the collector configuration (viewer, operator or grid). The demo prints one for each role.'),
    messageEl,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  container.append(form);
  input.focus();
  return () => {
    messageEl = null;
  };
}
