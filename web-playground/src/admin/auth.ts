// Logging in on the admin page, finding out who it is (an admin gets the
// dashboard, anyone else "admins only"), logging out, and errors: a token the
// API no longer accepts logs out.
import { gql, toApiError } from '../checkin/api';
import { addDays } from '../checkin/dates';
import { authenticate } from '../common/login';
import { saveSession } from '../common/session';
import { AdminMeDocument } from '../generated/graphql';
import { humanMessage } from './api';
import { loadAudit } from './audit';
import { dom } from './dom';
import { defaultRange } from './range';
import { loadSchedules } from './schedules';
import { state, token, type Me } from './state';
import { loadStats } from './stats';
import { show, showView } from './view';

/** Shows an error in `node`; a token the API no longer accepts logs out. */
export function fail(node: HTMLElement, err: unknown): void {
  const e = toApiError(err);
  if (e.code === 'UNAUTHENTICATED' && state.session) {
    logout();
    show(dom.error, humanMessage(e));
    return;
  }
  show(node, humanMessage(e));
}

export function logout(): void {
  state.session = null;
  state.me = null;
  saveSession(null);
  dom.password.value = '';
  showView('auth');
  dom.username.focus();
}

export async function login(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  show(dom.error, '');
  const username = dom.username.value.trim();
  const password = dom.password.value;
  if (!username || !password) {
    show(dom.error, 'Enter your username and password.');
    return;
  }
  dom.login.disabled = true;
  try {
    state.session = (await authenticate('login', username, password)).session;
    saveSession(state.session);
    dom.password.value = '';
    await enter();
  } catch (err) {
    fail(dom.error, err);
  } finally {
    dom.login.disabled = false;
  }
}

/** With a session: who is it? An admin gets the dashboard, anyone else "admins only". */
export async function enter(): Promise<void> {
  if (!state.session) {
    showView('auth');
    return;
  }
  let me: Me;
  try {
    me = (await gql(AdminMeDocument, {}, token())).me;
  } catch (err) {
    fail(dom.error, err);
    if (!state.session) return;
    showView('none');
    return;
  }
  state.me = me;
  dom.whoName.textContent = `${me.username} (${me.role === 'ADMIN' ? 'admin' : 'user'})`;
  if (me.role !== 'ADMIN') {
    dom.forbiddenName.textContent = me.username;
    showView('forbidden');
    return;
  }
  showView('dashboard');
  const today = me.signInStatus.today;
  const range = defaultRange(today);
  for (const [from, to] of [[dom.from, dom.to], [dom.usersFrom, dom.usersTo]] as const) {
    if (!to.value) to.value = range.to;
    if (!from.value) from.value = range.from;
  }
  if (!dom.effectiveFrom.value) dom.effectiveFrom.value = addDays(today, 1);
  dom.effectiveFrom.min = addDays(today, 1);
  dom.effectiveTo.min = addDays(today, 1);
  await Promise.all([loadStats(), loadSchedules(), loadAudit(true)]);
}
