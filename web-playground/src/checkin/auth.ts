// The session's life on the check-in page: log in or register (the form),
// start (data, live updates), log out, and errors (a refused token logs out).
import { toApiError } from './api';
import { refresh } from './data';
import { dom } from './dom';
import { startLive, stopLive } from './live';
import { humanMessage, type Action, type Context } from './messages';
import { clearMessages, renderStatus, renderWallet, setLive, showError, showNotice, showView } from './render';
import { clearAccount, state } from './state';
import { authenticate as logIn } from '../common/login';
import { saveSession, type Session } from '../common/session';

/** Shows an API error; logs out when the token is no longer accepted. */
export function handleError(err: unknown, action: Action = 'load', ctx: Context = {}): void {
  const e = toApiError(err);
  if (e.code === 'UNAUTHENTICATED' && state.session) {
    logout();
  }
  showError(humanMessage(e, action, ctx));
}

export function startSession(session: Session): void {
  state.session = session;
  clearAccount();
  saveSession(session);
  showView();
  renderStatus();
  renderWallet();
  startLive();
  void refresh();
}

export function logout(): void {
  stopLive();
  for (const t of state.timers) window.clearTimeout(t);
  state.timers = [];
  state.session = null;
  clearAccount();
  state.signingIn = false;
  state.buyingFreeze = false;
  state.makingUp = null;
  saveSession(null);
  setLive('offline', false);
  showView();
  renderStatus();
  renderWallet();
  dom.password.value = '';
  dom.username.focus();
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
    const { session, user } = await logIn(mode, username, password);
    dom.password.value = '';
    startSession(session);
    if (mode === 'register') showNotice(`Welcome, ${user.username}! Sign in every day to grow your streak.`);
  } catch (err) {
    handleError(err);
  } finally {
    dom.login.disabled = false;
    dom.register.disabled = false;
  }
}
