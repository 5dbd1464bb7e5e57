// The webhook screens' pure parts: the event types with their wire names and
// words, what an endpoint's state and a message's attempts read as, the
// create form's checks, and merging a message read again into the list.
// No DOM here, so webhook-words.test.ts runs it in Node.
import type {
  WebhookDeliveryFieldsFragment, WebhookDeliveryStatus, WebhookEndpointFieldsFragment, WebhookEventType,
} from '../generated/graphql';
import { durationText } from '../checkin/zones';

/**
 * Every event type, in the contract's order, with the name receivers see in
 * the payload's `type` (operators know the events by it) and what it means.
 * A Record keyed by the schema's enum: a type added to the schema fails the
 * build until it has its words here.
 */
const EVENTS: Record<WebhookEventType, { wire: string; words: string }> = {
  SIGN_IN_RECORDED: { wire: 'sign_in.recorded', words: 'a user signed in' },
  REWARD_CREDITED: { wire: 'reward.credited', words: 'a reward or bonus reached a wallet' },
  MILESTONE_REACHED: { wire: 'milestone.reached', words: 'a streak reached a milestone' },
  STREAK_FREEZE_USED: { wire: 'streak.freeze_used', words: 'a streak freeze covered a missed day' },
  STREAK_AT_RISK: { wire: 'streak.at_risk', words: 'a streak breaks at midnight unless the user signs in (the reminder)' },
  STREAK_LOST: { wire: 'streak.lost', words: 'a streak was lost' },
};

export const EVENT_TYPES = (Object.keys(EVENTS) as WebhookEventType[]).map((type) => ({ type, ...EVENTS[type] }));

/** `SIGN_IN_RECORDED` as receivers see it: `sign_in.recorded` (an unknown one as it came). */
export function eventName(type: string): string {
  return (EVENTS as Record<string, { wire: string } | undefined>)[type]?.wire ?? type;
}

/** The events of an endpoint, in the contract's order, by their wire names. */
export function eventsText(types: readonly string[]): string {
  const order = EVENT_TYPES.map((e) => e.type as string);
  const rank = (t: string) => (order.includes(t) ? order.indexOf(t) : order.length);
  return [...types].sort((a, b) => rank(a) - rank(b)).map(eventName).join(', ');
}

export type EndpointState = Pick<WebhookEndpointFieldsFragment, 'enabled' | 'disabledReason'>;

/**
 * An endpoint's state in words. The service disables an endpoint by itself
 * (a 410 answer, 5 days of failures) and says why in `disabledReason`; an
 * admin's "Disable" leaves no reason.
 */
export function endpointStateText(e: EndpointState): string {
  if (e.enabled) return 'Enabled: receives its events.';
  const reason = e.disabledReason?.trim();
  if (reason) return `Disabled by the service: ${reason.replace(/[.!]$/, '')}. Enable it once the receiver works again.`;
  return 'Disabled by an admin: nothing is sent to it.';
}

/** The create form, checked before it is sent, or what to fix. The URL itself is the service's to judge (its message says what is wrong). */
export function checkEndpointForm(
  url: string,
  events: readonly WebhookEventType[],
  description: string,
): { error: string } | { url: string; events: WebhookEventType[]; description: string } {
  const u = url.trim();
  if (!u) return { error: 'Enter the URL the webhooks are sent to, such as https://example.com/hooks.' };
  if (events.length === 0) return { error: 'Choose at least one event to send to it.' };
  const order = EVENT_TYPES.map((e) => e.type);
  return { url: u, events: order.filter((t) => events.includes(t)), description: description.trim() };
}

export const STATUS_WORDS: Record<WebhookDeliveryStatus, string> = {
  PENDING: 'pending',
  DELIVERED: 'delivered',
  FAILED: 'failed',
};

/** The status filter's value (`''` for all) as the API's argument; anything else is all. */
export function statusFilter(value: string): WebhookDeliveryStatus | null {
  return Object.prototype.hasOwnProperty.call(STATUS_WORDS, value) ? (value as WebhookDeliveryStatus) : null;
}

export type Attempt = WebhookDeliveryFieldsFragment['attempts'][number];

/** Whether an attempt delivered the message (a 2xx answer). */
export function attemptDelivered(a: Pick<Attempt, 'httpStatus'>): boolean {
  return a.httpStatus !== null && a.httpStatus !== undefined && a.httpStatus >= 200 && a.httpStatus < 300;
}

/** What an attempt came to: "HTTP 200", "HTTP 503: …", or "No answer: timed out". */
export function attemptResult(a: Pick<Attempt, 'httpStatus' | 'error'>): string {
  const error = a.error?.trim();
  if (a.httpStatus !== null && a.httpStatus !== undefined) {
    return error ? `HTTP ${a.httpStatus}: ${error}` : `HTTP ${a.httpStatus}`;
  }
  return `No answer: ${error || 'the connection failed'}`;
}

/** How long an attempt took: "85 ms", "1.2 s", "15 s". */
export function tookText(ms: number): string {
  if (!(ms >= 0)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * When the next attempt comes, relative to `nowMs` on the service's clock
 * (the admin page reads the offset from the access token, as the check-in
 * page does: a test clock would otherwise put it hours off): "in 42 s",
 * "in 5 min", "in 2 h 5 min", or "due now".
 */
export function nextAttemptIn(iso: string, nowMs: number): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return '';
  const ms = at - nowMs;
  if (ms <= 1000) return 'due now';
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `in ${seconds} s` : `in ${durationText(ms)}`;
}

/** The payload as sent, indented for reading (as it came when it is not JSON). */
export function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

export function attemptsText(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}

/**
 * How long to wait before each re-read of a message sent again (ms): the
 * attempt runs on a worker, usually within a second; about 16 s in all.
 */
export const REPLAY_POLL_MS: readonly number[] = [500, 1000, 1000, 1500, 2000, 2000, 3000, 5000];

/** A message sent again is settled once an attempt more than `attemptsBefore` has been recorded. */
export function replaySettled(attemptsBefore: number, now: { attempts: readonly unknown[] }): boolean {
  return now.attempts.length > attemptsBefore;
}

/** `edges` with the message `node.id` replaced by `node` (its cursor kept); the same list when it is not there. */
export function mergeDelivery<N extends { id: string }>(
  edges: readonly { cursor: string; node: N }[],
  node: N,
): { cursor: string; node: N }[] {
  return edges.map((e) => (e.node.id === node.id ? { cursor: e.cursor, node } : e));
}

/**
 * Where to start reading again to find the message at `index` of the list
 * shown: right after the one before it (`after` its cursor), so the message
 * is near the top of that page whatever the filter, and newer messages
 * arriving meanwhile do not push it out; null for the first one.
 */
export function cursorBefore(edges: readonly { cursor: string }[], index: number): string | null {
  return index > 0 ? edges[index - 1]?.cursor ?? null : null;
}
