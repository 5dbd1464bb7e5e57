// The session's life on the check-in page: log in or register (the form),
// resume it on load from the refresh cookie, start (data, live updates, where
// you're signed in), sign out, and errors. The token itself is kept by
// ../common/session.ts (memory only); a refused refresh ends the session here
// with "Your session has ended. Please log in again."
import { toApiError } from './api';
import { refresh } from './data';
import { dom } from './dom';
import { reconnectLive, startLive, stopLive } from './live';
import { humanMessage, SESSION_ENDED, SIGNED_OUT_ELSEWHERE, type Action, type Context } from './messages';
import { clearMessages, renderStatus, renderWallet, setLive, showError, showNotice, showView } from './render';
import { loadSessions, renderSessions } from './sessions';
import { clearAccount, state } from './state';
import { stopDayClock } from './timezone';
import { deviceZone } from './zones';
import { authenticate as logIn } from '../common/login';
import {
  forgetSession, initSessions, resume, signOut as endSession, type EndReason, type Session,
} from '../common/session';

/** Shows an API error; an UNAUTHENTICATED one that reached here ends the session. */
export function handleError(err: unknown, action: Action = 'load', ctx: Context = {}): void {
  const e = toApiError(err);
  if (e.code === 'UNAUTHENTICATED' && state.session) {
    // session.ts already tried a refresh; this page's session is over.
    forgetSession();
    if (state.session) showLoggedOut();
  }
  showError(humanMessage(e, action, ctx));
}

export function startSession(session: Session): void {
  stopLive();
  state.session = session;
  state.resuming = false;
  clearAccount();
  showView();
  renderStatus();
  renderWallet();
  renderSessions();
  startLive();
  void refresh();
  void loadSessions();
}

/** Forgets the account here and shows the login form (the session is already over, or being ended). */
function showLoggedOut(): void {
  stopLive();
  for (const t of state.timers) window.clearTimeout(t);
  state.timers = [];
  state.session = null;
  state.resuming = false;
  clearAccount();
  state.signingIn = false;
  state.buyingFreeze = false;
  state.makingUp = null;
  state.settingZone = false;
  stopDayClock();
  dom.zoneInput.value = '';
  setLive('offline', false);
  showView();
  renderStatus();
  renderWallet();
  renderSessions();
  dom.password.value = '';
  dom.username.focus();
}

/** What the page does when session.ts says the session ended. */
function onEnded(reason: EndReason): void {
  showLoggedOut();
  if (reason === 'expired') showError(SESSION_ENDED);
  else if (reason === 'elsewhere') showNotice(SIGNED_OUT_ELSEWHERE);
}

/** "Log out": `signOut` (the service ends the session and clears the cookie), then the login form. */
export async function logout(): Promise<void> {
  clearMessages();
  dom.logout.disabled = true;
  try {
    const error = await endSession();
    if (error) showError(humanMessage(error, 'signOut'));
  } finally {
    dom.logout.disabled = false;
  }
}

/** Page load: stay signed in with the refresh cookie, or show the login form. */
export async function boot(): Promise<void> {
  initSessions({
    onEnded,
    onRefreshed: () => {
      // The socket authenticates again with the new token; "last used" moved.
      reconnectLive();
      void loadSessions();
    },
    onResumed: (session) => {
      clearMessages();
      startSession(session);
    },
  });
  state.resuming = true;
  showView();
  try {
    const resumed = await resume();
    if (resumed) {
      startSession(resumed.session);
      return;
    }
  } catch (err) {
    showError(humanMessage(err, 'auth'));
  }
  if (!state.session) showLoggedOut();
}

const USERNAME_RE = /^[A-Za-z0-9_.-]{3,32}$/;

export async function authenticate(mode: 'login' | 'register'): Promise<void> {
  clearMessages();
  const username = dom.username.value.trim();
  const password = dom.password.value;
  if (!username || !password) {
    showError('Enter a username and a password');
    return;
  }
  if (mode === 'register') {
    if (!USERNAME_RE.test(username)) {
      showError('Username: 3 to 32 characters, letters, digits, _ . or -');
      return;
    }
    if (password.length < 8 || password.length > 128) {
      showError('Password: 8 to 128 characters');
      return;
    }
  }
  dom.login.disabled = true;
  dom.register.disabled = true;
  try {
    // A new account counts its days in this device's zone (changeable on the page).
    const { session, user } = await logIn(mode, username, password, mode === 'register' ? deviceZone() : undefined);
    dom.password.value = '';
    startSession(session);
    if (mode === 'register') showNotice(`Welcome, ${user.username}! Sign in every day to grow your streak.`);
  } catch (err) {
    handleError(err, 'auth');
  } finally {
    dom.login.disabled = false;
    dom.register.disabled = false;
  }
}
