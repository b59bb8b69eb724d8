// Boot and routing. Views are modules with mount(container, ctx) → unmount;
// routes are hash-based (#/site/abc) so the collector only serves "/".

import { del, get, session, setUnauthorizedHandler } from './api.js';
import { h, setText } from './dom.js';
import * as live from './live.js';
import { whoAmI, canCurtail, canManageUsers } from './roles.js';
import * as loginView from './views/login.js';
import * as overviewView from './views/overview.js';
import * as siteView from './views/site.js';
import * as curtailmentView from './views/curtailment.js';
import * as energyView from './views/energy.js';
import * as companiesView from './views/companies.js';
import * as auditView from './views/audit.js';
import * as usersView from './views/users.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let unmount = null;
let ctx = null;

const ROUTES = [
  { pattern: /^\/?$/, nav: 'overview', view: overviewView },
  { pattern: /^\/site\/([^/]+)$/, nav: 'overview', view: siteView },
  { pattern: /^\/curtailment$/, nav: 'curtailment', view: curtailmentView },
  { pattern: /^\/energy$/, nav: 'energy', view: energyView },
  { pattern: /^\/companies$/, nav: 'companies', view: companiesView },
  { pattern: /^\/audit$/, nav: 'audit', view: auditView },
  { pattern: /^\/users$/, nav: 'users', view: usersView, admin: true },
];

function currentPath() {
  return decodeURI(location.hash.replace(/^#/, '') || '/');
}

function show(view, params = []) {
  try {
    unmount?.();
  } catch (err) {
    console.warn('view unmount failed', err);
  }
  main.replaceChildren();
  unmount = view.mount(main, { ...ctx, params }) ?? null;
}

function route() {
  if (!ctx) return;
  const path = currentPath();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m && (!x.r.admin || canManageUsers(ctx.role)));
  for (const a of topbar.querySelectorAll('[data-nav]')) {
    if (match && a.dataset.nav === match.r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!match) {
    show({ mount: (el) => void el.append(h('section', { class: 'panel' }, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')))) });
    return;
  }
  show(match.r.view, match.m.slice(1).map(decodeURIComponent));
}

function signOut(reason, { endSession = false } = {}) {
  live.stop();
  // A password sign-in ends on the server too (the cookie is HttpOnly: only the collector can clear it).
  if (endSession && ctx?.via === 'session') void del('/session').catch(() => {});
  session.clear();
  ctx = null;
  topbar.hidden = true;
  show(loginView, []);
  if (reason) loginView.showMessage(reason);
}

async function signIn() {
  let who;
  try {
    who = await whoAmI();
  } catch (err) {
    signOut(err.status === 401 || err.status === 403 ? 'That token was not accepted. Check it and try again.' : `Cannot reach the collector: ${err.message}`);
    return;
  }
  ctx = { role: who.role, name: who.name, via: who.via, canCurtail: canCurtail(who.role), canManageUsers: canManageUsers(who.role), navigate: (hash) => (location.hash = hash) };
  for (const a of topbar.querySelectorAll('[data-admin]')) a.hidden = !canManageUsers(who.role);
  document.body.dataset.role = who.role;
  setText(document.getElementById('role-badge'), who.name ? `${who.name} · ${who.role}` : who.role);
  topbar.hidden = false;
  live.start();
  route();
}

live.onStatus((status) => {
  const el = document.getElementById('live-status');
  el.dataset.status = status;
  setText(el.querySelector('.live-text'), status === 'live' ? 'live' : status);
});

setUnauthorizedHandler(() => {
  if (ctx) signOut('Your session ended (the token or session was refused). Sign in again.');
});
document.getElementById('logout').addEventListener('click', () => signOut(undefined, { endSession: true }));
window.addEventListener('hashchange', route);
window.addEventListener('hashwatt:signed-in', () => void signIn());

// The demo prints links with #token=…: take it into sessionStorage and drop it
// from the address bar (fragments never reach the server or its logs).
const fromLink = /^#token=([^&]+)/.exec(location.hash);
if (fromLink) {
  session.set(decodeURIComponent(fromLink[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}

// A token in this tab, or a session cookie from a password sign-in (asked
// without a 401 when there is none).
if (session.token()) void signIn();
else {
  get('/session')
    .then((s) => (s.signedIn ? signIn() : show(loginView, [])))
    .catch(() => show(loginView, []));
}
