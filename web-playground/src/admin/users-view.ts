// Drawing the users view: the grid (a row per user, a column per date, each
// cell in words for screen readers), the page line and the buttons.
import { dayOfMonth, longDate, weekday } from '../checkin/dates';
import { dom } from './dom';
import { state } from './state';
import { pageLabel } from './users-grid';
import { show } from './view';

function headRow(dates: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const corner = document.createElement('th');
  corner.scope = 'col';
  corner.textContent = 'User';
  corner.className = 'uc-user';
  tr.append(corner);
  for (const date of dates) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.dataset.date = date;
    th.title = longDate(date);
    th.setAttribute('aria-label', longDate(date));
    const wd = document.createElement('span');
    wd.className = 'uc-wd';
    wd.textContent = weekday(date).slice(0, 2);
    const num = document.createElement('span');
    num.textContent = dayOfMonth(date);
    // The first of a month, and the first column, name the month.
    if (num.textContent === '1' || date === dates[0]) {
      num.textContent = `${dayOfMonth(date)}.${date.slice(5, 7)}`;
    }
    th.append(wd, num);
    tr.append(th);
  }
  return tr;
}

function bodyRows(): HTMLTableRowElement[] {
  return state.users.rows.map((row) => {
    const tr = document.createElement('tr');
    tr.dataset.testid = 'users-row';
    tr.dataset.userId = row.user.id;
    const th = document.createElement('th');
    th.scope = 'row';
    th.className = 'uc-user';
    const name = document.createElement('span');
    name.textContent = row.user.username;
    const id = document.createElement('span');
    id.className = 'muted small';
    id.textContent = ` #${row.user.id}`;
    th.append(name, id);
    th.title = row.registeredOn ? `Registered ${longDate(row.registeredOn)}` : '';
    tr.append(th);
    for (const cell of row.cells) {
      const td = document.createElement('td');
      td.className = `uc uc-${cell.state}`;
      td.dataset.date = cell.date;
      td.dataset.state = cell.state;
      td.textContent = cell.mark;
      td.title = cell.label;
      td.setAttribute('aria-label', cell.label);
      tr.append(td);
    }
    return tr;
  });
}

/** Draws the page of users in `state.users`, with `note` above it (or none). */
export function renderUsers(note: string): void {
  const { rows, dates, page, hasNext, selection } = state.users;
  show(dom.usersNote, note);
  dom.usersHead.replaceChildren(headRow(dates));
  dom.usersRows.replaceChildren(...bodyRows());
  dom.usersGrid.hidden = rows.length === 0;
  // The latest dates matter most: a range wider than the card starts scrolled to its end.
  const wrap = dom.usersGrid.parentElement;
  if (wrap) wrap.scrollLeft = wrap.scrollWidth;
  dom.usersNav.hidden = selection === null;
  const size = selection?.size ?? 0;
  dom.usersPage.textContent = `${pageLabel(page, size, rows.length)} · page ${page + 1} · ${dates.length} ${dates.length === 1 ? 'day' : 'days'}`;
  dom.usersPrev.disabled = page === 0;
  dom.usersNext.disabled = !hasNext;
  dom.usersCsv.disabled = rows.length === 0;
}

/** While a page loads, its buttons cannot be pressed again. */
export function setUsersBusy(busy: boolean): void {
  dom.usersGrid.setAttribute('aria-busy', String(busy));
  if (busy) {
    dom.usersPrev.disabled = true;
    dom.usersNext.disabled = true;
    dom.usersCsv.disabled = true;
  } else {
    dom.usersPrev.disabled = state.users.page === 0;
    dom.usersNext.disabled = !state.users.hasNext;
    dom.usersCsv.disabled = state.users.rows.length === 0;
  }
}
