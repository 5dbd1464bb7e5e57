// The webhook endpoints: the list with each one's state (and why the service
// disabled it), the form that adds one, and per endpoint Enable/Disable,
// "Rotate secret", "Deliveries" and Delete. A signing secret comes only in
// the answer of create and rotate: it is shown once in the secret box, with a
// Copy button, and kept nowhere else (not in state, not in storage); "I have
// saved it", a logout or another secret clears it.
import { call } from '../common/session';
import {
  CreateWebhookEndpointDocument, DeleteWebhookEndpointDocument, RotateWebhookSecretDocument,
  SetWebhookEndpointEnabledDocument, WebhookEndpointsDocument, type WebhookEventType,
} from '../generated/graphql';
import { loadAudit } from './audit';
import { fail } from './auth';
import { closeDeliveries, endpointChanged, openDeliveries } from './deliveries';
import { dom } from './dom';
import { state, type Endpoint } from './state';
import { formatTime, show, td } from './view';
import { EVENT_TYPES, checkEndpointForm, endpointStateText, eventsText } from './webhook-words';

/** `id` in this section's errors is an endpoint ("Endpoint: not a valid id."). */
const LABELS = { id: 'Endpoint' };

export async function loadWebhooks(): Promise<void> {
  dom.webhooksCard.hidden = false;
  if (dom.webhookEvents.childElementCount === 0) fillEventChoices();
  state.webhooks.seq += 1;
  const seq = state.webhooks.seq;
  try {
    const endpoints = (await call(WebhookEndpointsDocument, {})).webhookEndpoints;
    if (seq !== state.webhooks.seq) return;
    state.webhooks.endpoints = endpoints;
    renderEndpoints();
  } catch (err) {
    if (seq === state.webhooks.seq) fail(dom.webhooksError, err, LABELS);
  }
}

/** One checkbox per event type, from webhook-words (so the schema's enum and the form cannot drift apart). */
function fillEventChoices(): void {
  const boxes = EVENT_TYPES.map(({ type, wire, words }) => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'webhook-event';
    box.value = type;
    box.dataset.testid = `webhook-event-${type}`;
    const name = document.createElement('code');
    name.textContent = wire;
    const hint = document.createElement('span');
    hint.className = 'hint';
    hint.textContent = words;
    label.append(box, ' ', name, ' ', hint);
    return label;
  });
  dom.webhookEvents.replaceChildren(...boxes);
}

function chosenEvents(): WebhookEventType[] {
  return [...dom.webhookEvents.querySelectorAll<HTMLInputElement>('input[name="webhook-event"]:checked')]
    .map((b) => b.value as WebhookEventType);
}

export function renderEndpoints(): void {
  const rows = state.webhooks.endpoints.map(endpointRow);
  dom.webhookRows.replaceChildren(...rows);
  dom.webhooksEmpty.hidden = rows.length > 0;
}

function button(text: string, testid: string, onClick: (b: HTMLButtonElement) => void, title = ''): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.dataset.testid = testid;
  if (title) b.title = title;
  b.addEventListener('click', () => onClick(b));
  return b;
}

function endpointRow(e: Endpoint): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.testid = 'webhook-row';
  tr.dataset.id = e.id;
  tr.dataset.enabled = String(e.enabled);
  tr.className = e.enabled ? 'wh-enabled' : 'wh-disabled';
  if (state.deliveries.endpoint?.id === e.id) tr.classList.add('wh-open');

  const stateCell = document.createElement('td');
  stateCell.className = 'wh-state';
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.textContent = e.enabled ? 'enabled' : 'disabled';
  const words = document.createElement('div');
  words.className = 'small';
  words.dataset.testid = 'webhook-state';
  words.textContent = endpointStateText(e);
  stateCell.append(badge, words);

  const actions = document.createElement('td');
  actions.className = 'actions';
  actions.append(
    button(e.enabled ? 'Disable' : 'Enable', 'webhook-toggle', (b) => void setEnabled(e, !e.enabled, b), e.enabled
      ? 'Stop sending to it; its messages waiting for a retry fail'
      : 'Send its events to it again'),
    button('Rotate secret', 'webhook-rotate', (b) => void rotate(e, b)),
    button('Deliveries', 'webhook-deliveries', () => openDeliveries(e)),
    button('Delete', 'webhook-delete', (b) => void remove(e, b)),
  );

  tr.append(
    td(e.url, 'mono url'),
    td(eventsText(e.events), 'mono small'),
    td(e.description || '—', e.description ? '' : 'muted'),
    stateCell,
    td(formatTime(e.createdAt), 'nowrap'),
    actions,
  );
  return tr;
}

/** Replaces `e` in the list with the API's answer and redraws; the deliveries view follows. */
function replaceEndpoint(e: Endpoint): void {
  state.webhooks.endpoints = state.webhooks.endpoints.map((x) => (x.id === e.id ? e : x));
  renderEndpoints();
  endpointChanged(e);
}

/**
 * Shows a secret, once: the create or rotate answer's. `rotated` adds what
 * happens to the old one. Nothing else keeps it.
 */
function showSecret(e: Endpoint, secret: string, rotated: boolean): void {
  dom.webhookSecret.dataset.endpointId = e.id;
  dom.webhookSecretTitle.textContent = rotated ? `New signing secret of ${e.url}` : `Signing secret of ${e.url}`;
  dom.webhookSecretValue.value = secret;
  dom.webhookSecretNote.textContent = rotated
    ? 'Copy it now and give it to the receiver: it will not be shown again. The old secret keeps signing '
      + 'beside this one for 24 hours (webhook-signature then carries both signatures), so the receiver keeps '
      + 'verifying while you update it; after that only this one signs.'
    : 'Copy it now and give it to the receiver, which checks each webhook-signature with it: '
      + 'it will not be shown again. If it is lost, rotate the secret to get a new one.';
  dom.webhookSecretStatus.textContent = '';
  dom.webhookSecret.hidden = false;
  dom.webhookSecret.scrollIntoView({ block: 'nearest' });
  dom.webhookSecretValue.focus();
  dom.webhookSecretValue.select();
}

/** Takes the secret off the page ("I have saved it", logout, its endpoint deleted). */
export function forgetSecret(): void {
  dom.webhookSecretValue.value = '';
  dom.webhookSecretTitle.textContent = '';
  dom.webhookSecretStatus.textContent = '';
  delete dom.webhookSecret.dataset.endpointId;
  dom.webhookSecret.hidden = true;
}

/**
 * Copies the secret. The Clipboard API needs a secure context (https,
 * localhost) and the page's focus; elsewhere the selected text is copied the
 * old way, and failing that the person copies it by hand (it is selected).
 */
export async function copySecret(): Promise<void> {
  const value = dom.webhookSecretValue.value;
  if (!value) return;
  let copied = false;
  try {
    await navigator.clipboard.writeText(value);
    copied = true;
  } catch {
    dom.webhookSecretValue.focus();
    dom.webhookSecretValue.select();
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
  }
  dom.webhookSecretStatus.textContent = copied
    ? 'Copied to the clipboard.'
    : 'Could not copy it: it is selected, copy it with Ctrl+C (⌘C).';
}

export async function createEndpoint(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  show(dom.webhooksError, '');
  const checked = checkEndpointForm(dom.webhookUrl.value, chosenEvents(), dom.webhookDescription.value);
  if ('error' in checked) {
    show(dom.webhooksError, checked.error);
    return;
  }
  const submit = dom.webhookForm.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (submit) submit.disabled = true;
  try {
    const { endpoint, secret } = (await call(CreateWebhookEndpointDocument, checked)).createWebhookEndpoint;
    state.webhooks.endpoints = [...state.webhooks.endpoints.filter((x) => x.id !== endpoint.id), endpoint];
    renderEndpoints();
    dom.webhookForm.reset();
    showSecret(endpoint, secret, false);
    void loadAudit(true);
  } catch (err) {
    fail(dom.webhooksError, err, LABELS);
    if (dom.webhooksError.textContent?.startsWith('URL:')) dom.webhookUrl.focus();
  } finally {
    if (submit) submit.disabled = false;
  }
}

async function setEnabled(e: Endpoint, enabled: boolean, b: HTMLButtonElement): Promise<void> {
  show(dom.webhooksError, '');
  b.disabled = true;
  try {
    replaceEndpoint((await call(SetWebhookEndpointEnabledDocument, { id: e.id, enabled })).updateWebhookEndpoint);
    void loadAudit(true);
  } catch (err) {
    b.disabled = false;
    fail(dom.webhooksError, err, LABELS);
  }
}

async function rotate(e: Endpoint, b: HTMLButtonElement): Promise<void> {
  const ok = window.confirm(
    `Make a new signing secret for ${e.url}?\n\nThe current secret keeps signing beside the new one for 24 hours; `
    + 'after that only the new one signs, so the receiver must have it by then.',
  );
  if (!ok) return;
  show(dom.webhooksError, '');
  b.disabled = true;
  try {
    const { endpoint, secret } = (await call(RotateWebhookSecretDocument, { id: e.id })).rotateWebhookSecret;
    replaceEndpoint(endpoint);
    showSecret(endpoint, secret, true);
    void loadAudit(true);
  } catch (err) {
    fail(dom.webhooksError, err, LABELS);
  } finally {
    b.disabled = false;
  }
}

async function remove(e: Endpoint, b: HTMLButtonElement): Promise<void> {
  const ok = window.confirm(
    `Delete the endpoint ${e.url}?\n\nNothing more is sent to it, its messages waiting for a retry are dropped, `
    + 'and this cannot be undone.',
  );
  if (!ok) return;
  show(dom.webhooksError, '');
  b.disabled = true;
  try {
    await call(DeleteWebhookEndpointDocument, { id: e.id });
    state.webhooks.endpoints = state.webhooks.endpoints.filter((x) => x.id !== e.id);
    renderEndpoints();
    if (dom.webhookSecret.dataset.endpointId === e.id) forgetSecret();
    if (state.deliveries.endpoint?.id === e.id) closeDeliveries();
    void loadAudit(true);
  } catch (err) {
    b.disabled = false;
    fail(dom.webhooksError, err, LABELS);
  }
}
