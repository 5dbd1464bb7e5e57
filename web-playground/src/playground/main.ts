// GraphiQL, fully bundled (no CDN): queries and mutations over POST /graphql,
// subscriptions over graphql-ws on the same path. The Authorization header from
// the headers editor is sent with HTTP requests and, for subscriptions, in the
// WebSocket connection_init payload. GraphiQL's storage (tabs, history) never
// keeps an Authorization header (storage.ts).
import 'graphiql/style.css';
import './playground.css';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher, type Fetcher, type FetcherOpts } from '@graphiql/toolkit';
import { createClient, type Client } from 'graphql-ws';
import { playgroundStorage } from './storage';

const HTTP_URL = '/graphql';
const WS_URL = `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/graphql`;

const DEFAULT_HEADERS = `{
  "Authorization": "Bearer <paste token>"
}
`;

const DEFAULT_QUERY = `# signin-rewards GraphQL playground
#
# 1. Create an account (or log in: same arguments, \`login\` instead of
#    \`register\`) and copy the token from the result:
#
#    mutation {
#      register(username: "alice", password: "correct-horse-battery") {
#        token expiresAt refreshToken user { id username role }
#      }
#    }
#
# 2. Paste it into the Headers tab below:
#    { "Authorization": "Bearer <token>" }
#    The same header authenticates subscriptions (WebSocket, graphql-ws).
#    The token lives a short while (SIGNIN_TOKEN_TTL_SECS); for a new one:
#
#    mutation { refreshSession(refreshToken: "<refreshToken>") { token refreshToken } }
#
# 3. Run an operation with Ctrl-Enter or the run button. Try also:
#
#    mutation { signIn { record { date cycleDay streak reward rewardCredited } } }
#    subscription { walletUpdated { id amount kind balanceAfter note createdAt } }
#    subscription { streakUpdated { today signedInToday streak cycleDay } }
#
# The Docs button (top left) shows the whole schema.

query Me {
  me {
    username
    signInStatus {
      today
      streak
      cycleDay
      todayReward
      cycle { day date reward signedIn }
    }
    wallet { balance }
  }
}

# Streak protection: the dates a make-up may fill (use one from makeUpDates),
# and a streak freeze. Each click needs a fresh idempotency key.
query Protection {
  me {
    signInStatus {
      freezesHeld makeUpDates makeUpsLeft makeUpCost freezeCost
      nextMilestone { streak bonus }
    }
  }
}

mutation MakeUp {
  makeUpSignIn(date: "2026-01-01", idempotencyKey: "make-up-1") {
    record { date cycleDay streak madeUp }
    status { streak cycleDay makeUpsLeft }
  }
}

mutation BuyFreeze {
  buyStreakFreeze(idempotencyKey: "freeze-1") {
    transaction { amount kind balanceAfter }
    status { freezesHeld }
  }
}

# Admins: people who signed in per day, the cycle-day split, what was paid.
query Stats {
  signInStats(from: "2026-01-01", to: "2026-01-31") {
    date signedIn byCycleDay rewardTotal makeUps frozen milestoneBonusTotal
  }
}

# Admins: the audit log, newest first (add actorId: or targetUserId: to filter).
query AuditLog {
  adminAuditLog(first: 20) {
    edges {
      node {
        id action createdAt details requestId
        actor { username } targetUser { username }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}

# Admins: the reward schedules (newest effectiveFrom first), publishing a
# campaign (effectiveTo set; leave it out for a base schedule) and
# cancelling one that has not started (use an id from the list).
query RewardSchedules {
  rewardSchedules {
    id rewards effectiveFrom effectiveTo note cancelled createdAt
    createdBy { username }
  }
}

mutation PublishCampaign {
  publishRewardSchedule(
    rewards: [20, 20, 40, 40, 60, 60, 200]
    effectiveFrom: "2030-12-24"
    effectiveTo: "2030-12-31"
    note: "double points for the holidays"
  ) { id rewards effectiveFrom effectiveTo }
}

mutation CancelSchedule {
  cancelRewardSchedule(id: "2") { id cancelled }
}
`;

type Headers = Record<string, unknown>;

/** The Authorization header, unless it is empty or still the placeholder. */
function usableAuth(headers: Headers | undefined): string | undefined {
  if (!headers) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization' || typeof value !== 'string') continue;
    const v = value.trim();
    if (!v || /^bearer\s*$/i.test(v) || v.includes('<')) return undefined;
    return v;
  }
  return undefined;
}

/** Headers to send: the user's, minus a placeholder or empty Authorization. */
function sendableHeaders(headers: Headers | undefined, auth: string | undefined): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'authorization') continue;
    out[name] = value;
  }
  if (auth) out.Authorization = auth;
  return out;
}

// One graphql-ws client per Authorization value: when the header changes, the
// old socket is closed and the next subscription connects with the new one.
let current: { auth: string | undefined; client: Client; fetcher: Fetcher } | null = null;

function fetcherFor(auth: string | undefined): Fetcher {
  if (current && current.auth === auth) return current.fetcher;
  if (current) void current.client.dispose();
  const client = createClient({
    url: WS_URL,
    lazy: true,
    retryAttempts: 3,
    connectionParams: () => (auth ? { Authorization: auth } : {}),
  });
  const fetcher = createGraphiQLFetcher({
    url: HTTP_URL,
    wsClient: client,
    enableIncrementalDelivery: false,
    // Plain JSON answers (status 200 with errors in the body); no multipart.
    headers: { Accept: 'application/json' },
  });
  current = { auth, client, fetcher };
  return fetcher;
}

const fetcher: Fetcher = (params, opts?: FetcherOpts) => {
  const auth = usableAuth(opts?.headers);
  const headers = sendableHeaders(opts?.headers, auth);
  return fetcherFor(auth)(params, { ...opts, headers } as FetcherOpts);
};

const container = document.getElementById('graphiql');
if (!container) throw new Error('missing #graphiql');
container.replaceChildren();
createRoot(container).render(
  createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultHeaders: DEFAULT_HEADERS,
    defaultEditorToolsVisibility: 'headers',
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    // The history would keep each run's headers, a pasted token too: stored without Authorization.
    storage: playgroundStorage(),
  }),
);
