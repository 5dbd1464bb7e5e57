// Sentences for people, chosen from an error's `extensions.code` (and
// `extensions.reason`), never the server's raw message: the code is the
// contract, the wording is the page's.
import { toApiError, type ApiError } from './api';
import { changePeriod, durationText } from './zones';

/** What the person was doing when the error came: the same code reads differently. */
export type Action =
  | 'auth' | 'load' | 'signIn' | 'makeUp' | 'buyFreeze' | 'signOut' | 'revokeSession' | 'signOutEverywhere'
  | 'setTimeZone';

/** When the session is over (a refresh refused, a token no longer accepted). Both pages say this. */
export const SESSION_ENDED = 'Your session has ended. Please log in again.';
/** When another tab or page signed out (BroadcastChannel). */
export const SIGNED_OUT_ELSEWHERE = 'You signed out in another tab.';

/** Numbers that make a refusal concrete ("a make-up costs 50 points"). */
export interface Context {
  cost?: number;
  balance?: number | null;
  maxFreezes?: number;
  /** The time zone name that was sent (setTimeZone). */
  zone?: string;
}

const MESSAGES: Record<string, string> = {
  ALREADY_SIGNED_IN: 'You have already signed in today',
  INVALID_CREDENTIALS: 'Wrong username or password',
  RATE_LIMITED: 'Too many attempts, try again later',
  USERNAME_TAKEN: 'That username is already taken, please choose another one',
  UNAUTHENTICATED: SESSION_ENDED,
  FORBIDDEN: 'You are not allowed to do that',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable, try again in a moment',
  INSUFFICIENT_FUNDS: 'Not enough points in your wallet',
  IDEMPOTENCY_CONFLICT: 'That request clashed with an earlier one, please try again',
  LIMIT_REACHED: 'You have reached the limit for that',
  NOT_FOUND: 'That could not be found, please reload the page',
};
const GENERIC = 'Something went wrong, please try again';

const MAKE_UP_REASONS: Record<string, string> = {
  NOT_MISSED: 'That day is already signed in or covered by a streak freeze, so there is nothing to make up',
  OUT_OF_WINDOW: 'That day can no longer be made up: only the last few days before today can be',
  BEFORE_REGISTRATION: 'You had not registered yet on that day, so it cannot be made up',
};

function points(n: number): string {
  return `${n} ${n === 1 ? 'point' : 'points'}`;
}

/**
 * A change of time zone refused as too soon (LIMIT_REACHED of setTimeZone):
 * how often one may change it and when the next change is possible
 * (`extensions.retryAfter`, seconds). The period is not in the extensions:
 * it is read from the number of days the service's message names ("…
 * changed less than 7 days ago …"); without it the sentence does without.
 */
function zoneChangeLimit(e: ApiError): string {
  const days = /\bless than (\d+) days?\b/.exec(e.message);
  const limit = days && Number(days[1]) > 0
    ? `You can change your time zone ${changePeriod(Number(days[1]))}`
    : 'Your time zone was changed recently';
  const wait = e.retryAfter;
  return wait !== undefined
    ? `${limit}; next change possible in ${durationText(wait * 1000)}.`
    : `${limit}; try again in a few days.`;
}

/** The sentence to show for `err`, raised while doing `action`. */
export function humanMessage(err: unknown, action: Action = 'load', ctx: Context = {}): string {
  const e = toApiError(err);
  switch (e.code) {
    case 'BAD_USER_INPUT':
      if (action === 'setTimeZone' && e.argument === 'timeZone') {
        const name = ctx.zone ? `"${ctx.zone}" is` : 'That is';
        return `${name} not a known time zone: choose one from the list, such as Europe/Paris.`;
      }
      // Validation messages name the field for people.
      return e.message || GENERIC;
    case 'NETWORK':
      // Network messages are ours.
      return e.message || GENERIC;
    case 'MAKE_UP_NOT_ALLOWED':
      return MAKE_UP_REASONS[e.reason ?? ''] ?? 'That day cannot be made up';
    case 'LIMIT_REACHED':
      if (action === 'setTimeZone') return zoneChangeLimit(e);
      if (action === 'makeUp') return 'You have used all your make-ups for this month; you get new ones next month';
      if (action === 'buyFreeze') {
        return ctx.maxFreezes !== undefined
          ? `You already hold the most streak freezes allowed (${ctx.maxFreezes})`
          : 'You already hold the most streak freezes allowed';
      }
      break;
    case 'NOT_FOUND':
      if (action === 'revokeSession') return 'That session had already ended';
      break;
    case 'INSUFFICIENT_FUNDS':
      if ((action === 'makeUp' || action === 'buyFreeze') && ctx.cost !== undefined) {
        const what = action === 'makeUp' ? 'a make-up' : 'a streak freeze';
        const have = typeof ctx.balance === 'number' ? ` and you have ${points(ctx.balance)}` : '';
        return `Not enough points: ${what} costs ${points(ctx.cost)}${have}`;
      }
      break;
    default:
      break;
  }
  return MESSAGES[e.code] ?? GENERIC;
}
