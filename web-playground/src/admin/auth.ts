// Logging in on the admin page, staying signed in (the refresh cookie, as on
// the check-in page: ../common/session.ts), finding out who it is (an admin gets
// the dashboard, anyone else "admins only"), signing out, and errors: a session
// the API no longer accepts (its refresh refused) ends in the login form.
import { toApiError } from '../checkin/api';
import { addDays } from '../checkin/dates';
import { SESSION_ENDED, SIGNED_OUT_ELSEWHERE } from '../checkin/messages';
import { authenticate } from '../common/login';
import {
  call, forgetSession, initSessions, resume, signOut, type EndReason,
} from '../common/session';
import { AdminMeDocument } from '../generated/graphql';
import { humanMessage } from './api';
import { loadAudit } from './audit';
import { closeDeliveries } from './deliveries';
import { dom } from './dom';
import { defaultRange } from './range';
import { loadSchedules } from './schedules';
import { state, type Me } from './state';
import { loadStats } from './stats';
import { show, showView } from './view';
import { forgetSecret, loadWebhooks } from './webhooks';

/**
 * Shows an error in `node`; a session the API no longer accepts ends in the
 * login form, with the sentence. `labels`: see humanMessage.
 */
export function fail(node: HTMLElement, err: unknown, labels?: Record<string, string>): void {
  const e = toApiError(err);
  if (e.code === 'UNAUTHENTICATED') {
    // session.ts already tried a refresh: the session is over.
    forgetSession();
    if (state.session) showLoggedOut();
    show(dom.error, humanMessage(e));
    return;
  }
  show(node, humanMessage(e, labels));
}

function showLoggedOut(): void {
  state.session = null;
  state.me = null;
  // A webhook secret on the screen is not left for whoever logs in next.
  forgetSecret();
  closeDeliveries();
  dom.password.value = '';
  showView('auth');
  dom.username.focus();
}

/** What the page does when session.ts says the session ended. */
function onEnded(reason: EndReason): void {
  showLoggedOut();
  show(dom.error, reason === 'expired' ? SESSION_ENDED : reason === 'elsewhere' ? SIGNED_OUT_ELSEWHERE : '');
}

/** "Log out": `signOut` (the service ends the session and clears the cookie), then the login form. */
export async function logout(): Promise<void> {
  show(dom.error, '');
  dom.logout.disabled = true;
  try {
    const error = await signOut();
    if (error) show(dom.error, humanMessage(error));
  } finally {
    dom.logout.disabled = false;
  }
}

/** Page load: stay signed in with the refresh cookie, or show the login form. */
export async function boot(): Promise<void> {
  initSessions({
    onEnded,
    onResumed: (session) => {
      show(dom.error, '');
      state.session = session;
      void enter();
    },
  });
  showView('none');
  try {
    const resumed = await resume();
    if (resumed) {
      state.session = resumed.session;
      await enter();
      return;
    }
  } catch (err) {
    show(dom.error, humanMessage(err));
  }
  if (!state.session) showView('auth');
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
    me = (await call(AdminMeDocument, {})).me;
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
  await Promise.all([loadStats(), loadSchedules(), loadWebhooks(), loadAudit(true)]);
}
