import { describe, expect, it } from 'vitest';
import { headersWithoutAuthorization, storedWithoutAuthorization } from './storage';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2ln';

describe('headersWithoutAuthorization', () => {
  it('drops Authorization in any case and keeps the other headers', () => {
    expect(headersWithoutAuthorization(JSON.stringify({ Authorization: `Bearer ${TOKEN}` }))).toBe('');
    expect(headersWithoutAuthorization(JSON.stringify({ authorization: `Bearer ${TOKEN}`, 'X-Request-Id': 'r1' })))
      .toBe(JSON.stringify({ 'X-Request-Id': 'r1' }, null, 2));
  });
  it('keeps nothing of text that is not a JSON object', () => {
    expect(headersWithoutAuthorization(`{ "Authorization": "Bearer ${TOKEN}"`)).toBe('');
    expect(headersWithoutAuthorization('["a"]')).toBe('');
  });
});

describe('storedWithoutAuthorization', () => {
  it('cleans the headers of every history entry', () => {
    const stored = JSON.stringify({
      queries: [
        { query: '{ me { username } }', headers: JSON.stringify({ Authorization: `Bearer ${TOKEN}` }), operationName: null },
        { query: '{ __typename }', headers: JSON.stringify({ 'X-Trace': '1' }) },
        { query: '{ __typename }' },
      ],
    });
    const out = storedWithoutAuthorization(stored);
    expect(out).not.toContain(TOKEN);
    expect(JSON.parse(out)).toEqual({
      queries: [
        { query: '{ me { username } }', headers: '', operationName: null },
        { query: '{ __typename }', headers: JSON.stringify({ 'X-Trace': '1' }, null, 2) },
        { query: '{ __typename }' },
      ],
    });
  });
  it('leaves other values as they are', () => {
    expect(storedWithoutAuthorization('{"activeTabIndex":0}')).toBe('{"activeTabIndex":0}');
    expect(storedWithoutAuthorization('dark')).toBe('dark');
    expect(storedWithoutAuthorization('12')).toBe('12');
  });
});
