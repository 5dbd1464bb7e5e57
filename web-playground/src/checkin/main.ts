// The check-in page: log in or register, see the 7-day cycle, sign in once a day,
// see when the day ends in the user's time zone and change that zone, protect
// the streak (make up a missed day, buy a freeze), and watch the wallet and the
// streak change live (graphql-ws subscriptions).
//
// This file wires the page together. The rest, by concern: state.ts (what the
// page knows), dom.ts (its elements), render.ts with cycle.ts, protection.ts and
// wallet.ts (drawing), data.ts, actions.ts and live.ts (the API: reads,
// mutations, subscriptions), auth.ts (login, staying signed in, logout, errors),
// sessions.ts with devices.ts (where you're signed in), timezone.ts with
// zones.ts (the day's end, the time zone), messages.ts (error sentences),
// dates.ts, api.ts (fetch and graphql-ws), ../common/session.ts (the access
// token, in memory only, and its refresh from the HttpOnly cookie).
import '../common/base.css';
import './style.css';
import { buyFreeze, makeUp, setTimeZone, signIn } from './actions';
import { authenticate, boot, logout } from './auth';
import { dom } from './dom';
import { renderStatus, renderWallet } from './render';
import { loadSessions, revokeSession, signOutEverywhere } from './sessions';
import { state } from './state';
import { fillZoneNames, renderZone } from './timezone';
import { deviceZone } from './zones';

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
dom.zoneForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void setTimeZone(dom.zoneInput.value);
});
dom.zoneDevice.addEventListener('click', () => void setTimeZone(deviceZone()));
dom.sessions.addEventListener('click', (ev) => {
  const button = (ev.target as HTMLElement | null)?.closest<HTMLButtonElement>('button[data-id]');
  if (button && !button.disabled && button.dataset.id) void revokeSession(button.dataset.id);
});
dom.signOutEverywhere.addEventListener('click', () => void signOutEverywhere());
dom.logout.addEventListener('click', () => void logout());
// Back to a tab: where you're signed in may have changed meanwhile, and the
// countdown's timer may have been held back.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || !state.session) return;
  void loadSessions();
  renderZone();
});

fillZoneNames();
renderStatus();
renderWallet();
void boot();
