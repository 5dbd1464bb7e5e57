import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES, REPLAY_POLL_MS, attemptDelivered, attemptResult, attemptsText, checkEndpointForm, cursorBefore,
  endpointStateText, eventName, eventsText, mergeDelivery, nextAttemptIn, prettyPayload, replaySettled,
  statusFilter, tookText,
} from './webhook-words';

describe('event types', () => {
  it('are the six of the contract, in its order, with their wire names', () => {
    expect(EVENT_TYPES.map((e) => [e.type, e.wire])).toEqual([
      ['SIGN_IN_RECORDED', 'sign_in.recorded'],
      ['REWARD_CREDITED', 'reward.credited'],
      ['MILESTONE_REACHED', 'milestone.reached'],
      ['STREAK_FREEZE_USED', 'streak.freeze_used'],
      ['STREAK_AT_RISK', 'streak.at_risk'],
      ['STREAK_LOST', 'streak.lost'],
    ]);
    for (const e of EVENT_TYPES) expect(e.words).not.toBe('');
  });

  it('read as receivers see them, in the contract order whatever the order given', () => {
    expect(eventName('STREAK_LOST')).toBe('streak.lost');
    expect(eventName('SOMETHING_NEW')).toBe('SOMETHING_NEW');
    expect(eventsText(['STREAK_LOST', 'SIGN_IN_RECORDED'])).toBe('sign_in.recorded, streak.lost');
    expect(eventsText(['SOMETHING_NEW', 'REWARD_CREDITED'])).toBe('reward.credited, SOMETHING_NEW');
    expect(eventsText([])).toBe('');
  });
});

describe('endpointStateText', () => {
  it('says who disabled an endpoint, and why when the service did', () => {
    expect(endpointStateText({ enabled: true, disabledReason: null })).toBe('Enabled: receives its events.');
    expect(endpointStateText({ enabled: false, disabledReason: null })).toBe('Disabled by an admin: nothing is sent to it.');
    expect(endpointStateText({ enabled: false, disabledReason: '' })).toBe('Disabled by an admin: nothing is sent to it.');
    expect(endpointStateText({ enabled: false, disabledReason: 'the endpoint answered 410 Gone' }))
      .toBe('Disabled by the service: the endpoint answered 410 Gone. Enable it once the receiver works again.');
    // A reason that ends its own sentence gets no second stop.
    expect(endpointStateText({ enabled: false, disabledReason: 'every attempt failed for 5 days.' }))
      .toBe('Disabled by the service: every attempt failed for 5 days. Enable it once the receiver works again.');
  });
});

describe('checkEndpointForm', () => {
  it('asks for a URL and at least one event; the URL itself is left to the service', () => {
    expect(checkEndpointForm('  ', ['SIGN_IN_RECORDED'], '')).toEqual({
      error: 'Enter the URL the webhooks are sent to, such as https://example.com/hooks.',
    });
    expect(checkEndpointForm('https://e.com/h', [], '')).toEqual({ error: 'Choose at least one event to send to it.' });
    // Not a URL at all: sent as typed, so the page shows what the service says is wrong with it.
    expect(checkEndpointForm('ftp://e.com', ['STREAK_LOST'], '')).toEqual({
      url: 'ftp://e.com', events: ['STREAK_LOST'], description: '',
    });
  });

  it('trims, and sends the events in the contract order', () => {
    expect(checkEndpointForm(' https://e.com/h ', ['STREAK_LOST', 'SIGN_IN_RECORDED'], '  CRM  ')).toEqual({
      url: 'https://e.com/h', events: ['SIGN_IN_RECORDED', 'STREAK_LOST'], description: 'CRM',
    });
  });
});

describe('statusFilter', () => {
  it('takes the three statuses, and anything else as all', () => {
    expect(statusFilter('PENDING')).toBe('PENDING');
    expect(statusFilter('DELIVERED')).toBe('DELIVERED');
    expect(statusFilter('FAILED')).toBe('FAILED');
    expect(statusFilter('')).toBeNull();
    expect(statusFilter('delivered')).toBeNull();
    expect(statusFilter('toString')).toBeNull();
  });
});

describe('attempts', () => {
  it('deliver on a 2xx answer only', () => {
    expect(attemptDelivered({ httpStatus: 200 })).toBe(true);
    expect(attemptDelivered({ httpStatus: 204 })).toBe(true);
    expect(attemptDelivered({ httpStatus: 301 })).toBe(false);
    expect(attemptDelivered({ httpStatus: 410 })).toBe(false);
    expect(attemptDelivered({ httpStatus: null })).toBe(false);
  });

  it('read as the HTTP status, with the error when there is one, or why no answer came', () => {
    expect(attemptResult({ httpStatus: 200, error: null })).toBe('HTTP 200');
    expect(attemptResult({ httpStatus: 503, error: 'retry after 30 s' })).toBe('HTTP 503: retry after 30 s');
    expect(attemptResult({ httpStatus: null, error: 'timed out after 15 s' })).toBe('No answer: timed out after 15 s');
    expect(attemptResult({ httpStatus: null, error: null })).toBe('No answer: the connection failed');
    expect(attemptResult({ httpStatus: null, error: '  ' })).toBe('No answer: the connection failed');
  });

  it('say how long they took', () => {
    expect(tookText(0)).toBe('0 ms');
    expect(tookText(85)).toBe('85 ms');
    expect(tookText(999)).toBe('999 ms');
    expect(tookText(1000)).toBe('1.0 s');
    expect(tookText(1234)).toBe('1.2 s');
    expect(tookText(15_000)).toBe('15 s');
    expect(tookText(-1)).toBe('—');
    expect(tookText(Number.NaN)).toBe('—');
  });

  it('are counted in words', () => {
    expect(attemptsText(0)).toBe('0 attempts');
    expect(attemptsText(1)).toBe('1 attempt');
    expect(attemptsText(2)).toBe('2 attempts');
  });
});

describe('nextAttemptIn', () => {
  const now = Date.parse('2026-03-10T12:00:00Z');
  it('counts from the service time it is given, in seconds, then minutes and hours (rounded up)', () => {
    expect(nextAttemptIn('2026-03-10T12:00:05Z', now)).toBe('in 5 s');
    expect(nextAttemptIn('2026-03-10T12:00:59Z', now)).toBe('in 59 s');
    expect(nextAttemptIn('2026-03-10T12:00:59.500Z', now)).toBe('in 1 min');
    expect(nextAttemptIn('2026-03-10T12:05:00Z', now)).toBe('in 5 min');
    expect(nextAttemptIn('2026-03-10T12:30:01Z', now)).toBe('in 31 min');
    expect(nextAttemptIn('2026-03-10T14:05:00+00:00', now)).toBe('in 2 h 5 min');
    expect(nextAttemptIn('2026-03-11T00:00:00Z', now)).toBe('in 12 h');
  });

  it('says "due now" for an instant reached or passed, and nothing for a bad one', () => {
    expect(nextAttemptIn('2026-03-10T12:00:00Z', now)).toBe('due now');
    expect(nextAttemptIn('2026-03-10T11:00:00Z', now)).toBe('due now');
    expect(nextAttemptIn('soon', now)).toBe('');
  });
});

describe('prettyPayload', () => {
  it('indents JSON and leaves anything else as it came', () => {
    expect(prettyPayload('{"type":"sign_in.recorded","data":{"userId":"7"}}')).toBe(
      '{\n  "type": "sign_in.recorded",\n  "data": {\n    "userId": "7"\n  }\n}',
    );
    expect(prettyPayload('not json')).toBe('not json');
  });
});

describe('a message sent again', () => {
  it('is settled once it has an attempt more than before', () => {
    expect(replaySettled(1, { attempts: [{}] })).toBe(false);
    expect(replaySettled(1, { attempts: [{}, {}] })).toBe(true);
    expect(replaySettled(0, { attempts: [{}] })).toBe(true);
  });

  it('is waited for a bounded while', () => {
    const total = REPLAY_POLL_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(total).toBeLessThanOrEqual(30_000);
    expect(REPLAY_POLL_MS.every((ms) => ms > 0)).toBe(true);
  });

  it('replaces its row, keeping the cursor and the others', () => {
    const edges = [
      { cursor: 'c3', node: { id: 'msg_3', status: 'DELIVERED' } },
      { cursor: 'c2', node: { id: 'msg_2', status: 'FAILED' } },
    ];
    const merged = mergeDelivery(edges, { id: 'msg_2', status: 'PENDING' });
    expect(merged).toEqual([
      { cursor: 'c3', node: { id: 'msg_3', status: 'DELIVERED' } },
      { cursor: 'c2', node: { id: 'msg_2', status: 'PENDING' } },
    ]);
    expect(merged[0]).toBe(edges[0]);
    expect(mergeDelivery(edges, { id: 'msg_9', status: 'PENDING' })).toEqual(edges);
  });

  it('is read again after the message shown before it (the first from the top)', () => {
    const edges = [{ cursor: 'c3' }, { cursor: 'c2' }, { cursor: 'c1' }];
    expect(cursorBefore(edges, 0)).toBeNull();
    expect(cursorBefore(edges, 1)).toBe('c3');
    expect(cursorBefore(edges, 2)).toBe('c2');
    // Not in the list (-1): from the top.
    expect(cursorBefore(edges, -1)).toBeNull();
  });
});
