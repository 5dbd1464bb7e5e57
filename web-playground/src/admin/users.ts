// The users view: find users by name (searchUsers, cursor paging) or by pasted
// ids (paged here), and show each page of them over a date range as a grid,
// from ONE signInHistory call per page; the grid downloads as CSV (made here,
// a blob: download).
import { call } from '../common/session';
import { SearchUsersDocument, UsersHistoryDocument } from '../generated/graphql';
import { saveBlob } from './api';
import { fail } from './auth';
import { dom } from './dom';
import { checkRange, rangeDates } from './range';
import { state, type UsersSelection } from './state';
import {
  DEFAULT_PAGE_SIZE, PAGE_SIZES, csvFileName, gridCsv, gridRows, idsPage, missingIds, parseIds,
  type UserHistory,
} from './users-grid';
import { renderUsers, setUsersBusy } from './users-view';
import { show } from './view';

export function usersMode(): 'search' | 'ids' {
  const checked = dom.usersForm.querySelector<HTMLInputElement>('input[name="users-mode"]:checked');
  return checked?.value === 'ids' ? 'ids' : 'search';
}

/** Shows the name field or the ids field, as the chosen mode asks. */
export function showUsersMode(): void {
  const ids = usersMode() === 'ids';
  dom.usersQueryLabel.hidden = ids;
  dom.usersIdsLabel.hidden = !ids;
}

/** The form as a selection, or null after explaining on the page what is wrong. */
function readSelection(): UsersSelection | null {
  const checked = checkRange(dom.usersFrom.value, dom.usersTo.value);
  if ('error' in checked) {
    show(dom.usersError, checked.error);
    return null;
  }
  const { from, to } = checked.range;
  const chosen = Number(dom.usersPerPage.value);
  const size = (PAGE_SIZES as readonly number[]).includes(chosen) ? chosen : DEFAULT_PAGE_SIZE;
  if (usersMode() === 'search') {
    const query = dom.usersQuery.value.trim();
    if (!query) {
      show(dom.usersError, 'Enter part of a name to search for.');
      return null;
    }
    return { mode: 'search', query, from, to, size };
  }
  const parsed = parseIds(dom.usersIds.value);
  if ('error' in parsed) {
    show(dom.usersError, parsed.error);
    return null;
  }
  return { mode: 'ids', ids: parsed.ids, from, to, size };
}

/** The form was sent: a new selection, from its first page. */
export async function showUsers(): Promise<void> {
  show(dom.usersError, '');
  const selection = readSelection();
  if (!selection) return;
  state.users.selection = selection;
  state.users.cursors = [null];
  await loadUsersPage(0);
}

/** Loads page `page` (0-based) of the current selection and draws it. */
export async function loadUsersPage(page: number): Promise<void> {
  const sel = state.users.selection;
  if (!sel) return;
  state.users.seq += 1;
  const seq = state.users.seq;
  show(dom.usersError, '');
  dom.usersCsvStatus.textContent = '';
  setUsersBusy(true);
  try {
    let userIds: string[];
    let hasNext: boolean;
    if (sel.mode === 'search') {
      const data = await call(SearchUsersDocument, {
        query: sel.query, first: sel.size, after: state.users.cursors[page] ?? null,
      });
      if (seq !== state.users.seq) return;
      const conn = data.searchUsers;
      userIds = conn.edges.map((e) => e.node.id);
      hasNext = conn.pageInfo.hasNextPage;
      state.users.cursors[page + 1] = conn.pageInfo.endCursor;
    } else {
      ({ ids: userIds, hasNext } = idsPage(sel.ids, page, sel.size));
    }
    let histories: UserHistory[] = [];
    if (userIds.length > 0) {
      const data = await call(UsersHistoryDocument, { userIds, from: sel.from, to: sel.to });
      if (seq !== state.users.seq) return;
      histories = data.signInHistory;
    }
    const dates = rangeDates(sel);
    const today = state.me?.signInStatus.today ?? sel.to;
    Object.assign(state.users, { page, hasNext, dates, rows: gridRows(histories, dates, today) });
    renderUsers(noteFor(sel, userIds, histories));
  } catch (err) {
    if (seq === state.users.seq) fail(dom.usersError, err);
  } finally {
    if (seq === state.users.seq) setUsersBusy(false);
  }
}

/** What the page should say besides the grid: nobody found, or ids the API left out. */
function noteFor(sel: UsersSelection, asked: string[], histories: UserHistory[]): string {
  if (sel.mode === 'search') {
    return asked.length === 0 && state.users.page === 0 ? `No user's name contains “${sel.query}”.` : '';
  }
  const missing = missingIds(asked, histories);
  if (missing.length === 0) return '';
  return `No user with the id ${missing.join(', ')} (unknown or deleted).`;
}

/** Saves the grid shown (its users × its dates) as a CSV file. */
export function downloadUsersCsv(): void {
  const { selection, rows, dates, page } = state.users;
  if (!selection || rows.length === 0) return;
  const name = csvFileName(selection.from, selection.to, page);
  saveBlob(new Blob([gridCsv(rows, dates)], { type: 'text/csv;charset=utf-8' }), name);
  dom.usersCsvStatus.textContent = `Saved ${name} (${rows.length} ${rows.length === 1 ? 'user' : 'users'} × ${dates.length} days).`;
}
