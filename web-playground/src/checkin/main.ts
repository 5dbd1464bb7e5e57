// The check-in page: log in or register, see the 7-day cycle, sign in once a day,
// protect the streak (make up a missed day, buy a freeze), and watch the wallet
// and the streak change live (graphql-ws subscriptions).
//
// This file wires the page together. The rest, by concern: state.ts (what the
// page knows), dom.ts (its elements), render.ts with cycle.ts, protection.ts and
// wallet.ts (drawing), data.ts, actions.ts and live.ts (the API: reads,
// mutations, subscriptions), auth.ts (login, logout, errors), messages.ts
// (error sentences), dates.ts, api.ts (fetch and graphql-ws).
import '../common/base.css';
import './style.css';
import { buyFreeze, makeUp, signIn } from './actions';
import { authenticate, logout, startSession } from './auth';
import { dom } from './dom';
import { stopLive } from './live';
import { clearMessages, renderStatus, renderWallet, showView } from './render';
import { state } from './state';
import { STORAGE_KEY, loadSession } from '../common/session';

dom.authForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void authenticate('login');
});
dom.register.addEventListener('click', () => void authenticate('register'));
dom.signin.addEventListener('click', () => void signIn());
dom.buyFreeze.addEventListener('click', () => void buyFreeze());
dom.makeUpList.addEventListener('click', (ev) => {
  const button = (ev.target as HTMLElement | null)?.closest<HTMLButtonElement>('button[data-date]');
  if (button && !button.disabled && button.dataset.date) void makeUp(button.dataset.date);
});
dom.logout.addEventListener('click', () => {
  clearMessages();
  logout();
});
// Keep several tabs in step: a login or logout elsewhere applies here too.
window.addEventListener('storage', (ev) => {
  if (ev.key !== STORAGE_KEY) return;
  const next = loadSession();
  if (!next && state.session) logout();
  else if (next && next.token !== state.session?.token) {
    stopLive();
    startSession(next);
  }
});

const initial = loadSession();
if (initial) startSession(initial);
else {
  showView();
  renderStatus();
  renderWallet();
}
