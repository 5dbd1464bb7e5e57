// Small drawing helpers the admin page's sections share, and which of its
// views (login, admins only, dashboard) is shown.
import { dom } from './dom';

export function show(node: HTMLElement, text: string): void {
  node.textContent = text;
  node.hidden = !text;
}

export function td(text: string, className?: string): HTMLTableCellElement {
  const cell = document.createElement('td');
  cell.textContent = text;
  if (className) cell.className = className;
  return cell;
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function showView(view: 'auth' | 'forbidden' | 'dashboard' | 'none'): void {
  dom.auth.hidden = view !== 'auth';
  dom.forbidden.hidden = view !== 'forbidden';
  dom.dashboard.hidden = view !== 'dashboard';
  dom.who.hidden = view === 'auth' || view === 'none';
}
