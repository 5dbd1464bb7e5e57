// The sign-ins section: `signInStats` over the chosen range as totals, a chart
// and a table, and the two CSV exports of the same range.
import { call } from '../common/session';
import { StatsDocument } from '../generated/graphql';
import { downloadWithToken } from './api';
import { fail } from './auth';
import { renderChart } from './chart';
import { rangeTotals, type DailyStats } from './chart-data';
import { dom } from './dom';
import { checkRange, type Range } from './range';
import { state } from './state';
import { show, td } from './view';

/** The chosen range, or null after explaining on the page why it cannot be sent. */
function validRange(): Range | null {
  // The API's limits, checked here too: a refused export would be an HTTP 400,
  // which the browser also logs to its console.
  const checked = checkRange(dom.from.value, dom.to.value);
  if ('error' in checked) {
    show(dom.statsError, checked.error);
    return null;
  }
  return checked.range;
}

export async function loadStats(): Promise<void> {
  show(dom.statsError, '');
  const range = validRange();
  if (!range) return;
  try {
    const data = await call(StatsDocument, range);
    renderTotals(data.signInStats);
    renderDayTable(data.signInStats);
    renderChart(dom.chart, data.signInStats);
  } catch (err) {
    fail(dom.statsError, err);
  }
}

function renderTotals(days: DailyStats[]): void {
  dom.totals.replaceChildren();
  for (const [label, value, id] of rangeTotals(days)) {
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

export async function download(kind: 'sign-ins' | 'stats', button: HTMLButtonElement): Promise<void> {
  show(dom.statsError, '');
  const range = validRange();
  if (!range || !state.session) return;
  button.disabled = true;
  dom.exportStatus.textContent = `Preparing ${kind}.csv…`;
  try {
    const query = new URLSearchParams({ from: range.from, to: range.to }).toString();
    const bytes = await downloadWithToken(`/admin/export/${kind}.csv?${query}`, `${kind}-${range.from}-${range.to}.csv`);
    dom.exportStatus.textContent = `Saved ${kind}-${range.from}-${range.to}.csv (${bytes.toLocaleString()} bytes).`;
  } catch (err) {
    dom.exportStatus.textContent = '';
    fail(dom.statsError, err);
  } finally {
    button.disabled = false;
  }
}
