// The admin page: log in as an admin, see sign-ins per day as a chart, download
// the CSV exports, publish or cancel reward schedules, and read the audit log.
// A USER who opens it sees "admins only"; every query is still checked by the API.
import '../common/base.css';
import './style.css';
import { gql, toApiError } from '../checkin/api';
import { downloadWithToken, humanMessage } from './api';
import { authElements, authenticate, el } from '../common/login';
import { loadSession, saveSession, type Session } from '../common/session';
import { renderChart, type DailyStats } from './chart';

// ---------------------------------------------------------------- GraphQL documents

const ME = `query Me { me { id username role signInStatus { today } } }`;
const STATS = `query Stats($from: Date!, $to: Date!) {
  signInStats(from: $from, to: $to) {
    date signedIn byCycleDay rewardTotal makeUps frozen milestoneBonusTotal
  }
}`;
const SCHEDULE_FIELDS = 'id rewards effectiveFrom effectiveTo note createdAt cancelled createdBy { id username }';
const SCHEDULES = `query Schedules { rewardSchedules { ${SCHEDULE_FIELDS} } }`;
const PUBLISH = `mutation Publish($rewards: [Int!]!, $effectiveFrom: Date!, $effectiveTo: Date, $note: String!) {
  publishRewardSchedule(rewards: $rewards, effectiveFrom: $effectiveFrom, effectiveTo: $effectiveTo, note: $note) {
    ${SCHEDULE_FIELDS}
  }
}`;
const CANCEL = `mutation Cancel($id: ID!) { cancelRewardSchedule(id: $id) { ${SCHEDULE_FIELDS} } }`;
const AUDIT = `query Audit($first: Int, $after: String, $actorId: ID, $targetUserId: ID) {
  adminAuditLog(first: $first, after: $after, actorId: $actorId, targetUserId: $targetUserId) {
    edges { node {
      id action actorId targetUserId details requestId createdAt
      actor { username } targetUser { username }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

// ---------------------------------------------------------------- types

interface Me { id: string; username: string; role: string; signInStatus: { today: string } }
interface Schedule {
  id: string;
  rewards: number[];
  effectiveFrom: string;
  effectiveTo: string | null;
  note: string;
  createdAt: string;
  cancelled: boolean;
  createdBy: { id: string; username: string } | null;
}
interface AuditEntry {
  id: string;
  action: string;
  actorId: string | null;
  targetUserId: string | null;
  details: string;
  requestId: string | null;
  createdAt: string;
  actor: { username: string } | null;
  targetUser: { username: string } | null;
}
interface AuditPage {
  adminAuditLog: {
    edges: { node: AuditEntry }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

// ---------------------------------------------------------------- DOM

const dom = {
  ...authElements(),
  forbidden: el('forbidden'),
  forbiddenName: el('forbidden-name'),
  dashboard: el('dashboard'),
  rangeForm: el<HTMLFormElement>('range-form'),
  from: el<HTMLInputElement>('from'),
  to: el<HTMLInputElement>('to'),
  statsError: el('stats-error'),
  totals: el('totals'),
  chart: el<HTMLCanvasElement>('chart'),
  dayRows: el('day-rows'),
  exportSignIns: el<HTMLButtonElement>('export-sign-ins'),
  exportStats: el<HTMLButtonElement>('export-stats'),
  exportStatus: el('export-status'),
  schedulesCard: el('schedules-card'),
  schedulesError: el('schedules-error'),
  scheduleRows: el('schedule-rows'),
  publishForm: el<HTMLFormElement>('publish-form'),
  effectiveFrom: el<HTMLInputElement>('effective-from'),
  effectiveTo: el<HTMLInputElement>('effective-to'),
  effectiveToLabel: el('effective-to-label'),
  rewardInputs: el('reward-inputs'),
  note: el<HTMLInputElement>('note'),
  auditForm: el<HTMLFormElement>('audit-form'),
  actorId: el<HTMLInputElement>('actor-id'),
  targetId: el<HTMLInputElement>('target-id'),
  auditClear: el<HTMLButtonElement>('audit-clear'),
  auditError: el('audit-error'),
  auditRows: el('audit-rows'),
  auditEmpty: el('audit-empty'),
  auditMore: el<HTMLButtonElement>('audit-more'),
};

// ---------------------------------------------------------------- state

const AUDIT_PAGE = 20;
/** Days shown when the page opens, ending today. */
const DEFAULT_RANGE_DAYS = 30;
/** The longest range `signInStats` and the exports accept (inclusive). */
const MAX_RANGE_DAYS = 366;

const state = {
  session: loadSession() as Session | null,
  me: null as Me | null,
  schedules: [] as Schedule[],
  audit: {
    actorId: '',
    targetUserId: '',
    endCursor: null as string | null,
    // Bumped by every new filter, so a slow older page is dropped.
    seq: 0,
  },
};

// ---------------------------------------------------------------- small helpers

function show(node: HTMLElement, text: string): void {
  node.textContent = text;
  node.hidden = !text;
}

/** Shows an error in `node`; a token the API no longer accepts logs out. */
function fail(node: HTMLElement, err: unknown): void {
  const e = toApiError(err);
  if (e.code === 'UNAUTHENTICATED' && state.session) {
    logout();
    show(dom.error, humanMessage(e));
    return;
  }
  show(node, humanMessage(e));
}

function token(): string {
  return state.session?.token ?? '';
}

/** `YYYY-MM-DD` plus `days` (calendar arithmetic, no time zone involved). */
function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function td(text: string, className?: string): HTMLTableCellElement {
  const cell = document.createElement('td');
  cell.textContent = text;
  if (className) cell.className = className;
  return cell;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

// ---------------------------------------------------------------- auth

function showView(view: 'auth' | 'forbidden' | 'dashboard' | 'none'): void {
  dom.auth.hidden = view !== 'auth';
  dom.forbidden.hidden = view !== 'forbidden';
  dom.dashboard.hidden = view !== 'dashboard';
  dom.who.hidden = view === 'auth' || view === 'none';
}

function logout(): void {
  state.session = null;
  state.me = null;
  saveSession(null);
  dom.password.value = '';
  showView('auth');
  dom.username.focus();
}

async function login(ev: SubmitEvent): Promise<void> {
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
async function enter(): Promise<void> {
  if (!state.session) {
    showView('auth');
    return;
  }
  let me: Me;
  try {
    me = (await gql<{ me: Me }>(ME, undefined, token())).me;
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
  if (!dom.to.value) dom.to.value = today;
  if (!dom.from.value) dom.from.value = addDays(today, -(DEFAULT_RANGE_DAYS - 1));
  if (!dom.effectiveFrom.value) dom.effectiveFrom.value = addDays(today, 1);
  dom.effectiveFrom.min = addDays(today, 1);
  dom.effectiveTo.min = addDays(today, 1);
  await Promise.all([loadStats(), loadSchedules(), loadAudit(true)]);
}

// ---------------------------------------------------------------- stats and chart

function validRange(): { from: string; to: string } | null {
  const from = dom.from.value;
  const to = dom.to.value;
  if (!from || !to) {
    show(dom.statsError, 'Choose both a start and an end date.');
    return null;
  }
  if (from > to) {
    show(dom.statsError, 'The start date must not be after the end date.');
    return null;
  }
  // The API's limit, checked here too: a refused export would be an HTTP 400,
  // which the browser also logs to its console.
  if (addDays(from, MAX_RANGE_DAYS - 1) < to) {
    show(dom.statsError, `The range may span at most ${MAX_RANGE_DAYS} days. Choose a later start or an earlier end.`);
    return null;
  }
  return { from, to };
}

async function loadStats(): Promise<void> {
  show(dom.statsError, '');
  const range = validRange();
  if (!range) return;
  try {
    const data = await gql<{ signInStats: DailyStats[] }>(STATS, range, token());
    renderTotals(data.signInStats);
    renderDayTable(data.signInStats);
    renderChart(dom.chart, data.signInStats);
  } catch (err) {
    fail(dom.statsError, err);
  }
}

function renderTotals(days: DailyStats[]): void {
  const sum = (f: (d: DailyStats) => number) => days.reduce((acc, d) => acc + f(d), 0);
  const items: [string, number, string][] = [
    ['Sign-ins', sum((d) => d.signedIn), 'signed-in'],
    ['Rewards paid', sum((d) => d.rewardTotal), 'rewards'],
    ['Milestone bonuses', sum((d) => d.milestoneBonusTotal), 'bonuses'],
    ['Make-ups', sum((d) => d.makeUps), 'make-ups'],
    ['Days frozen', sum((d) => d.frozen), 'frozen'],
  ];
  dom.totals.replaceChildren();
  for (const [label, value, id] of items) {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value.toLocaleString();
    dd.dataset.testid = `total-${id}`;
    div.append(dt, dd);
    dom.totals.append(div);
  }
}

/** The chart's numbers as a table, newest day first (for reading exact values). */
function renderDayTable(days: DailyStats[]): void {
  const rows = [...days].reverse().map((d) => {
    const tr = document.createElement('tr');
    tr.append(
      td(d.date, 'nowrap'),
      td(String(d.signedIn)),
      ...d.byCycleDay.map((n) => td(String(n))),
      td(String(d.rewardTotal)),
      td(String(d.milestoneBonusTotal)),
      td(String(d.makeUps)),
      td(String(d.frozen)),
    );
    return tr;
  });
  dom.dayRows.replaceChildren(...rows);
}

async function download(kind: 'sign-ins' | 'stats', button: HTMLButtonElement): Promise<void> {
  show(dom.statsError, '');
  const range = validRange();
  if (!range || !state.session) return;
  button.disabled = true;
  dom.exportStatus.textContent = `Preparing ${kind}.csv…`;
  try {
    const query = new URLSearchParams(range).toString();
    const bytes = await downloadWithToken(
      `/admin/export/${kind}.csv?${query}`, state.session.token, `${kind}-${range.from}-${range.to}.csv`,
    );
    dom.exportStatus.textContent = `Saved ${kind}-${range.from}-${range.to}.csv (${bytes.toLocaleString()} bytes).`;
  } catch (err) {
    dom.exportStatus.textContent = '';
    fail(dom.statsError, err);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- schedules

function scheduleState(s: Schedule, today: string): string {
  if (s.cancelled) return 'cancelled';
  if (s.effectiveFrom > today) return 'planned';
  if (s.effectiveTo !== null) return s.effectiveTo < today ? 'ended' : 'in force';
  // The base in force is the live base schedule that started last.
  const current = state.schedules
    .filter((x) => x.effectiveTo === null && !x.cancelled && x.effectiveFrom <= today)
    .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : -1))[0];
  return current?.id === s.id ? 'in force' : 'replaced';
}

async function loadSchedules(): Promise<void> {
  dom.schedulesCard.hidden = false;
  show(dom.schedulesError, '');
  try {
    state.schedules = (await gql<{ rewardSchedules: Schedule[] }>(SCHEDULES, undefined, token())).rewardSchedules;
    renderSchedules();
  } catch (err) {
    fail(dom.schedulesError, err);
  }
  if (dom.rewardInputs.childElementCount === 0) fillRewardInputs();
}

function renderSchedules(): void {
  const today = state.me?.signInStatus.today ?? '';
  const rows = state.schedules.map((s) => {
    const tr = document.createElement('tr');
    const status = scheduleState(s, today);
    tr.dataset.testid = 'schedule-row';
    tr.dataset.id = s.id;
    tr.className = `st-${status.replace(' ', '-')}`;
    const kind = td(s.effectiveTo === null ? 'Base' : 'Campaign');
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = status;
    kind.append(' ', badge);
    tr.append(
      kind,
      // The schedule read from SIGNIN_REWARDS is in force "from the beginning".
      td(s.effectiveFrom <= '1970-01-01' ? 'the beginning' : s.effectiveFrom, 'nowrap'),
      td(s.effectiveTo ?? '—', 'nowrap'),
      td(s.rewards.join(' · '), 'nowrap num'),
      td(s.note),
      td(s.createdBy?.username ?? 'configuration'),
    );
    const action = document.createElement('td');
    if (status === 'planned') {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Cancel';
      b.dataset.testid = 'cancel-schedule';
      b.addEventListener('click', () => void cancelSchedule(s, b));
      action.append(b);
    }
    tr.append(action);
    return tr;
  });
  dom.scheduleRows.replaceChildren(...rows);
}

/** Seven inputs, pre-filled with the base schedule in force today. */
function fillRewardInputs(): void {
  const today = state.me?.signInStatus.today ?? '';
  const base = state.schedules
    .filter((s) => s.effectiveTo === null && !s.cancelled && s.effectiveFrom <= today)
    .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : -1))[0];
  const values = base?.rewards ?? [10, 10, 20, 20, 30, 30, 100];
  const inputs = values.map((v, i) => {
    const label = document.createElement('label');
    label.textContent = `Day ${i + 1}`;
    const input = document.createElement('input');
    input.type = 'number';
    input.min = '0';
    input.step = '1';
    input.required = true;
    input.value = String(v);
    input.dataset.testid = `reward-${i + 1}`;
    label.append(input);
    return label;
  });
  dom.rewardInputs.replaceChildren(...inputs);
}

function isCampaign(): boolean {
  const checked = dom.publishForm.querySelector<HTMLInputElement>('input[name="kind"]:checked');
  return checked?.value === 'campaign';
}

async function publish(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  show(dom.schedulesError, '');
  const rewards: number[] = [];
  for (const [i, input] of [...dom.rewardInputs.querySelectorAll('input')].entries()) {
    const v = input.value.trim();
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      show(dom.schedulesError, `The reward of day ${i + 1} must be a whole number of points, 0 or more.`);
      input.focus();
      return;
    }
    rewards.push(Number(v));
  }
  const effectiveFrom = dom.effectiveFrom.value;
  if (!effectiveFrom) {
    show(dom.schedulesError, 'Choose the date the schedule takes effect.');
    return;
  }
  const campaign = isCampaign();
  const effectiveTo = campaign ? dom.effectiveTo.value : null;
  if (campaign && !effectiveTo) {
    show(dom.schedulesError, 'A campaign needs an end date.');
    return;
  }
  const submit = dom.publishForm.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (submit) submit.disabled = true;
  try {
    await gql(PUBLISH, { rewards, effectiveFrom, effectiveTo, note: dom.note.value.trim() }, token());
    dom.note.value = '';
    await Promise.all([loadSchedules(), loadAudit(true)]);
  } catch (err) {
    fail(dom.schedulesError, err);
  } finally {
    if (submit) submit.disabled = false;
  }
}

async function cancelSchedule(s: Schedule, button: HTMLButtonElement): Promise<void> {
  const what = s.effectiveTo === null ? `the base schedule from ${s.effectiveFrom}` : `the campaign ${s.effectiveFrom} to ${s.effectiveTo}`;
  if (!window.confirm(`Cancel ${what}? This cannot be undone.`)) return;
  show(dom.schedulesError, '');
  button.disabled = true;
  try {
    await gql(CANCEL, { id: s.id }, token());
    await Promise.all([loadSchedules(), loadAudit(true)]);
  } catch (err) {
    button.disabled = false;
    fail(dom.schedulesError, err);
  }
}

// ---------------------------------------------------------------- audit log

async function loadAudit(fresh: boolean): Promise<void> {
  if (fresh) {
    state.audit.seq += 1;
    state.audit.endCursor = null;
  }
  const seq = state.audit.seq;
  show(dom.auditError, '');
  dom.auditMore.disabled = true;
  try {
    const data = await gql<AuditPage>(AUDIT, {
      first: AUDIT_PAGE,
      after: fresh ? null : state.audit.endCursor,
      actorId: state.audit.actorId || null,
      targetUserId: state.audit.targetUserId || null,
    }, token());
    if (seq !== state.audit.seq) return;
    const conn = data.adminAuditLog;
    const rows = conn.edges.map((e) => auditRow(e.node));
    if (fresh) dom.auditRows.replaceChildren(...rows);
    else dom.auditRows.append(...rows);
    state.audit.endCursor = conn.pageInfo.endCursor;
    dom.auditMore.hidden = !conn.pageInfo.hasNextPage;
    dom.auditEmpty.hidden = dom.auditRows.childElementCount > 0;
  } catch (err) {
    if (seq === state.audit.seq) fail(dom.auditError, err);
  } finally {
    dom.auditMore.disabled = false;
  }
}

/** A user cell: the name (or "#id" once deleted), a button that filters on it. */
function userCell(id: string | null, user: { username: string } | null, field: 'actor' | 'target'): HTMLTableCellElement {
  const cell = document.createElement('td');
  if (id === null) {
    cell.textContent = field === 'actor' ? 'command line' : '—';
    cell.className = 'muted';
    return cell;
  }
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'link';
  b.textContent = user ? user.username : `#${id} (deleted)`;
  b.title = `Only entries ${field === 'actor' ? 'by' : 'about'} user ${id}`;
  b.addEventListener('click', () => {
    if (field === 'actor') dom.actorId.value = id;
    else dom.targetId.value = id;
    applyAuditFilter();
  });
  cell.append(b);
  return cell;
}

function auditRow(e: AuditEntry): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.testid = 'audit-row';
  const details = td(readableDetails(e.details), 'details');
  details.title = e.details;
  const request = td(e.requestId ? e.requestId.slice(0, 8) : '—', 'muted small mono');
  if (e.requestId) request.title = e.requestId;
  tr.append(
    td(formatTime(e.createdAt), 'nowrap'),
    td(e.action, 'action'),
    userCell(e.actorId, e.actor, 'actor'),
    userCell(e.targetUserId, e.targetUser, 'target'),
    details,
    request,
  );
  return tr;
}

/** `{"amount":5,"note":"x"}` as `amount 5 · note "x"`: easier to scan than JSON. */
function readableDetails(json: string): string {
  try {
    const obj = JSON.parse(json) as unknown;
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return json;
    return Object.entries(obj as Record<string, unknown>)
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
      .join(' · ');
  } catch {
    return json;
  }
}

function applyAuditFilter(): void {
  const actorId = dom.actorId.value.trim();
  const targetUserId = dom.targetId.value.trim();
  for (const [name, v] of [['actor id', actorId], ['target user id', targetUserId]] as const) {
    if (v && !/^\d+$/.test(v)) {
      show(dom.auditError, `The ${name} must be a user's id: digits only.`);
      return;
    }
  }
  state.audit.actorId = actorId;
  state.audit.targetUserId = targetUserId;
  void loadAudit(true);
}

// ---------------------------------------------------------------- wiring

dom.authForm.addEventListener('submit', (ev) => void login(ev));
dom.logout.addEventListener('click', () => {
  show(dom.error, '');
  logout();
});
dom.rangeForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void loadStats();
});
dom.exportSignIns.addEventListener('click', () => void download('sign-ins', dom.exportSignIns));
dom.exportStats.addEventListener('click', () => void download('stats', dom.exportStats));
dom.publishForm.addEventListener('submit', (ev) => void publish(ev));
dom.publishForm.addEventListener('change', () => {
  dom.effectiveToLabel.hidden = !isCampaign();
});
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

void enter();
