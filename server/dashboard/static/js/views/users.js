// Users and their API tokens (admin only): create a user, change a role,
// disable or enable, issue, rotate and revoke tokens. A new token's secret
// is shown once here and never again (the collector keeps its sha256).

import { get, list, post, put, del } from '../api.js';
import { h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { keepFresh } from '../refresh.js';

const ROLES = ['viewer', 'operator', 'grid', 'admin'];

export function mount(container) {
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'users-error' });
  const secret = h('div', { class: 'secret', 'data-testid': 'new-token-box', hidden: true });
  const body = h('div', { 'data-testid': 'user-list' });
  const username = h('input', { id: 'us-name', required: true, spellcheck: 'false', autocapitalize: 'none', autocomplete: 'off' });
  const role = h('select', { id: 'us-role' }, ROLES.map((r) => h('option', { value: r }, r)));
  const password = h('input', { id: 'us-password', type: 'password', autocomplete: 'new-password', minlength: 10 });

  const act = async (fn) => {
    setText(error, '');
    try {
      await fn();
    } catch (err) {
      setText(error, err.message);
    }
    await fresh.now();
  };
  const showSecret = (who, t) => {
    secret.hidden = false;
    setChildren(secret,
      h('p', {}, `New token for ${who} (“${t.label}”). Copy it now: it is not shown again.`),
      h('code', { 'data-testid': 'new-token' }, t.token));
  };

  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Users')),
    h('section', { class: 'panel' },
      h('h2', {}, 'New user'),
      h('form', { class: 'inline-form', 'data-testid': 'user-form', onsubmit: (e) => {
        e.preventDefault();
        void act(async () => {
          await post('/users', { username: username.value.trim(), role: role.value, ...(password.value ? { password: password.value } : {}) });
          username.value = '';
          password.value = '';
        });
      } },
      h('label', { for: 'us-name' }, 'Username'), username, h('label', { for: 'us-role' }, 'Role'), role,
      h('label', { for: 'us-password' }, 'Password'), password,
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'create-user' }, 'Create')),
      h('p', { class: 'muted' }, 'A password lets the user sign in here (at least 10 characters); leave it empty for a token-only account.'),
      error, secret),
    h('section', { class: 'panel' }, h('h2', {}, 'Accounts'), body),
  );

  const userRow = (u) => {
    const roleSel = h('select', { 'aria-label': `role of ${u.username}`, 'data-testid': 'user-role', onchange: (e) => void act(() => put(`/users/${encodeURIComponent(u.username)}`, { role: e.target.value })) },
      ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)));
    const live = u.tokens.filter((t) => t.revokedAt === null);
    return h('tr', { 'data-testid': 'user-row', 'data-user': u.username, 'data-disabled': String(u.disabled) },
      h('td', {}, h('strong', {}, u.username)),
      h('td', {}, roleSel),
      h('td', {}, u.disabled ? 'disabled' : 'active', u.hasPassword ? '' : ' · token only'),
      h('td', {}, live.length ? live.map((t) => h('div', { class: 'token', 'data-testid': 'token-row', 'data-token-id': t.id },
        `#${t.id} ${t.label} · used ${t.lastUsedAt ? f.ago(t.lastUsedAt) : 'never'} `,
        h('button', { type: 'button', class: 'ghost', 'data-testid': 'rotate-token', onclick: () => void act(async () => showSecret(u.username, await post(`/users/${encodeURIComponent(u.username)}/tokens/${t.id}/rotate`))) }, 'Rotate'),
        h('button', { type: 'button', class: 'ghost', 'data-testid': 'revoke-token', onclick: () => void act(() => del(`/users/${encodeURIComponent(u.username)}/tokens/${t.id}`)) }, 'Revoke'))) : h('span', { class: 'muted' }, 'none')),
      h('td', {},
        h('button', { type: 'button', 'data-testid': 'add-token', disabled: u.disabled, onclick: () => void act(async () => showSecret(u.username, await post(`/users/${encodeURIComponent(u.username)}/tokens`, { label: 'dashboard' }))) }, 'New token'),
        ' ',
        h('button', { type: 'button', class: 'ghost', 'data-testid': 'toggle-user', onclick: () => void act(() => put(`/users/${encodeURIComponent(u.username)}`, { disabled: !u.disabled })) }, u.disabled ? 'Enable' : 'Disable')));
  };

  const load = async () => {
    const users = list(await get('/users'), 'users');
    if (!users.length) return setChildren(body, h('p', { class: 'muted' }, 'No users yet.'));
    setChildren(body, h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, ['User', 'Role', 'State', 'Tokens', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, users.map(userRow))));
  };
  const fresh = keepFresh(load, { types: [], pollMs: 30_000 });
  return () => fresh.stop();
}
