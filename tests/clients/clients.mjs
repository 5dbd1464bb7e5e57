// Real clients, as people use them, against a running service:
//
// - Apollo Client with its persisted-queries link (automatic persisted
//   queries): the hash alone first, the query once after
//   PERSISTED_QUERY_NOT_FOUND, then the hash alone; over POST, and with
//   hashed queries over GET. Checked twice: by what the client sent (its
//   fetch is wrapped) and by what the server counted
//   (`signin_graphql_persisted_queries_total` on /metrics).
// - urql with graphql-ws: a subscription (streakUpdated, walletUpdated) sees
//   a sign-in made through urql over HTTP, and its reward.
//
// Any error a client sees fails the run (exit code 1).
//
//   BASE_URL=http://127.0.0.1:8000 node tests/clients/clients.mjs
import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';

import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';

const base = process.env.BASE_URL || 'http://127.0.0.1:8000';
const graphqlUrl = `${base}/graphql`;
const wsUrl = graphqlUrl.replace(/^http/, 'ws');

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/// The server's APQ counters, by outcome.
async function persistedCounts() {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts = {};
  for (const match of text.matchAll(
    /^signin_graphql_persisted_queries_total\{outcome="([a-z_]+)"\} (\d+)/gm,
  )) {
    counts[match[1]] = Number(match[2]);
  }
  return counts;
}

/// What changed between two readings of the counters (zeros left out).
function delta(before, after) {
  const out = {};
  for (const [outcome, n] of Object.entries(after)) {
    const d = n - (before[outcome] || 0);
    if (d !== 0) out[outcome] = d;
  }
  return out;
}

/// A new user's token, registered with a plain fetch.
async function register() {
  const username = `c_${randomBytes(6).toString('hex')}`;
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        'mutation($u: String!, $p: String!) { register(username: $u, password: $p) { token } }',
      variables: { u: username, p: 'correct-horse-battery' },
    }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return { username, token: body.data.register.token };
}

/// A fetch that records what each request carried: its method, whether it
/// held the query text, the APQ hash, and the response's Cache-Control.
function recordingFetch(log) {
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input.url);
    const method = (init.method || 'GET').toUpperCase();
    let query;
    let extensions;
    if (method === 'GET') {
      query = url.searchParams.get('query') || undefined;
      const raw = url.searchParams.get('extensions');
      extensions = raw ? JSON.parse(raw) : undefined;
    } else {
      const body = JSON.parse(init.body);
      query = body.query;
      extensions = body.extensions;
    }
    const response = await fetch(input, init);
    log.push({
      method,
      withQuery: typeof query === 'string' && query.length > 0,
      hash: extensions?.persistedQuery?.sha256Hash,
      cacheControl: response.headers.get('cache-control'),
    });
    return response;
  };
}

function apollo(token, log, options = {}) {
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: new PersistedQueryLink({ sha256, ...options }).concat(
      new HttpLink({
        uri: graphqlUrl,
        headers: { authorization: `Bearer ${token}` },
        fetch: recordingFetch(log),
      }),
    ),
  });
}

const ME = gql`
  query Me {
    me {
      username
      signInStatus {
        signedInToday
        streak
      }
    }
  }
`;

const WALLET = gql`
  query Wallet {
    me {
      wallet {
        balance
      }
    }
  }
`;

/// Apollo over POST: the hash, NOT_FOUND, the query with its hash, then the
/// hash alone.
async function apolloOverPost() {
  const { username, token } = await register();
  const log = [];
  const client = apollo(token, log);
  const before = await persistedCounts();

  const first = await client.query({ query: ME, fetchPolicy: 'network-only' });
  assert.equal(first.data.me.username, username);
  const second = await client.query({ query: ME, fetchPolicy: 'network-only' });
  assert.equal(second.data.me.signInStatus.signedInToday, false);
  const third = await client.query({ query: ME, fetchPolicy: 'network-only' });
  assert.equal(third.data.me.username, username);

  const hash = log[0].hash;
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    log.map(({ method, withQuery, hash: h }) => [method, withQuery, h === hash]),
    [
      ['POST', false, true], // the hash alone: not found
      ['POST', true, true], // the query with its hash: stored, and run
      ['POST', false, true], // then the hash alone
      ['POST', false, true],
    ],
    JSON.stringify(log),
  );
  const counted = delta(before, await persistedCounts());
  assert.deepEqual(counted, { not_found: 1, stored: 1, found: 2 }, JSON.stringify(counted));
  console.log(`apollo (POST): hash ${hash.slice(0, 12)}…: not found, stored once, then hash only ✓`);
  return { token, client, log };
}

/// Apollo with hashed queries over GET (useGETForHashedQueries): the
/// registration goes by POST, the hash-only requests by GET, and GET
/// answers are private.
async function apolloOverGet(token) {
  const log = [];
  const client = apollo(token, log, { useGETForHashedQueries: true });
  const before = await persistedCounts();
  for (let i = 0; i < 3; i += 1) {
    const result = await client.query({ query: WALLET, fetchPolicy: 'network-only' });
    assert.equal(typeof result.data.me.wallet.balance, 'number');
  }
  assert.deepEqual(
    log.map(({ method, withQuery }) => [method, withQuery]),
    [
      ['GET', false],
      ['POST', true],
      ['GET', false],
      ['GET', false],
    ],
    JSON.stringify(log),
  );
  for (const entry of log.filter((e) => e.method === 'GET')) {
    assert.match(entry.cacheControl || '', /\b(private|no-store)\b/, JSON.stringify(entry));
  }
  const counted = delta(before, await persistedCounts());
  assert.deepEqual(counted, { not_found: 1, stored: 1, found: 2 }, JSON.stringify(counted));
  console.log('apollo (GET for hashed queries): not found, stored by POST, then GET with the hash ✓');
}

/// urql: a subscription over graphql-ws sees the sign-in urql makes over
/// HTTP, and the reward the worker credits for it.
async function urqlSubscription() {
  const { token } = await register();
  let connected = false;
  const ws = createWsClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: { connected: () => (connected = true) },
  });
  const client = new Client({
    url: graphqlUrl,
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              return { unsubscribe: ws.subscribe(input, sink) };
            },
          };
        },
      }),
    ],
  });

  const events = { streak: [], wallet: [] };
  const failures = [];
  const streak = client
    .subscription('subscription { streakUpdated { streak cycleDay signedInToday } }', {})
    .subscribe((result) => {
      if (result.error) failures.push(result.error);
      else events.streak.push(result.data.streakUpdated);
    });
  const wallet = client
    .subscription('subscription { walletUpdated { amount kind } }', {})
    .subscribe((result) => {
      if (result.error) failures.push(result.error);
      else events.wallet.push(result.data.walletUpdated);
    });

  await until(() => connected, 'the graphql-ws connection was not acknowledged');
  // The server registers a subscription when it reads `subscribe`; give it
  // that moment (the protocol has no acknowledgement of a subscribe).
  await new Promise((resolve) => setTimeout(resolve, 300));

  const signIn = await client
    .mutation('mutation { signIn { record { streak cycleDay reward } } }', {})
    .toPromise();
  if (signIn.error) throw signIn.error;
  assert.equal(signIn.data.signIn.record.streak, 1);

  await until(() => events.streak.length > 0 && events.wallet.length > 0 || failures.length > 0,
    'no streakUpdated and walletUpdated event within 15 s', 15000);
  if (failures.length > 0) throw failures[0];
  assert.deepEqual(events.streak[0], { streak: 1, cycleDay: 1, signedInToday: true });
  assert.equal(events.wallet[0].kind, 'SIGN_IN_REWARD');
  assert.equal(events.wallet[0].amount, signIn.data.signIn.record.reward);
  streak.unsubscribe();
  wallet.unsubscribe();
  await ws.dispose();
  console.log('urql + graphql-ws: streakUpdated and walletUpdated after a sign-in ✓');
}

async function until(condition, message, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

try {
  const { token } = await apolloOverPost();
  await apolloOverGet(token);
  await urqlSubscription();
  console.log('clients: all passed');
  process.exit(0);
} catch (error) {
  console.error('clients: FAILED');
  console.error(error);
  process.exit(1);
}
