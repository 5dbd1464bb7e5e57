// The audit log: newest first, AUDIT_PAGE at a time ("More"), filtered by
// actor or target user (a click on a name filters on that user).
import { call } from '../common/session';
import { AuditDocument, type AuditEntryFieldsFragment } from '../generated/graphql';
import { fail } from './auth';
import { dom } from './dom';
import { AUDIT_PAGE, state } from './state';
import { formatTime, show, td } from './view';

export async function loadAudit(fresh: boolean): Promise<void> {
  if (fresh) {
    state.audit.seq += 1;
    state.audit.endCursor = null;
  }
  const seq = state.audit.seq;
  show(dom.auditError, '');
  dom.auditMore.disabled = true;
  try {
    const data = await call(AuditDocument, {
      first: AUDIT_PAGE,
      after: fresh ? null : state.audit.endCursor,
      actorId: state.audit.actorId || null,
      targetUserId: state.audit.targetUserId || null,
    });
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

function auditRow(e: AuditEntryFieldsFragment): HTMLTableRowElement {
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
export function readableDetails(json: string): string {
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

export function applyAuditFilter(): void {
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
