import{n as e}from"./dist-DWRTOsjb.js";var t=`/graphql`,n=class extends Error{constructor(e,t,n=[]){super(e),this.name=`ApiError`,this.code=t,this.errors=n}get reason(){let e=this.errors[0]?.extensions?.reason;return typeof e==`string`?e:void 0}get argument(){let e=this.errors[0]?.extensions?.argument;return typeof e==`string`?e:void 0}get retryAfter(){let e=this.errors[0]?.extensions?.retryAfter;return typeof e==`number`&&Number.isFinite(e)&&e>=0?e:void 0}};function r(){if(typeof crypto.randomUUID==`function`)return crypto.randomUUID();let e=crypto.getRandomValues(new Uint8Array(16));e[6]=e[6]&15|64,e[8]=e[8]&63|128;let t=[...e].map(e=>e.toString(16).padStart(2,`0`)).join(``);return`${t.slice(0,8)}-${t.slice(8,12)}-${t.slice(12,16)}-${t.slice(16,20)}-${t.slice(20)}`}function i(e){let t=e[0]??{message:`Unknown error`},r=typeof t.extensions?.code==`string`?t.extensions.code:`UNKNOWN`;return new n(t.message||`Unknown error`,r,e)}function a(e){return e instanceof n?e:Array.isArray(e)?i(e):typeof CloseEvent<`u`&&e instanceof CloseEvent?new n(`Live connection closed (${e.code}${e.reason?` ${e.reason}`:``})`,`NETWORK`):e instanceof Error?new n(e.message,`NETWORK`):new n(String(e),`UNKNOWN`)}var o={"Signin-Session":`cookie`};async function s(e,r,a,s={}){let c=e.toString(),l=r,u=!!l&&Object.keys(l).length>0,d={"Content-Type":`application/json`,Accept:`application/json`};a&&(d.Authorization=`Bearer ${a}`),s.sessionCookie&&Object.assign(d,o);let f;try{f=await fetch(t,{method:`POST`,headers:d,body:JSON.stringify(u?{query:c,variables:l}:{query:c}),credentials:`same-origin`})}catch{throw new n(`Cannot reach the server. Check your connection and try again.`,`NETWORK`)}let p=null;try{p=await f.json()}catch{p=null}if(p&&Array.isArray(p.errors)&&p.errors.length>0)throw i(p.errors);if(!f.ok||!p||p.data==null)throw f.status===401?new n(`Your session has ended.`,`UNAUTHENTICATED`):f.status===429?new n(`Too many requests.`,`RATE_LIMITED`):new n(`The server answered ${f.status} ${f.statusText}`.trim(),`HTTP_ERROR`);return p.data}function c(){return`${window.location.protocol===`https:`?`wss:`:`ws:`}//${window.location.host}${t}`}function l(t,n){let r=!1,i=!1,a=e({url:c(),lazy:!0,keepAlive:2e4,retryAttempts:1e6,shouldRetry:e=>{let t=e?.code;return t!==4401&&t!==4403},retryWait:async e=>{if(i){i=!1;return}let t=2**e*1e3+Math.floor(Math.random()*2700+300);await new Promise(e=>window.setTimeout(e,t))},connectionParams:()=>({Authorization:`Bearer ${t()}`}),on:{connected:()=>{n.onConnected(r),r=!0},closed:e=>n.onClosed(e?.code)}});return{client:a,reconnect:()=>{i=!0,a.terminate()}}}function u(e,t,n){return e.subscribe({query:t.toString()},n)}function d(e){let t=/^(\d{4})-(\d{2})-(\d{2})$/.exec(e);return t?new Date(Date.UTC(Number(t[1]),Number(t[2])-1,Number(t[3]))):null}function f(e,t){let n=d(e);return n?(n.setUTCDate(n.getUTCDate()+t),n.toISOString().slice(0,10)):e}function p(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`short`,day:`numeric`,timeZone:`UTC`}):e}function ee(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`short`,timeZone:`UTC`}):``}function te(e){let t=d(e);return t?String(t.getUTCDate()):e}function ne(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`long`,month:`long`,day:`numeric`,timeZone:`UTC`}):e}function re(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`long`,year:`numeric`,month:`long`,day:`numeric`,timeZone:`UTC`}):e}function ie(e){let t=Date.parse(e);return Number.isFinite(t)?new Date(t).toLocaleString(void 0,{dateStyle:`medium`,timeStyle:`short`}):e}function ae(e){let t=Date.parse(e);return Number.isFinite(t)?new Date(t).toISOString().slice(0,10):null}var m=6e4,h=60*m,oe=24*h;function g(e){if(!(e>0))return`0 min`;let t=Math.ceil(e/m);if(t<60)return`${t} min`;if(t<oe/m){let e=Math.floor(t/60),n=t%60;return n?`${e} h ${n} min`:`${e} h`}let n=Math.ceil(e/h),r=Math.floor(n/24),i=n%24,a=`${r} ${r===1?`day`:`days`}`;return i?`${a} ${i} h`:a}function se(e,t,n){let r=Date.parse(e);if(!Number.isFinite(r))return null;try{return new Intl.DateTimeFormat(n,{hour:`2-digit`,minute:`2-digit`,hourCycle:`h23`,timeZone:t}).format(new Date(r))}catch{return null}}function ce(e,t){let n=Date.parse(e);if(!Number.isFinite(n))return null;try{let e=new Intl.DateTimeFormat(`en-US`,{year:`numeric`,month:`2-digit`,day:`2-digit`,timeZone:t}).formatToParts(new Date(n)),r=t=>e.find(e=>e.type===t)?.value??``,i=`${r(`year`)}-${r(`month`)}-${r(`day`)}`;return/^\d{4}-\d{2}-\d{2}$/.test(i)?i:null}catch{return null}}function le(e,t,n,r){let i=se(e,t,r),a=Date.parse(e)-n,o=a>0?g(a):null;return i&&o?`Your day ends at ${i} in ${t}, in ${o}.`:i?`Your day ends at ${i} in ${t}.`:o?`Your day in ${t} ends in ${o}.`:`Your days are counted in ${t}.`}function ue(e){return e===1?`once a day`:e===7?`once a week`:e>7&&e%7==0?`once every ${e/7} weeks`:`once every ${e} days`}function de(){try{return Intl.DateTimeFormat().resolvedOptions().timeZone||``}catch{return``}}function fe(e=[],t=pe()){return[...new Set([...t,`UTC`,...e].filter(e=>e))].sort()}function pe(){let e=Intl;try{return typeof e.supportedValuesOf==`function`?e.supportedValuesOf(`timeZone`):[]}catch{return[]}}var _=class extends String{constructor(e,t){super(e),this.value=e,this.__meta__=t}toString(){return this.value}};new _(`
    fragment DailyStatsFields on DailySignInStats {
  date
  signedIn
  byCycleDay
  rewardTotal
  makeUps
  frozen
  milestoneBonusTotal
}
    `,{fragmentName:`DailyStatsFields`}),new _(`
    fragment ScheduleFields on RewardSchedule {
  id
  rewards
  effectiveFrom
  effectiveTo
  note
  createdAt
  cancelled
  createdBy {
    id
    username
  }
}
    `,{fragmentName:`ScheduleFields`}),new _(`
    fragment AuditEntryFields on AdminAuditEntry {
  id
  action
  actorId
  targetUserId
  details
  requestId
  createdAt
  actor {
    username
  }
  targetUser {
    username
  }
}
    `,{fragmentName:`AuditEntryFields`}),new _(`
    fragment GridUserFields on User {
  id
  username
  createdAt
}
    `,{fragmentName:`GridUserFields`}),new _(`
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledReason
  createdAt
}
    `,{fragmentName:`WebhookEndpointFields`}),new _(`
    fragment WebhookDeliveryFields on WebhookDelivery {
  id
  eventType
  status
  payload
  createdAt
  nextAttemptAt
  attempts {
    at
    httpStatus
    error
    durationMs
  }
}
    `,{fragmentName:`WebhookDeliveryFields`}),new _(`
    fragment StatusFields on SignInStatus {
  today
  signedInToday
  streak
  cycleDay
  todayReward
  freezesHeld
  makeUpDates
  makeUpsLeft
  nextMilestone {
    streak
    bonus
  }
  makeUpCost
  freezeCost
  maxFreezes
  timeZone
  dayEndsAt
  cycle {
    day
    date
    reward
    signedIn
  }
}
    `,{fragmentName:`StatusFields`}),new _(`
    fragment RecordFields on SignInRecord {
  date
  cycleDay
  streak
  reward
  rewardCredited
  madeUp
  milestoneBonus
}
    `,{fragmentName:`RecordFields`}),new _(`
    fragment TxFields on WalletTransaction {
  id
  amount
  kind
  balanceAfter
  note
  createdAt
}
    `,{fragmentName:`TxFields`}),new _(`
    fragment HistoryDayFields on SignInDay {
  date
  signedIn
  cycleDay
  streak
  reward
  madeUp
  frozen
}
    `,{fragmentName:`HistoryDayFields`}),new _(`
    fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  userAgent
  current
}
    `,{fragmentName:`SessionFields`}),new _(`
    fragment AuthFields on AuthPayload {
  token
  expiresAt
  user {
    id
    username
    role
  }
}
    `,{fragmentName:`AuthFields`});var me=new _(`
    query AdminMe {
  me {
    id
    username
    role
    signInStatus {
      today
    }
  }
}
    `),he=new _(`
    query Stats($from: Date!, $to: Date!) {
  signInStats(from: $from, to: $to) {
    ...DailyStatsFields
  }
}
    fragment DailyStatsFields on DailySignInStats {
  date
  signedIn
  byCycleDay
  rewardTotal
  makeUps
  frozen
  milestoneBonusTotal
}`),ge=new _(`
    query Schedules {
  rewardSchedules {
    ...ScheduleFields
  }
}
    fragment ScheduleFields on RewardSchedule {
  id
  rewards
  effectiveFrom
  effectiveTo
  note
  createdAt
  cancelled
  createdBy {
    id
    username
  }
}`),_e=new _(`
    mutation Publish($rewards: [Int!]!, $effectiveFrom: Date!, $effectiveTo: Date, $note: String!) {
  publishRewardSchedule(
    rewards: $rewards
    effectiveFrom: $effectiveFrom
    effectiveTo: $effectiveTo
    note: $note
  ) {
    ...ScheduleFields
  }
}
    fragment ScheduleFields on RewardSchedule {
  id
  rewards
  effectiveFrom
  effectiveTo
  note
  createdAt
  cancelled
  createdBy {
    id
    username
  }
}`),ve=new _(`
    mutation Cancel($id: ID!) {
  cancelRewardSchedule(id: $id) {
    ...ScheduleFields
  }
}
    fragment ScheduleFields on RewardSchedule {
  id
  rewards
  effectiveFrom
  effectiveTo
  note
  createdAt
  cancelled
  createdBy {
    id
    username
  }
}`),ye=new _(`
    query Audit($first: Int, $after: String, $actorId: ID, $targetUserId: ID) {
  adminAuditLog(
    first: $first
    after: $after
    actorId: $actorId
    targetUserId: $targetUserId
  ) {
    edges {
      node {
        ...AuditEntryFields
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment AuditEntryFields on AdminAuditEntry {
  id
  action
  actorId
  targetUserId
  details
  requestId
  createdAt
  actor {
    username
  }
  targetUser {
    username
  }
}`),be=new _(`
    query SearchUsers($query: String!, $first: Int, $after: String) {
  searchUsers(query: $query, first: $first, after: $after) {
    edges {
      node {
        ...GridUserFields
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment GridUserFields on User {
  id
  username
  createdAt
}`),xe=new _(`
    query UsersHistory($userIds: [ID!]!, $from: Date!, $to: Date!) {
  signInHistory(userIds: $userIds, from: $from, to: $to) {
    user {
      ...GridUserFields
    }
    days {
      date
      signedIn
      cycleDay
      madeUp
      frozen
    }
  }
}
    fragment GridUserFields on User {
  id
  username
  createdAt
}`),Se=new _(`
    query WebhookEndpoints {
  webhookEndpoints {
    ...WebhookEndpointFields
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledReason
  createdAt
}`),v=new _(`
    mutation CreateWebhookEndpoint($url: String!, $events: [WebhookEventType!]!, $description: String) {
  createWebhookEndpoint(url: $url, events: $events, description: $description) {
    endpoint {
      ...WebhookEndpointFields
    }
    secret
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledReason
  createdAt
}`),y=new _(`
    mutation SetWebhookEndpointEnabled($id: ID!, $enabled: Boolean!) {
  updateWebhookEndpoint(id: $id, enabled: $enabled) {
    ...WebhookEndpointFields
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledReason
  createdAt
}`),b=new _(`
    mutation RotateWebhookSecret($id: ID!) {
  rotateWebhookSecret(id: $id) {
    endpoint {
      ...WebhookEndpointFields
    }
    secret
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledReason
  createdAt
}`),x=new _(`
    mutation DeleteWebhookEndpoint($id: ID!) {
  deleteWebhookEndpoint(id: $id)
}
    `),S=new _(`
    query WebhookDeliveries($endpointId: ID!, $status: WebhookDeliveryStatus, $first: Int, $after: String) {
  webhookDeliveries(
    endpointId: $endpointId
    status: $status
    first: $first
    after: $after
  ) {
    edges {
      cursor
      node {
        ...WebhookDeliveryFields
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment WebhookDeliveryFields on WebhookDelivery {
  id
  eventType
  status
  payload
  createdAt
  nextAttemptAt
  attempts {
    at
    httpStatus
    error
    durationMs
  }
}`),C=new _(`
    mutation ReplayWebhookDelivery($id: ID!) {
  replayWebhookDelivery(id: $id) {
    ...WebhookDeliveryFields
  }
}
    fragment WebhookDeliveryFields on WebhookDelivery {
  id
  eventType
  status
  payload
  createdAt
  nextAttemptAt
  attempts {
    at
    httpStatus
    error
    durationMs
  }
}`),w=new _(`
    query Me {
  me {
    username
    createdAt
    signInStatus {
      ...StatusFields
    }
    wallet {
      balance
      transactions(first: 10) {
        edges {
          node {
            ...TxFields
          }
        }
      }
    }
  }
}
    fragment StatusFields on SignInStatus {
  today
  signedInToday
  streak
  cycleDay
  todayReward
  freezesHeld
  makeUpDates
  makeUpsLeft
  nextMilestone {
    streak
    bonus
  }
  makeUpCost
  freezeCost
  maxFreezes
  timeZone
  dayEndsAt
  cycle {
    day
    date
    reward
    signedIn
  }
}
fragment TxFields on WalletTransaction {
  id
  amount
  kind
  balanceAfter
  note
  createdAt
}`),T=new _(`
    query History($from: Date!, $to: Date!) {
  me {
    signInHistory(from: $from, to: $to) {
      ...HistoryDayFields
    }
  }
}
    fragment HistoryDayFields on SignInDay {
  date
  signedIn
  cycleDay
  streak
  reward
  madeUp
  frozen
}`),E=new _(`
    mutation SignIn {
  signIn {
    record {
      ...RecordFields
    }
    status {
      ...StatusFields
    }
  }
}
    fragment StatusFields on SignInStatus {
  today
  signedInToday
  streak
  cycleDay
  todayReward
  freezesHeld
  makeUpDates
  makeUpsLeft
  nextMilestone {
    streak
    bonus
  }
  makeUpCost
  freezeCost
  maxFreezes
  timeZone
  dayEndsAt
  cycle {
    day
    date
    reward
    signedIn
  }
}
fragment RecordFields on SignInRecord {
  date
  cycleDay
  streak
  reward
  rewardCredited
  madeUp
  milestoneBonus
}`),D=new _(`
    mutation MakeUp($date: Date!, $key: String!) {
  makeUpSignIn(date: $date, idempotencyKey: $key) {
    record {
      ...RecordFields
    }
    status {
      ...StatusFields
    }
  }
}
    fragment StatusFields on SignInStatus {
  today
  signedInToday
  streak
  cycleDay
  todayReward
  freezesHeld
  makeUpDates
  makeUpsLeft
  nextMilestone {
    streak
    bonus
  }
  makeUpCost
  freezeCost
  maxFreezes
  timeZone
  dayEndsAt
  cycle {
    day
    date
    reward
    signedIn
  }
}
fragment RecordFields on SignInRecord {
  date
  cycleDay
  streak
  reward
  rewardCredited
  madeUp
  milestoneBonus
}`),O=new _(`
    mutation BuyFreeze($key: String!) {
  buyStreakFreeze(idempotencyKey: $key) {
    transaction {
      ...TxFields
    }
    status {
      ...StatusFields
    }
  }
}
    fragment StatusFields on SignInStatus {
  today
  signedInToday
  streak
  cycleDay
  todayReward
  freezesHeld
  makeUpDates
  makeUpsLeft
  nextMilestone {
    streak
    bonus
  }
  makeUpCost
  freezeCost
  maxFreezes
  timeZone
  dayEndsAt
  cycle {
    day
    date
    reward
    signedIn
  }
}
fragment TxFields on WalletTransaction {
  id
  amount
  kind
  balanceAfter
  note
  createdAt
}`),k=new _(`
    mutation SetTimeZone($timeZone: String!) {
  setTimeZone(timeZone: $timeZone) {
    id
    timeZone
  }
}
    `),A=new _(`
    subscription WalletUpdated {
  walletUpdated {
    ...TxFields
  }
}
    fragment TxFields on WalletTransaction {
  id
  amount
  kind
  balanceAfter
  note
  createdAt
}`),j=new _(`
    subscription StreakUpdated {
  streakUpdated {
    ...StatusFields
  }
}
    fragment StatusFields on SignInStatus {
  today
  signedInToday
  streak
  cycleDay
  todayReward
  freezesHeld
  makeUpDates
  makeUpsLeft
  nextMilestone {
    streak
    bonus
  }
  makeUpCost
  freezeCost
  maxFreezes
  timeZone
  dayEndsAt
  cycle {
    day
    date
    reward
    signedIn
  }
}`),Ce=new _(`
    query Sessions {
  me {
    sessions {
      ...SessionFields
    }
  }
}
    fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  userAgent
  current
}`),we=new _(`
    mutation RevokeSession($id: ID!) {
  revokeSession(id: $id)
}
    `),Te=new _(`
    mutation Register($username: String!, $password: String!, $timeZone: String) {
  register(username: $username, password: $password, timeZone: $timeZone) {
    ...AuthFields
  }
}
    fragment AuthFields on AuthPayload {
  token
  expiresAt
  user {
    id
    username
    role
  }
}`),Ee=new _(`
    mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    ...AuthFields
  }
}
    fragment AuthFields on AuthPayload {
  token
  expiresAt
  user {
    id
    username
    role
  }
}`),De=new _(`
    mutation RefreshSession {
  refreshSession {
    ...AuthFields
  }
}
    fragment AuthFields on AuthPayload {
  token
  expiresAt
  user {
    id
    username
    role
  }
}`),Oe=new _(`
    mutation SignOut {
  signOut
}
    `),ke=new _(`
    mutation SignOutEverywhere {
  signOutEverywhere
}
    `),Ae=.8,je=1e3,Me=6e4,Ne=2147483647;function M(e){let t=e.split(`.`);if(t.length!==3||!t[1])return null;try{let e=t[1].replace(/-/g,`+`).replace(/_/g,`/`),n=e+`=`.repeat((4-e.length%4)%4),r=decodeURIComponent([...atob(n)].map(e=>`%${e.charCodeAt(0).toString(16).padStart(2,`0`)}`).join(``)),i=JSON.parse(r);return i&&typeof i==`object`&&!Array.isArray(i)?i:null}catch{return null}}function Pe(e,t,n){let r=M(e),i=r?.iat,a=r?.exp;if(typeof i==`number`&&typeof a==`number`&&a>i)return(a-i)*1e3;let o=Date.parse(t)-n;return Number.isFinite(o)&&o>0?o:Me}function N(e,t,n){let r=t+Math.max(e*Ae,je);return Math.min(Ne,Math.max(0,Math.round(r-n)))}function P(e,t,n,r=2e3){return n>=t+e-r}function Fe(e,t){let n=M(e)?.iat;return typeof n==`number`&&Number.isFinite(n)?n*1e3-t:0}var Ie=`signin-rewards.session`,Le=`signin-rewards`,Re=15e3,ze=3e4,F=null,I=null,L,R=null,z=null,B=!1,V=0;function Be(){return F?.token??``}function H(e){try{z?.postMessage(e)}catch{}}function Ve(e){I=e;try{localStorage.removeItem(Ie)}catch{}typeof BroadcastChannel==`function`&&!z&&(z=new BroadcastChannel(Le),z.onmessage=e=>{let t=e.data;t?.type===`signing-out`?V=Date.now()+ze:t?.type===`signed-out`?(V=0,F&&G(`elsewhere`)):t?.type===`signed-in`&&(F&&F.userId===t.userId||We())}),document.addEventListener(`visibilitychange`,()=>{document.visibilityState===`visible`&&F&&N(F.lifetimeMs,F.receivedAt,Date.now())===0&&q()})}function U(e){let t=Date.now();return{token:e.token,expiresAt:e.expiresAt,username:e.user.username,userId:e.user.id,lifetimeMs:Pe(e.token,e.expiresAt,t),receivedAt:t}}function W(e){window.clearTimeout(L),L=void 0;let t=F;if(!t)return;let n=e??N(t.lifetimeMs,t.receivedAt,Date.now());L=window.setTimeout(()=>{F===t&&q()},n)}function He(e){return F=U(e),W(),H({type:`signed-in`,userId:F.userId}),F}function G(e){window.clearTimeout(L),L=void 0,F=null,R=null;let t=e===`expired`&&Date.now()<V;V=0,I?.onEnded(B?`signed-out`:t?`elsewhere`:e)}async function K(){try{return(await s(De,{},null,{sessionCookie:!0})).refreshSession}catch(e){if(e instanceof n&&e.code===`UNAUTHENTICATED`)return null;throw e}}async function Ue(){let e=await K();return e?(F=U(e),W(),{session:F,user:e.user}):null}async function We(){try{let e=F,t=await K();if(!t||F!==e||e&&e.userId===t.user.id)return;F=U(t),W(),I?.onResumed(F,t.user)}catch{}}function q(){let e=F;if(!e)return Promise.resolve(`ended`);if(R)return R;let t=(async()=>{let t;try{t=await K()}catch{return F===e&&W(Re),`failed`}if(F!==e)return F?`ok`:`ended`;if(!t||t.user.id!==e.userId)return G(`expired`),`ended`;let n=U(t);return e.token=n.token,e.expiresAt=n.expiresAt,e.lifetimeMs=n.lifetimeMs,e.receivedAt=n.receivedAt,W(),I?.onRefreshed?.(e),`ok`})();return R=t,t.finally(()=>{R===t&&(R=null)}),t}async function Ge(e){return F?F.token===e?q():`ok`:`ended`}async function J(e,t,r={}){let i=F;if(!i||P(i.lifetimeMs,i.receivedAt,Date.now())&&(await q(),F!==i))throw new n(`Your session has ended.`,`UNAUTHENTICATED`);let a=i.token;try{return await s(e,t,a,r)}catch(o){if(!(o instanceof n)||o.code!==`UNAUTHENTICATED`||F!==i)throw o;if(i.token===a){let e=await q();if(e===`failed`)throw new n(`Cannot reach the server. Check your connection and try again.`,`NETWORK`);if(e===`ended`)throw o}if(F!==i)throw o;return s(e,t,i.token,r)}}async function Y(e){let t=F;if(!t)return new Response(null,{status:401});P(t.lifetimeMs,t.receivedAt,Date.now())&&await q();let n=()=>fetch(e,{headers:{Authorization:`Bearer ${t.token}`},credentials:`same-origin`}),r=t.token,i=await n();return i.status!==401||F!==t||t.token===r&&await q()!==`ok`?i:F===t?n():i}async function Ke(){if(!F)return null;let e=null;B=!0,H({type:`signing-out`});try{await J(Oe,{})}catch(t){let r=t instanceof n?t:new n(String(t),`UNKNOWN`);r.code!==`UNAUTHENTICATED`&&(e=r)}finally{B=!1}return H({type:`signed-out`}),F&&G(`signed-out`),e}function qe(){F&&G(`expired`)}async function Je(){if(!F)return 0;let e;B=!0,H({type:`signing-out`});try{e=(await J(ke,{})).signOutEverywhere}finally{B=!1}return H({type:`signed-out`}),F&&G(`signed-out`),e}function X(e){let t=document.getElementById(e);if(!t)throw Error(`missing #${e}`);return t}function Ye(){return{who:X(`who`),whoName:X(`who-name`),logout:X(`logout`),error:X(`error`),auth:X(`auth`),authForm:X(`auth-form`),username:X(`username`),password:X(`password`),login:X(`login`)}}async function Xe(e,t,r){let i=n=>s(Te,n?{username:e,password:t,timeZone:n}:{username:e,password:t},null,{sessionCookie:!0});try{return(await i(r)).register}catch(e){if(!r||!(e instanceof n)||e.code!==`BAD_USER_INPUT`||e.argument!==`timeZone`)throw e;return(await i()).register}}async function Ze(e,t,r,i){let a=e===`register`?await Xe(t,r,i):(await s(Ee,{username:t,password:r},null,{sessionCookie:!0})).login;if(!a)throw new n(`Unexpected answer from the server`,`UNKNOWN`);return{session:He(a),user:a.user}}var Z=`Your session has ended. Please log in again.`,Qe=`You signed out in another tab.`,$e={ALREADY_SIGNED_IN:`You have already signed in today`,INVALID_CREDENTIALS:`Wrong username or password`,RATE_LIMITED:`Too many attempts, try again later`,USERNAME_TAKEN:`That username is already taken, please choose another one`,UNAUTHENTICATED:Z,FORBIDDEN:`You are not allowed to do that`,SERVICE_UNAVAILABLE:`The service is temporarily unavailable, try again in a moment`,INSUFFICIENT_FUNDS:`Not enough points in your wallet`,IDEMPOTENCY_CONFLICT:`That request clashed with an earlier one, please try again`,LIMIT_REACHED:`You have reached the limit for that`,NOT_FOUND:`That could not be found, please reload the page`},Q=`Something went wrong, please try again`,et={NOT_MISSED:`That day is already signed in or covered by a streak freeze, so there is nothing to make up`,OUT_OF_WINDOW:`That day can no longer be made up: only the last few days before today can be`,BEFORE_REGISTRATION:`You had not registered yet on that day, so it cannot be made up`};function $(e){return`${e} ${e===1?`point`:`points`}`}function tt(e){let t=/\bless than (\d+) days?\b/.exec(e.message),n=t&&Number(t[1])>0?`You can change your time zone ${ue(Number(t[1]))}`:`Your time zone was changed recently`,r=e.retryAfter;return r===void 0?`${n}; try again in a few days.`:`${n}; next change possible in ${g(r*1e3)}.`}function nt(e,t=`load`,n={}){let r=a(e);switch(r.code){case`BAD_USER_INPUT`:return t===`setTimeZone`&&r.argument===`timeZone`?`${n.zone?`"${n.zone}" is`:`That is`} not a known time zone: choose one from the list, such as Europe/Paris.`:r.message||Q;case`NETWORK`:return r.message||Q;case`MAKE_UP_NOT_ALLOWED`:return et[r.reason??``]??`That day cannot be made up`;case`LIMIT_REACHED`:if(t===`setTimeZone`)return tt(r);if(t===`makeUp`)return`You have used all your make-ups for this month; you get new ones next month`;if(t===`buyFreeze`)return n.maxFreezes===void 0?`You already hold the most streak freezes allowed`:`You already hold the most streak freezes allowed (${n.maxFreezes})`;break;case`NOT_FOUND`:if(t===`revokeSession`)return`That session had already ended`;break;case`INSUFFICIENT_FUNDS`:if((t===`makeUp`||t===`buyFreeze`)&&n.cost!==void 0){let e=t===`makeUp`?`a make-up`:`a streak freeze`,r=typeof n.balance==`number`?` and you have ${$(n.balance)}`:``;return`Not enough points: ${e} costs ${$(n.cost)}${r}`}}return $e[r.code]??Q}export{ae as $,ge as A,S as B,T as C,C as D,_e as E,E as F,ce as G,le as H,he as I,ie as J,fe as K,j as L,Ce as M,k as N,we as O,y as P,p as Q,xe as R,x as S,w as T,de as U,Se as V,g as W,re as X,te as Y,ne as Z,me as _,Ze as a,a as at,ve as b,J as c,Ve as d,ee as et,Ue as f,Fe as g,Ge as h,Ye as i,u as it,be as j,b as k,Y as l,Je as m,Qe as n,l as nt,X as o,Ke as p,f as q,nt as r,r as rt,Be as s,Z as t,n as tt,qe as u,ye as v,D as w,v as x,O as y,A as z};