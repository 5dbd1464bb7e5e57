// The admin page: log in as an admin, see sign-ins per day as a chart, download
// the CSV exports, look at users' sign-ins day by day, publish or cancel reward
// schedules, manage the webhook endpoints and look at their deliveries, and
// read the audit log. A USER who opens it sees "admins only"; every query is
// still checked by the API.
//
// This file wires the page together. The rest, by concern: state.ts (what the
// page knows), dom.ts (its elements), view.ts (shared drawing), auth.ts (login,
// who it is, errors), one module per section (stats.ts with chart.ts and
// chart-data.ts, users.ts with users-view.ts and users-grid.ts, schedules.ts,
// webhooks.ts with deliveries.ts and webhook-words.ts, audit.ts), range.ts
// (date ranges), api.ts (error sentences, downloads).
import '../common/base.css';
import './style.css';
import { applyAuditFilter, loadAudit } from './audit';
import { boot, login, logout } from './auth';
import { closeDeliveries, loadDeliveries } from './deliveries';
import { dom } from './dom';
import { isCampaign, publish } from './schedules';
import { download, loadStats } from './stats';
import { state } from './state';
import { downloadUsersCsv, loadUsersPage, showUsers, showUsersMode } from './users';
import { copySecret, createEndpoint, forgetSecret } from './webhooks';

dom.authForm.addEventListener('submit', (ev) => void login(ev));
dom.logout.addEventListener('click', () => void logout());
dom.rangeForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void loadStats();
});
dom.exportSignIns.addEventListener('click', () => void download('sign-ins', dom.exportSignIns));
dom.exportStats.addEventListener('click', () => void download('stats', dom.exportStats));
dom.usersForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void showUsers();
});
dom.usersForm.addEventListener('change', (ev) => {
  if ((ev.target as HTMLInputElement | null)?.name === 'users-mode') showUsersMode();
});
dom.usersPrev.addEventListener('click', () => void loadUsersPage(state.users.page - 1));
dom.usersNext.addEventListener('click', () => void loadUsersPage(state.users.page + 1));
dom.usersCsv.addEventListener('click', () => downloadUsersCsv());
dom.publishForm.addEventListener('submit', (ev) => void publish(ev));
dom.publishForm.addEventListener('change', () => {
  dom.effectiveToLabel.hidden = !isCampaign();
});
dom.webhookForm.addEventListener('submit', (ev) => void createEndpoint(ev));
dom.webhookSecretCopy.addEventListener('click', () => void copySecret());
dom.webhookSecretDone.addEventListener('click', () => forgetSecret());
dom.deliveriesForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void loadDeliveries(true);
});
dom.deliveriesStatus.addEventListener('change', () => void loadDeliveries(true));
dom.deliveriesClose.addEventListener('click', () => closeDeliveries());
dom.deliveriesMore.addEventListener('click', () => void loadDeliveries(false));
dom.auditForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  applyAuditFilter();
});
dom.auditClear.addEventListener('click', () => {
  dom.actorId.value = '';
  dom.targetId.value = '';
  applyAuditFilter();
});
dom.auditMore.addEventListener('click', () => void loadAudit(false));

showUsersMode();
void boot();
