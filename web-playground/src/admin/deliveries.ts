// One endpoint's deliveries: its messages newest first, DELIVERIES_PAGE at a
// time ("More"), filtered by status, each with its event type, status, times,
// attempts and payload (collapsed), and "Send again" (replayWebhookDelivery).
// The API answers a replay at once and a worker makes the attempt a moment
// later, so the row is read again a few times until the new attempt shows.
import { call } from '../common/session';
import { serviceClockOffsetMs } from '../common/timing';
import { ReplayWebhookDeliveryDocument, WebhookDeliveriesDocument } from '../generated/graphql';
import { fail } from './auth';
import { dom } from './dom';
import { DELIVERIES_PAGE, state, type Delivery, type Endpoint } from './state';
import { formatTime, show, td } from './view';
import {
  REPLAY_POLL_MS, STATUS_WORDS, attemptDelivered, attemptResult, attemptsText, cursorBefore, eventName,
  mergeDelivery, nextAttemptIn, prettyPayload, replaySettled, statusFilter, tookText,
} from './webhook-words';

/** `id` in this section's errors is the message sent again. */
const REPLAY_LABELS = { id: 'Not sent again' };
/** Most messages read to find one again (the API's page limit). */
const FIND_WINDOW = 100;

/** The service's time now (ms): the browser's clock set by the access token's `iat` (timing.ts). */
function serviceNow(): number {
  const s = state.session;
  return Date.now() + (s ? serviceClockOffsetMs(s.token, s.receivedAt) : 0);
}

/** Opens the view on `e`'s messages, from the newest, with the filter as it is. */
export function openDeliveries(e: Endpoint): void {
  state.deliveries.endpoint = e;
  dom.deliveriesCard.hidden = false;
  markOpenRow();
  describeEndpoint();
  void loadDeliveries(true);
  dom.deliveriesCard.scrollIntoView({ block: 'start' });
}

export function closeDeliveries(): void {
  state.deliveries.seq += 1;
  state.deliveries.endpoint = null;
  state.deliveries.edges = [];
  dom.deliveryList.replaceChildren();
  show(dom.deliveriesError, '');
  dom.deliveriesCard.hidden = true;
  markOpenRow();
}

/** The endpoint list changed `e` (enabled, disabled): the title and the Send again buttons follow. */
export function endpointChanged(e: Endpoint): void {
  if (state.deliveries.endpoint?.id !== e.id) return;
  state.deliveries.endpoint = e;
  describeEndpoint();
  renderDeliveries();
}

function markOpenRow(): void {
  for (const tr of dom.webhookRows.querySelectorAll<HTMLElement>('tr')) {
    tr.classList.toggle('wh-open', tr.dataset.id === state.deliveries.endpoint?.id);
  }
}

function describeEndpoint(): void {
  const e = state.deliveries.endpoint;
  if (!e) return;
  dom.deliveriesTitle.textContent = `Deliveries to ${e.url}`;
  dom.deliveriesState.textContent = e.enabled
    ? 'Newest first. Each message keeps its webhook-id on every attempt; receivers skip one they have seen.'
    : 'This endpoint is disabled: nothing is sent to it, and "Send again" works once it is enabled.';
}

/** Reads the first page (`fresh`) or the next one ("More") of the view's messages. */
export async function loadDeliveries(fresh: boolean): Promise<void> {
  const e = state.deliveries.endpoint;
  if (!e) return;
  if (fresh) {
    state.deliveries.seq += 1;
    state.deliveries.endCursor = null;
    state.deliveries.status = statusFilter(dom.deliveriesStatus.value);
  }
  const seq = state.deliveries.seq;
  show(dom.deliveriesError, '');
  dom.deliveriesMore.disabled = true;
  try {
    const data = await call(WebhookDeliveriesDocument, {
      endpointId: e.id,
      status: state.deliveries.status,
      first: DELIVERIES_PAGE,
      after: fresh ? null : state.deliveries.endCursor,
    });
    if (seq !== state.deliveries.seq) return;
    const conn = data.webhookDeliveries;
    state.deliveries.edges = fresh ? conn.edges : [...state.deliveries.edges, ...conn.edges];
    state.deliveries.endCursor = conn.pageInfo.endCursor;
    dom.deliveriesMore.hidden = !conn.pageInfo.hasNextPage;
    renderDeliveries();
  } catch (err) {
    if (seq === state.deliveries.seq) fail(dom.deliveriesError, err, { id: 'Endpoint' });
  } finally {
    dom.deliveriesMore.disabled = false;
  }
}

function renderDeliveries(): void {
  const items = state.deliveries.edges.map((edge) => deliveryItem(edge.node));
  dom.deliveryList.replaceChildren(...items);
  const status = state.deliveries.status;
  dom.deliveriesEmpty.textContent = status ? `No ${STATUS_WORDS[status]} messages.` : 'No messages yet.';
  dom.deliveriesEmpty.hidden = items.length > 0;
}

/** Redraws the message `d` in place (a replay's answer, a re-read), keeping a note under it. */
function redraw(d: Delivery, note: string): void {
  state.deliveries.edges = mergeDelivery(state.deliveries.edges, d);
  const old = dom.deliveryList.querySelector<HTMLElement>(`li[data-id="${CSS.escape(d.id)}"]`);
  if (!old) return;
  const fresh = deliveryItem(d, note);
  // Keep the payload open if it was.
  const wasOpen = old.querySelector('details')?.open ?? false;
  const details = fresh.querySelector('details');
  if (details) details.open = wasOpen;
  old.replaceWith(fresh);
}

function deliveryItem(d: Delivery, note = ''): HTMLLIElement {
  const li = document.createElement('li');
  li.className = `delivery dl-${d.status.toLowerCase()}`;
  li.dataset.testid = 'delivery';
  li.dataset.id = d.id;
  li.dataset.status = d.status;
  li.dataset.eventType = eventName(d.eventType);
  li.dataset.attempts = String(d.attempts.length);

  const head = document.createElement('div');
  head.className = 'delivery-head';
  const event = document.createElement('code');
  event.className = 'event';
  event.textContent = eventName(d.eventType);
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.dataset.testid = 'delivery-status';
  badge.textContent = STATUS_WORDS[d.status];
  const times = document.createElement('span');
  times.className = 'hint';
  const next = d.nextAttemptAt
    ? ` · next attempt ${formatTime(d.nextAttemptAt)} (${nextAttemptIn(d.nextAttemptAt, serviceNow())})`
    : '';
  times.textContent = `created ${formatTime(d.createdAt)} · ${attemptsText(d.attempts.length)}${next}`;
  times.dataset.testid = 'delivery-times';
  const replay = document.createElement('button');
  replay.type = 'button';
  replay.textContent = 'Send again';
  replay.dataset.testid = 'delivery-replay';
  const enabled = state.deliveries.endpoint?.enabled ?? false;
  replay.disabled = !enabled;
  replay.title = enabled
    ? 'Send this message again now, as a new attempt with the same webhook-id'
    : 'The endpoint is disabled: enable it to send messages again';
  replay.addEventListener('click', () => void sendAgain(d, replay));
  head.append(event, ' ', badge, ' ', times, replay);

  const id = document.createElement('div');
  id.className = 'muted small mono';
  id.textContent = `webhook-id ${d.id}`;

  li.append(head, id, attemptsTable(d));

  const payload = document.createElement('details');
  payload.className = 'payload';
  const summary = document.createElement('summary');
  summary.textContent = 'Payload';
  const pre = document.createElement('pre');
  pre.dataset.testid = 'delivery-payload';
  pre.textContent = prettyPayload(d.payload);
  payload.append(summary, pre);
  li.append(payload);

  const noteLine = document.createElement('p');
  noteLine.className = 'hint delivery-note';
  noteLine.setAttribute('role', 'status');
  noteLine.dataset.testid = 'delivery-note';
  noteLine.textContent = note;
  noteLine.hidden = !note;
  li.append(noteLine);
  return li;
}

function attemptsTable(d: Delivery): HTMLElement {
  if (d.attempts.length === 0) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = 'No attempt yet.';
    return p;
  }
  const table = document.createElement('table');
  table.className = 'grid attempts';
  table.dataset.testid = 'attempts';
  const head = document.createElement('thead');
  const headRow = document.createElement('tr');
  for (const name of ['#', 'At', 'Result', 'Took']) {
    const th = document.createElement('th');
    th.textContent = name;
    headRow.append(th);
  }
  head.append(headRow);
  const body = document.createElement('tbody');
  d.attempts.forEach((a, i) => {
    const tr = document.createElement('tr');
    tr.dataset.testid = 'attempt';
    tr.dataset.httpStatus = a.httpStatus === null ? '' : String(a.httpStatus);
    tr.className = attemptDelivered(a) ? 'ok' : 'bad';
    tr.append(
      td(String(i + 1), 'num'),
      td(formatTime(a.at), 'nowrap'),
      td(attemptResult(a), 'result'),
      td(tookText(a.durationMs), 'nowrap num'),
    );
    body.append(tr);
  });
  table.append(head, body);
  return table;
}

/**
 * Reads the message `id` again: the page after the message shown before it
 * (cursorBefore), with no status filter (a message sent again is pending for
 * a moment, whatever the view's filter). Null when it is not there.
 */
async function readAgain(endpointId: string, id: string): Promise<Delivery | null> {
  const index = state.deliveries.edges.findIndex((e) => e.node.id === id);
  const data = await call(WebhookDeliveriesDocument, {
    endpointId,
    status: null,
    first: FIND_WINDOW,
    after: cursorBefore(state.deliveries.edges, index),
  });
  return data.webhookDeliveries.edges.find((e) => e.node.id === id)?.node ?? null;
}

/** What the new attempt came to: "Sent again: HTTP 200." */
function settledNote(d: Delivery): string {
  const last = d.attempts[d.attempts.length - 1];
  return last ? `Sent again: ${attemptResult(last)}.` : '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}

/** "Send again": the replay, then the row read again until its new attempt shows (or a while has passed). */
async function sendAgain(d: Delivery, b: HTMLButtonElement): Promise<void> {
  const endpoint = state.deliveries.endpoint;
  if (!endpoint) return;
  const seq = state.deliveries.seq;
  const before = d.attempts.length;
  show(dom.deliveriesError, '');
  b.disabled = true;
  let now: Delivery;
  try {
    now = (await call(ReplayWebhookDeliveryDocument, { id: d.id })).replayWebhookDelivery;
  } catch (err) {
    b.disabled = false;
    if (seq === state.deliveries.seq) fail(dom.deliveriesError, err, REPLAY_LABELS);
    return;
  }
  if (seq !== state.deliveries.seq) return;
  redraw(now, 'Sent again: waiting for the new attempt…');
  for (const wait of REPLAY_POLL_MS) {
    if (replaySettled(before, now)) break;
    await sleep(wait);
    if (seq !== state.deliveries.seq) return;
    try {
      now = (await readAgain(endpoint.id, d.id)) ?? now;
    } catch (err) {
      if (seq === state.deliveries.seq) fail(dom.deliveriesError, err);
      return;
    }
    if (seq !== state.deliveries.seq) return;
    redraw(now, replaySettled(before, now) ? settledNote(now) : 'Sent again: waiting for the new attempt…');
  }
  if (!replaySettled(before, now)) {
    redraw(now, 'Sent again; the new attempt has not been made yet. Reload to see it.');
  }
}
