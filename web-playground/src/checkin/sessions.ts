// "Where you're signed in": the user's live sessions (`me.sessions`), "this
// device" for the page's own, a "Sign out" button for each other one
// (`revokeSession`), and "Sign out everywhere" (`signOutEverywhere`, then the
// login form here and in the other tabs). Read when the session starts, after
// each refresh of the token, when the tab is shown again, and after a sign-out.
import { handleError } from './auth';
import { sessionWords } from './devices';
import { dom } from './dom';
import { make } from './protection';
import { clearMessages, showNotice } from './render';
import { state } from './state';
import { call, signOutEverywhere as endEverySession } from '../common/session';
import { RevokeSessionDocument, SessionsDocument } from '../generated/graphql';

export async function loadSessions(): Promise<void> {
  const session = state.session;
  if (!session) return;
  state.sessionsSeq += 1;
  const seq = state.sessionsSeq;
  try {
    const data = await call(SessionsDocument, {});
    if (state.session !== session || state.sessionsSeq !== seq) return;
    state.sessions = data.me.sessions;
    renderSessions();
  } catch (err) {
    if (state.session === session && state.sessionsSeq === seq) handleError(err);
  }
}

export function renderSessions(): void {
  const items = state.sessions.map((s) => {
    const words = sessionWords(s);
    const li = make('li', 'session');
    li.dataset.id = s.id;
    li.dataset.current = String(s.current);
    li.setAttribute('aria-label', words.label);
    const main = make('div', 'session-main');
    const device = make('span', 'session-device', words.device);
    if (words.userAgent) device.title = words.userAgent;
    main.append(device);
    if (words.badge) main.append(make('span', 'session-badge', words.badge));
    li.append(main, make('div', 'session-times', words.times));
    if (!s.current) {
      const button = make('button', 'session-revoke', state.revoking === s.id ? 'Signing out…' : 'Sign out');
      button.type = 'button';
      button.dataset.id = s.id;
      button.disabled = state.revoking !== null || state.signingOutEverywhere;
      button.setAttribute('aria-label', `Sign out ${words.label}`);
      li.append(button);
    }
    return li;
  });
  dom.sessions.replaceChildren(...items);
  // "No other sessions" once the list is read and holds only this one.
  dom.sessionsEmpty.hidden = state.session === null || state.sessions.length === 0
    || state.sessions.some((s) => !s.current);
  dom.signOutEverywhere.disabled = state.signingOutEverywhere || state.sessions.length === 0;
  dom.signOutEverywhere.textContent = state.signingOutEverywhere ? 'Signing out everywhere…' : 'Sign out everywhere';
}

/** Ends one other session (that device's next request finds it signed out). */
export async function revokeSession(id: string): Promise<void> {
  const session = state.session;
  if (!session || state.revoking !== null) return;
  const row = state.sessions.find((s) => s.id === id);
  clearMessages();
  state.revoking = id;
  renderSessions();
  try {
    await call(RevokeSessionDocument, { id });
    if (state.session !== session) return;
    state.sessions = state.sessions.filter((s) => s.id !== id);
    showNotice(`Signed out ${row ? sessionWords(row).device : 'that session'}.`);
  } catch (err) {
    if (state.session !== session) return;
    handleError(err, 'revokeSession');
  } finally {
    if (state.session === session) {
      state.revoking = null;
      renderSessions();
      void loadSessions();
    }
  }
}

/** Ends every session of the user, this one included: then the login form, here and in the other tabs. */
export async function signOutEverywhere(): Promise<void> {
  const session = state.session;
  if (!session || state.signingOutEverywhere) return;
  clearMessages();
  state.signingOutEverywhere = true;
  renderSessions();
  let ended: number;
  try {
    ended = await endEverySession();
  } catch (err) {
    if (state.session === session) {
      state.signingOutEverywhere = false;
      renderSessions();
      handleError(err, 'signOutEverywhere');
    }
    return;
  }
  // The session is over here and in the other tabs: the login form shows.
  showNotice(`Signed out everywhere (${ended} ${ended === 1 ? 'session' : 'sessions'}).`);
}
