import{n as e}from"./dist-DWRTOsjb.js";var t=`/graphql`,n=class extends Error{constructor(e,t,n=[]){super(e),this.name=`ApiError`,this.code=t,this.errors=n}get reason(){let e=this.errors[0]?.extensions?.reason;return typeof e==`string`?e:void 0}};function r(){if(typeof crypto.randomUUID==`function`)return crypto.randomUUID();let e=crypto.getRandomValues(new Uint8Array(16));e[6]=e[6]&15|64,e[8]=e[8]&63|128;let t=[...e].map(e=>e.toString(16).padStart(2,`0`)).join(``);return`${t.slice(0,8)}-${t.slice(8,12)}-${t.slice(12,16)}-${t.slice(16,20)}-${t.slice(20)}`}function i(e){let t=e[0]??{message:`Unknown error`},r=typeof t.extensions?.code==`string`?t.extensions.code:`UNKNOWN`;return new n(t.message||`Unknown error`,r,e)}function a(e){return e instanceof n?e:Array.isArray(e)?i(e):typeof CloseEvent<`u`&&e instanceof CloseEvent?new n(`Live connection closed (${e.code}${e.reason?` ${e.reason}`:``})`,`NETWORK`):e instanceof Error?new n(e.message,`NETWORK`):new n(String(e),`UNKNOWN`)}var o={"Signin-Session":`cookie`};async function s(e,r,a,s={}){let c=e.toString(),l=r,u=!!l&&Object.keys(l).length>0,d={"Content-Type":`application/json`,Accept:`application/json`};a&&(d.Authorization=`Bearer ${a}`),s.sessionCookie&&Object.assign(d,o);let f;try{f=await fetch(t,{method:`POST`,headers:d,body:JSON.stringify(u?{query:c,variables:l}:{query:c}),credentials:`same-origin`})}catch{throw new n(`Cannot reach the server. Check your connection and try again.`,`NETWORK`)}let p=null;try{p=await f.json()}catch{p=null}if(p&&Array.isArray(p.errors)&&p.errors.length>0)throw i(p.errors);if(!f.ok||!p||p.data==null)throw f.status===401?new n(`Your session has ended.`,`UNAUTHENTICATED`):f.status===429?new n(`Too many requests.`,`RATE_LIMITED`):new n(`The server answered ${f.status} ${f.statusText}`.trim(),`HTTP_ERROR`);return p.data}function c(){return`${window.location.protocol===`https:`?`wss:`:`ws:`}//${window.location.host}${t}`}function l(t,n){let r=!1,i=!1,a=e({url:c(),lazy:!0,keepAlive:2e4,retryAttempts:1e6,shouldRetry:e=>{let t=e?.code;return t!==4401&&t!==4403},retryWait:async e=>{if(i){i=!1;return}let t=2**e*1e3+Math.floor(Math.random()*2700+300);await new Promise(e=>window.setTimeout(e,t))},connectionParams:()=>({Authorization:`Bearer ${t()}`}),on:{connected:()=>{n.onConnected(r),r=!0},closed:e=>n.onClosed(e?.code)}});return{client:a,reconnect:()=>{i=!0,a.terminate()}}}function u(e,t,n){return e.subscribe({query:t.toString()},n)}function d(e){let t=/^(\d{4})-(\d{2})-(\d{2})$/.exec(e);return t?new Date(Date.UTC(Number(t[1]),Number(t[2])-1,Number(t[3]))):null}function f(e,t){let n=d(e);return n?(n.setUTCDate(n.getUTCDate()+t),n.toISOString().slice(0,10)):e}function p(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`short`,day:`numeric`,timeZone:`UTC`}):e}function ee(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`short`,timeZone:`UTC`}):``}function te(e){let t=d(e);return t?String(t.getUTCDate()):e}function ne(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`long`,month:`long`,day:`numeric`,timeZone:`UTC`}):e}function m(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`long`,year:`numeric`,month:`long`,day:`numeric`,timeZone:`UTC`}):e}function h(e){let t=Date.parse(e);return Number.isFinite(t)?new Date(t).toLocaleString(void 0,{dateStyle:`medium`,timeStyle:`short`}):e}function g(e){let t=Date.parse(e);return Number.isFinite(t)?new Date(t).toISOString().slice(0,10):null}var _=class extends String{constructor(e,t){super(e),this.value=e,this.__meta__=t}toString(){return this.value}};new _(`
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
    `,{fragmentName:`AuthFields`});var re=new _(`
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
    `),ie=new _(`
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
}`),ae=new _(`
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
}`),oe=new _(`
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
}`),se=new _(`
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
}`),ce=new _(`
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
}`),le=new _(`
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
}`),ue=new _(`
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
}`),de=new _(`
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
}`),fe=new _(`
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
}`),pe=new _(`
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
}`),me=new _(`
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
}`),he=new _(`
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
}`),ge=new _(`
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
}`),_e=new _(`
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
  cycle {
    day
    date
    reward
    signedIn
  }
}`),v=new _(`
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
}`),y=new _(`
    mutation RevokeSession($id: ID!) {
  revokeSession(id: $id)
}
    `),b=new _(`
    mutation Register($username: String!, $password: String!) {
  register(username: $username, password: $password) {
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
}`),x=new _(`
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
}`),S=new _(`
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
}`),C=new _(`
    mutation SignOut {
  signOut
}
    `),w=new _(`
    mutation SignOutEverywhere {
  signOutEverywhere
}
    `),T=.8,E=1e3,D=6e4,O=2147483647;function k(e){let t=e.split(`.`);if(t.length!==3||!t[1])return null;try{let e=t[1].replace(/-/g,`+`).replace(/_/g,`/`),n=e+`=`.repeat((4-e.length%4)%4),r=decodeURIComponent([...atob(n)].map(e=>`%${e.charCodeAt(0).toString(16).padStart(2,`0`)}`).join(``)),i=JSON.parse(r);return i&&typeof i==`object`&&!Array.isArray(i)?i:null}catch{return null}}function A(e,t,n){let r=k(e),i=r?.iat,a=r?.exp;if(typeof i==`number`&&typeof a==`number`&&a>i)return(a-i)*1e3;let o=Date.parse(t)-n;return Number.isFinite(o)&&o>0?o:D}function j(e,t,n){let r=t+Math.max(e*T,E);return Math.min(O,Math.max(0,Math.round(r-n)))}function M(e,t,n,r=2e3){return n>=t+e-r}var N=`signin-rewards.session`,P=`signin-rewards`,F=15e3,I=null,L=null,R,z=null,B=null,V=!1;function ve(){return I?.token??``}function H(e){try{B?.postMessage(e)}catch{}}function ye(e){L=e;try{localStorage.removeItem(N)}catch{}typeof BroadcastChannel==`function`&&!B&&(B=new BroadcastChannel(P),B.onmessage=e=>{let t=e.data;t?.type===`signed-out`?I&&G(`elsewhere`):t?.type===`signed-in`&&(I&&I.userId===t.userId||Se())}),document.addEventListener(`visibilitychange`,()=>{document.visibilityState===`visible`&&I&&j(I.lifetimeMs,I.receivedAt,Date.now())===0&&q()})}function U(e){let t=Date.now();return{token:e.token,expiresAt:e.expiresAt,username:e.user.username,userId:e.user.id,lifetimeMs:A(e.token,e.expiresAt,t),receivedAt:t}}function W(e){window.clearTimeout(R),R=void 0;let t=I;if(!t)return;let n=e??j(t.lifetimeMs,t.receivedAt,Date.now());R=window.setTimeout(()=>{I===t&&q()},n)}function be(e){return I=U(e),W(),H({type:`signed-in`,userId:I.userId}),I}function G(e){window.clearTimeout(R),R=void 0,I=null,z=null,L?.onEnded(V?`signed-out`:e)}async function K(){try{return(await s(S,{},null,{sessionCookie:!0})).refreshSession}catch(e){if(e instanceof n&&e.code===`UNAUTHENTICATED`)return null;throw e}}async function xe(){let e=await K();return e?(I=U(e),W(),{session:I,user:e.user}):null}async function Se(){try{let e=I,t=await K();if(!t||I!==e||e&&e.userId===t.user.id)return;I=U(t),W(),L?.onResumed(I,t.user)}catch{}}function q(){let e=I;if(!e)return Promise.resolve(`ended`);if(z)return z;let t=(async()=>{let t;try{t=await K()}catch{return I===e&&W(F),`failed`}if(I!==e)return I?`ok`:`ended`;if(!t||t.user.id!==e.userId)return G(`expired`),`ended`;let n=U(t);return e.token=n.token,e.expiresAt=n.expiresAt,e.lifetimeMs=n.lifetimeMs,e.receivedAt=n.receivedAt,W(),L?.onRefreshed?.(e),`ok`})();return z=t,t.finally(()=>{z===t&&(z=null)}),t}async function Ce(e){return I?I.token===e?q():`ok`:`ended`}async function J(e,t,r={}){let i=I;if(!i||M(i.lifetimeMs,i.receivedAt,Date.now())&&(await q(),I!==i))throw new n(`Your session has ended.`,`UNAUTHENTICATED`);let a=i.token;try{return await s(e,t,a,r)}catch(o){if(!(o instanceof n)||o.code!==`UNAUTHENTICATED`||I!==i)throw o;if(i.token===a){let e=await q();if(e===`failed`)throw new n(`Cannot reach the server. Check your connection and try again.`,`NETWORK`);if(e===`ended`)throw o}if(I!==i)throw o;return s(e,t,i.token,r)}}async function we(e){let t=I;if(!t)return new Response(null,{status:401});M(t.lifetimeMs,t.receivedAt,Date.now())&&await q();let n=()=>fetch(e,{headers:{Authorization:`Bearer ${t.token}`},credentials:`same-origin`}),r=t.token,i=await n();return i.status!==401||I!==t||t.token===r&&await q()!==`ok`?i:I===t?n():i}async function Te(){if(!I)return null;let e=null;V=!0;try{await J(C,{})}catch(t){let r=t instanceof n?t:new n(String(t),`UNKNOWN`);r.code!==`UNAUTHENTICATED`&&(e=r)}finally{V=!1}return H({type:`signed-out`}),I&&G(`signed-out`),e}function Ee(){I&&G(`expired`)}async function De(){if(!I)return 0;let e;V=!0;try{e=(await J(w,{})).signOutEverywhere}finally{V=!1}return H({type:`signed-out`}),I&&G(`signed-out`),e}function Y(e){let t=document.getElementById(e);if(!t)throw Error(`missing #${e}`);return t}function Oe(){return{who:Y(`who`),whoName:Y(`who-name`),logout:Y(`logout`),error:Y(`error`),auth:Y(`auth`),authForm:Y(`auth-form`),username:Y(`username`),password:Y(`password`),login:Y(`login`)}}async function ke(e,t,r){let i=e===`register`?(await s(b,{username:t,password:r},null,{sessionCookie:!0})).register:(await s(x,{username:t,password:r},null,{sessionCookie:!0})).login;if(!i)throw new n(`Unexpected answer from the server`,`UNKNOWN`);return{session:be(i),user:i.user}}var X=`Your session has ended. Please log in again.`,Ae=`You signed out in another tab.`,je={ALREADY_SIGNED_IN:`You have already signed in today`,INVALID_CREDENTIALS:`Wrong username or password`,RATE_LIMITED:`Too many attempts, try again later`,USERNAME_TAKEN:`That username is already taken, please choose another one`,UNAUTHENTICATED:X,FORBIDDEN:`You are not allowed to do that`,SERVICE_UNAVAILABLE:`The service is temporarily unavailable, try again in a moment`,INSUFFICIENT_FUNDS:`Not enough points in your wallet`,IDEMPOTENCY_CONFLICT:`That request clashed with an earlier one, please try again`,LIMIT_REACHED:`You have reached the limit for that`,NOT_FOUND:`That could not be found, please reload the page`},Z=`Something went wrong, please try again`,Q={NOT_MISSED:`That day is already signed in or covered by a streak freeze, so there is nothing to make up`,OUT_OF_WINDOW:`That day can no longer be made up: only the last few days before today can be`,BEFORE_REGISTRATION:`You had not registered yet on that day, so it cannot be made up`};function $(e){return`${e} ${e===1?`point`:`points`}`}function Me(e,t=`load`,n={}){let r=a(e);switch(r.code){case`BAD_USER_INPUT`:case`NETWORK`:return r.message||Z;case`MAKE_UP_NOT_ALLOWED`:return Q[r.reason??``]??`That day cannot be made up`;case`LIMIT_REACHED`:if(t===`makeUp`)return`You have used all your make-ups for this month; you get new ones next month`;if(t===`buyFreeze`)return n.maxFreezes===void 0?`You already hold the most streak freezes allowed`:`You already hold the most streak freezes allowed (${n.maxFreezes})`;break;case`NOT_FOUND`:if(t===`revokeSession`)return`That session had already ended`;break;case`INSUFFICIENT_FUNDS`:if((t===`makeUp`||t===`buyFreeze`)&&n.cost!==void 0){let e=t===`makeUp`?`a make-up`:`a streak freeze`,r=typeof n.balance==`number`?` and you have ${$(n.balance)}`:``;return`Not enough points: ${e} costs ${$(n.cost)}${r}`}}return je[r.code]??Z}export{_e as A,ee as B,oe as C,v as D,le as E,te as F,a as G,l as H,m as I,ne as L,ge as M,f as N,pe as O,h as P,p as R,de as S,ae as T,r as U,n as V,u as W,ce as _,ke as a,fe as b,J as c,ye as d,xe as f,re as g,Ce as h,Oe as i,ue as j,ie as k,we as l,De as m,Ae as n,Y as o,Te as p,Me as r,ve as s,X as t,Ee as u,he as v,y as w,me as x,se as y,g as z};