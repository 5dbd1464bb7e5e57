import { describe, expect, it } from 'vitest';
import { ApiError, toApiError } from './api';
import { SESSION_ENDED, humanMessage } from './messages';
import { humanMessage as adminMessage } from '../admin/api';

/** An error as the API sends it, with `extensions`. */
function apiError(code: string, message = 'server text', extensions: Record<string, unknown> = {}): ApiError {
  return toApiError([{ message, extensions: { code, ...extensions } }]);
}

describe('check-in page sentences', () => {
  it('are chosen by extensions.code, never the server text', () => {
    expect(humanMessage(apiError('INVALID_CREDENTIALS'))).toBe('Wrong username or password');
    expect(humanMessage(apiError('ALREADY_SIGNED_IN'), 'signIn')).toBe('You have already signed in today');
    expect(humanMessage(apiError('USERNAME_TAKEN'))).toBe('That username is already taken, please choose another one');
    expect(humanMessage(apiError('UNAUTHENTICATED'))).toBe('Your session has ended. Please log in again.');
    expect(humanMessage(apiError('RATE_LIMITED'))).toBe('Too many attempts, try again later');
    expect(humanMessage(apiError('INTERNAL_SERVER_ERROR', 'SELECT * FROM users failed'))).toBe('Something went wrong, please try again');
    expect(humanMessage(apiError('SOMETHING_NEW'))).toBe('Something went wrong, please try again');
  });

  it('show BAD_USER_INPUT and network messages as they are', () => {
    expect(humanMessage(apiError('BAD_USER_INPUT', 'password: 8 to 128 characters'))).toBe('password: 8 to 128 characters');
    expect(humanMessage(new TypeError('Failed to fetch'))).toBe('Failed to fetch');
  });

  it('explain a refused make-up by its reason', () => {
    expect(humanMessage(apiError('MAKE_UP_NOT_ALLOWED', 'x', { reason: 'NOT_MISSED' }), 'makeUp'))
      .toBe('That day is already signed in or covered by a streak freeze, so there is nothing to make up');
    expect(humanMessage(apiError('MAKE_UP_NOT_ALLOWED', 'x', { reason: 'OUT_OF_WINDOW' }), 'makeUp'))
      .toMatch(/^That day can no longer be made up/);
    expect(humanMessage(apiError('MAKE_UP_NOT_ALLOWED', 'x', { reason: 'BEFORE_REGISTRATION' }), 'makeUp'))
      .toBe('You had not registered yet on that day, so it cannot be made up');
    expect(humanMessage(apiError('MAKE_UP_NOT_ALLOWED', 'x', { reason: 'OTHER' }), 'makeUp')).toBe('That day cannot be made up');
    expect(humanMessage(apiError('MAKE_UP_NOT_ALLOWED'), 'makeUp')).toBe('That day cannot be made up');
  });

  it('word LIMIT_REACHED for what was clicked', () => {
    expect(humanMessage(apiError('LIMIT_REACHED'), 'makeUp'))
      .toBe('You have used all your make-ups for this month; you get new ones next month');
    expect(humanMessage(apiError('LIMIT_REACHED'), 'buyFreeze', { maxFreezes: 2 }))
      .toBe('You already hold the most streak freezes allowed (2)');
    expect(humanMessage(apiError('LIMIT_REACHED'), 'buyFreeze')).toBe('You already hold the most streak freezes allowed');
    expect(humanMessage(apiError('LIMIT_REACHED'), 'load')).toBe('You have reached the limit for that');
  });

  it('explain a refused change of time zone', () => {
    const tooSoon = (retryAfter?: number, message = 'your time zone was changed less than 7 days ago; you can change it again in 2 days 3 h') =>
      apiError('LIMIT_REACHED', message, retryAfter === undefined ? {} : { retryAfter });
    expect(humanMessage(tooSoon(2 * 86_400 + 3 * 3600), 'setTimeZone'))
      .toBe('You can change your time zone once a week; next change possible in 2 days 3 h.');
    // Just after a change: a whole week, not "6 days 23 h".
    expect(humanMessage(tooSoon(604_795), 'setTimeZone'))
      .toBe('You can change your time zone once a week; next change possible in 7 days.');
    expect(humanMessage(tooSoon(3 * 3600 + 12 * 60), 'setTimeZone'))
      .toBe('You can change your time zone once a week; next change possible in 3 h 12 min.');
    expect(humanMessage(tooSoon(40, 'your time zone was changed less than 1 days ago; …'), 'setTimeZone'))
      .toBe('You can change your time zone once a day; next change possible in 1 min.');
    // Without the period in the message, or without retryAfter.
    expect(humanMessage(tooSoon(3600, 'slow down'), 'setTimeZone'))
      .toBe('Your time zone was changed recently; next change possible in 1 h.');
    expect(humanMessage(tooSoon(), 'setTimeZone'))
      .toBe('You can change your time zone once a week; try again in a few days.');
  });

  it('name an unknown time zone as such', () => {
    const unknown = apiError('BAD_USER_INPUT', 'timeZone: unknown time zone "Mars/Olympus"', { argument: 'timeZone' });
    expect(humanMessage(unknown, 'setTimeZone', { zone: 'Mars/Olympus' }))
      .toBe('"Mars/Olympus" is not a known time zone: choose one from the list, such as Europe/Paris.');
    expect(humanMessage(unknown, 'setTimeZone'))
      .toBe('That is not a known time zone: choose one from the list, such as Europe/Paris.');
    // Another argument's refusal keeps the server's words.
    expect(humanMessage(apiError('BAD_USER_INPUT', 'x: too long', { argument: 'x' }), 'setTimeZone')).toBe('x: too long');
  });

  it('make INSUFFICIENT_FUNDS concrete with the cost and the balance', () => {
    expect(humanMessage(apiError('INSUFFICIENT_FUNDS'), 'makeUp', { cost: 50, balance: 10 }))
      .toBe('Not enough points: a make-up costs 50 points and you have 10 points');
    expect(humanMessage(apiError('INSUFFICIENT_FUNDS'), 'buyFreeze', { cost: 200, balance: 1 }))
      .toBe('Not enough points: a streak freeze costs 200 points and you have 1 point');
    expect(humanMessage(apiError('INSUFFICIENT_FUNDS'), 'makeUp', { cost: 1, balance: null }))
      .toBe('Not enough points: a make-up costs 1 point');
    expect(humanMessage(apiError('INSUFFICIENT_FUNDS'), 'signIn')).toBe('Not enough points in your wallet');
  });
});

describe('session sentences', () => {
  it('say the session ended in the same words on both pages', () => {
    expect(SESSION_ENDED).toBe('Your session has ended. Please log in again.');
    expect(humanMessage(apiError('UNAUTHENTICATED'), 'revokeSession')).toBe(SESSION_ENDED);
    expect(humanMessage(apiError('UNAUTHENTICATED'), 'signOutEverywhere')).toBe(SESSION_ENDED);
    expect(adminMessage(apiError('UNAUTHENTICATED'))).toBe(SESSION_ENDED);
  });

  it('explain a sign-out of a session that had already ended', () => {
    expect(humanMessage(apiError('NOT_FOUND'), 'revokeSession')).toBe('That session had already ended');
    // Elsewhere NOT_FOUND keeps its general sentence.
    expect(humanMessage(apiError('NOT_FOUND'), 'load')).toBe('That could not be found, please reload the page');
  });

  it('word other refusals of the session buttons by their code', () => {
    expect(humanMessage(apiError('RATE_LIMITED'), 'signOutEverywhere')).toBe('Too many attempts, try again later');
    expect(humanMessage(apiError('SERVICE_UNAVAILABLE'), 'signOut'))
      .toBe('The service is temporarily unavailable, try again in a moment');
    expect(humanMessage(apiError('INTERNAL_SERVER_ERROR', 'relation "sessions" does not exist'), 'revokeSession'))
      .toBe('Something went wrong, please try again');
    expect(humanMessage(new ApiError('Cannot reach the server. Check your connection and try again.', 'NETWORK'), 'signOut'))
      .toBe('Cannot reach the server. Check your connection and try again.');
  });
});

describe('toApiError', () => {
  it('takes the first error of a list and its code', () => {
    const e = toApiError([
      { message: 'first', extensions: { code: 'FORBIDDEN' } },
      { message: 'second', extensions: { code: 'NOT_FOUND' } },
    ]);
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toBe('first');
    expect(e.errors).toHaveLength(2);
  });
  it('calls an error without a code UNKNOWN, and a thrown Error a network one', () => {
    expect(toApiError([{ message: 'no code' }]).code).toBe('UNKNOWN');
    expect(toApiError(new Error('offline')).code).toBe('NETWORK');
    expect(toApiError('odd').code).toBe('UNKNOWN');
    const same = new ApiError('x', 'FORBIDDEN');
    expect(toApiError(same)).toBe(same);
  });
});

describe('admin page sentences', () => {
  it('are chosen by extensions.code', () => {
    expect(adminMessage(apiError('FORBIDDEN'))).toBe('Only admins may do that.');
    expect(adminMessage(apiError('UNAUTHENTICATED'))).toBe('Your session has ended. Please log in again.');
    expect(adminMessage(apiError('INTERNAL_SERVER_ERROR', 'connection to 10.0.0.5 refused')))
      .toBe('The server ran into a problem. Try again; if it keeps happening, check its logs.');
    expect(adminMessage(apiError('WHATEVER'))).toBe('Something went wrong. Please try again.');
  });

  it('name the argument of a BAD_USER_INPUT as the form labels it, as a sentence', () => {
    expect(adminMessage(apiError('BAD_USER_INPUT', 'effectiveFrom: overlaps campaign 4', { argument: 'effectiveFrom' })))
      .toBe('Effective from: overlaps campaign 4.');
    expect(adminMessage(apiError('BAD_USER_INPUT', 'userIds: at most 1000 ids', { argument: 'userIds' })))
      .toBe('User ids: at most 1000 ids.');
    expect(adminMessage(apiError('BAD_USER_INPUT', 'query: must not be empty', { argument: 'query' })))
      .toBe('Name: must not be empty.');
    // An argument the page has no label for keeps its API name; a message that ends a sentence keeps its stop.
    expect(adminMessage(apiError('BAD_USER_INPUT', 'zone: unknown!', { argument: 'zone' }))).toBe('Zone: unknown!');
    expect(adminMessage(apiError('BAD_USER_INPUT', 'something is off'))).toBe('Something is off.');
  });

  it('say what was wrong with a webhook URL, and name an id as the section that sent it', () => {
    expect(adminMessage(apiError('BAD_USER_INPUT', 'url: must use https or http', { argument: 'url' })))
      .toBe('URL: must use https or http.');
    expect(adminMessage(apiError('BAD_USER_INPUT', 'events: must name at least one event type', { argument: 'events' })))
      .toBe('Events: must name at least one event type.');
    expect(adminMessage(apiError('BAD_USER_INPUT', 'description: must be at most 500 characters', { argument: 'description' })))
      .toBe('Description: must be at most 500 characters.');
    // `id` is a schedule on its own, and what the caller says it is otherwise.
    const replay = apiError('BAD_USER_INPUT', 'id: its endpoint is disabled or deleted: enable it first', { argument: 'id' });
    expect(adminMessage(replay)).toBe('Schedule: its endpoint is disabled or deleted: enable it first.');
    expect(adminMessage(replay, { id: 'Not sent again' }))
      .toBe('Not sent again: its endpoint is disabled or deleted: enable it first.');
    expect(adminMessage(apiError('NOT_FOUND'), { id: 'Endpoint' })).toBe('That no longer exists. Reload to see the current state.');
  });
});
