// What the admin page needs beyond the check-in page's GraphQL client and the
// shared login (../common): sentences for error codes, and the CSV downloads
// (the exports, fetched with the token, and files made in the page).
import { ApiError, toApiError } from '../checkin/api';
import { fetchWithToken } from '../common/session';

const MESSAGES: Record<string, string> = {
  INVALID_CREDENTIALS: 'Wrong username or password.',
  RATE_LIMITED: 'Too many attempts. Wait a little and try again.',
  UNAUTHENTICATED: 'Your session has ended. Please log in again.',
  FORBIDDEN: 'Only admins may do that.',
  NOT_FOUND: 'That no longer exists. Reload to see the current state.',
  SERVICE_UNAVAILABLE: 'The service is briefly unavailable. Try again in a moment.',
  INTERNAL_SERVER_ERROR: 'The server ran into a problem. Try again; if it keeps happening, check its logs.',
  IDEMPOTENCY_CONFLICT: 'That request was already made with different values.',
  LIMIT_REACHED: 'A limit was reached.',
};

/**
 * A sentence for a person. BAD_USER_INPUT messages name the wrong input and
 * are written for people, so they are shown as they are; everything else is
 * chosen by `extensions.code`. `labels` names arguments as the section that
 * sent them does, where FIELD_LABELS' name would mislead (`id` is a schedule
 * there, an endpoint or a message in the webhook screens).
 */
export function humanMessage(err: unknown, labels: Record<string, string> = {}): string {
  const e = toApiError(err);
  if (e.code === 'BAD_USER_INPUT' || e.code === 'NETWORK') {
    let text = e.message || 'Some of the input was not accepted';
    // "effectiveFrom: must be after today" names the argument the page's form calls "Effective from".
    const argument = e.errors[0]?.extensions?.argument;
    if (typeof argument === 'string' && text.startsWith(`${argument}: `)) {
      text = `${labels[argument] ?? FIELD_LABELS[argument] ?? argument}: ${text.slice(argument.length + 2)}`;
    }
    return sentence(text);
  }
  return MESSAGES[e.code] ?? 'Something went wrong. Please try again.';
}

/** The page's names for the API's arguments. */
const FIELD_LABELS: Record<string, string> = {
  effectiveFrom: 'Effective from',
  effectiveTo: 'Effective to',
  rewards: 'Rewards',
  note: 'Note',
  from: 'From',
  to: 'To',
  actorId: 'Actor id',
  targetUserId: 'Target user id',
  id: 'Schedule',
  username: 'Username',
  password: 'Password',
  query: 'Name',
  userIds: 'User ids',
  first: 'Users per page',
  // The webhook form ("url: must use https or http" reads "URL: must use https or http.").
  url: 'URL',
  events: 'Events',
  description: 'Description',
  endpointId: 'Endpoint',
};

function sentence(text: string): string {
  const t = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * Downloads `path` with the bearer token (a plain link cannot send the
 * Authorization header; a 401 refreshes the token once, as every call does)
 * and hands the body to the browser as a file. Returns the number of bytes saved.
 */
export async function downloadWithToken(path: string, filename: string): Promise<number> {
  let res: Response;
  try {
    res = await fetchWithToken(path);
  } catch {
    throw new ApiError('Cannot reach the server. Check your connection and try again.', 'NETWORK');
  }
  if (!res.ok) {
    // The service explains a 400 in a line that names the parameter.
    const text = (await res.text().catch(() => '')).trim().split('\n')[0] ?? '';
    if (res.status === 400) {
      // "from: ..." names the query parameter, as a GraphQL error names its argument.
      const argument = /^(\w+): /.exec(text)?.[1];
      const message = text || 'the date range was not accepted';
      throw new ApiError(message, 'BAD_USER_INPUT', [{ message, extensions: { code: 'BAD_USER_INPUT', argument } }]);
    }
    if (res.status === 401) throw new ApiError('', 'UNAUTHENTICATED');
    if (res.status === 403) throw new ApiError('', 'FORBIDDEN');
    if (res.status === 503) throw new ApiError('', 'SERVICE_UNAVAILABLE');
    throw new ApiError(`The download failed: the server answered ${res.status}.`, 'NETWORK');
  }
  let blob: Blob;
  try {
    blob = await res.blob();
  } catch {
    throw new ApiError('The download was cut off before it finished. Try again.', 'NETWORK');
  }
  saveBlob(blob, filename);
  return blob.size;
}

/** Hands `blob` to the browser as a download named `filename` (a `blob:` URL). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Give the browser time to start saving before the URL goes away.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
