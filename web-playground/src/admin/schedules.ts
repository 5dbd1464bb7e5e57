// Reward schedules: the list with each one's state, the form that publishes a
// base schedule or a campaign, and the Cancel button of a planned one.
import { call } from '../common/session';
import { CancelDocument, PublishDocument, SchedulesDocument } from '../generated/graphql';
import { loadAudit } from './audit';
import { fail } from './auth';
import { dom } from './dom';
import { state, type Schedule } from './state';
import { show, td } from './view';

/** The base schedule in force on `today`: the live one that started last. */
function baseInForce(schedules: Schedule[], today: string): Schedule | undefined {
  return schedules
    .filter((x) => x.effectiveTo === null && !x.cancelled && x.effectiveFrom <= today)
    .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : -1))[0];
}

/** cancelled, planned, ended, in force or replaced. */
export function scheduleState(s: Schedule, today: string, all: Schedule[]): string {
  if (s.cancelled) return 'cancelled';
  if (s.effectiveFrom > today) return 'planned';
  if (s.effectiveTo !== null) return s.effectiveTo < today ? 'ended' : 'in force';
  return baseInForce(all, today)?.id === s.id ? 'in force' : 'replaced';
}

export async function loadSchedules(): Promise<void> {
  dom.schedulesCard.hidden = false;
  show(dom.schedulesError, '');
  try {
    state.schedules = (await call(SchedulesDocument, {})).rewardSchedules;
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
    const status = scheduleState(s, today, state.schedules);
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
  const values = baseInForce(state.schedules, today)?.rewards ?? [10, 10, 20, 20, 30, 30, 100];
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

export function isCampaign(): boolean {
  const checked = dom.publishForm.querySelector<HTMLInputElement>('input[name="kind"]:checked');
  return checked?.value === 'campaign';
}

export async function publish(ev: SubmitEvent): Promise<void> {
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
    await call(PublishDocument, { rewards, effectiveFrom, effectiveTo, note: dom.note.value.trim() });
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
    await call(CancelDocument, { id: s.id });
    await Promise.all([loadSchedules(), loadAudit(true)]);
  } catch (err) {
    button.disabled = false;
    fail(dom.schedulesError, err);
  }
}
