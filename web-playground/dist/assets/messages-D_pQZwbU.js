import{n as e}from"./dist-DWRTOsjb.js";var t=`/graphql`,n=class extends Error{constructor(e,t,n=[]){super(e),this.name=`ApiError`,this.code=t,this.errors=n}get reason(){let e=this.errors[0]?.extensions?.reason;return typeof e==`string`?e:void 0}};function r(){if(typeof crypto.randomUUID==`function`)return crypto.randomUUID();let e=crypto.getRandomValues(new Uint8Array(16));e[6]=e[6]&15|64,e[8]=e[8]&63|128;let t=[...e].map(e=>e.toString(16).padStart(2,`0`)).join(``);return`${t.slice(0,8)}-${t.slice(8,12)}-${t.slice(12,16)}-${t.slice(16,20)}-${t.slice(20)}`}function i(e){let t=e[0]??{message:`Unknown error`},r=typeof t.extensions?.code==`string`?t.extensions.code:`UNKNOWN`;return new n(t.message||`Unknown error`,r,e)}function a(e){return e instanceof n?e:Array.isArray(e)?i(e):typeof CloseEvent<`u`&&e instanceof CloseEvent?new n(`Live connection closed (${e.code}${e.reason?` ${e.reason}`:``})`,`NETWORK`):e instanceof Error?new n(e.message,`NETWORK`):new n(String(e),`UNKNOWN`)}var o={"Signin-Session":`cookie`};async function s(e,r,a,s={}){let c=e.toString(),l=r,u=!!l&&Object.keys(l).length>0,d={"Content-Type":`application/json`,Accept:`application/json`};a&&(d.Authorization=`Bearer ${a}`),s.sessionCookie&&Object.assign(d,o);let f;try{f=await fetch(t,{method:`POST`,headers:d,body:JSON.stringify(u?{query:c,variables:l}:{query:c}),credentials:`same-origin`})}catch{throw new n(`Cannot reach the server. Check your connection and try again.`,`NETWORK`)}let p=null;try{p=await f.json()}catch{p=null}if(p&&Array.isArray(p.errors)&&p.errors.length>0)throw i(p.errors);if(!f.ok||!p||p.data==null)throw f.status===401?new n(`Your session has ended.`,`UNAUTHENTICATED`):f.status===429?new n(`Too many requests.`,`RATE_LIMITED`):new n(`The server answered ${f.status} ${f.statusText}`.trim(),`HTTP_ERROR`);return p.data}function c(){return`${window.location.protocol===`https:`?`wss:`:`ws:`}//${window.location.host}${t}`}function l(t,n){let r=!1,i=!1,a=e({url:c(),lazy:!0,keepAlive:2e4,retryAttempts:1e6,shouldRetry:e=>{let t=e?.code;return t!==4401&&t!==4403},retryWait:async e=>{if(i){i=!1;return}let t=2**e*1e3+Math.floor(Math.random()*2700+300);await new Promise(e=>window.setTimeout(e,t))},connectionParams:()=>({Authorization:`Bearer ${t()}`}),on:{connected:()=>{n.onConnected(r),r=!0},closed:e=>n.onClosed(e?.code)}});return{client:a,reconnect:()=>{i=!0,a.terminate()}}}function u(e,t,n){return e.subscribe({query:t.toString()},n)}function d(e){let t=/^(\d{4})-(\d{2})-(\d{2})$/.exec(e);return t?new Date(Date.UTC(Number(t[1]),Number(t[2])-1,Number(t[3]))):null}function f(e,t){let n=d(e);return n?(n.setUTCDate(n.getUTCDate()+t),n.toISOString().slice(0,10)):e}function p(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`short`,day:`numeric`,timeZone:`UTC`}):e}function ee(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`short`,timeZone:`UTC`}):``}function m(e){let t=d(e);return t?String(t.getUTCDate()):e}function h(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`long`,month:`long`,day:`numeric`,timeZone:`UTC`}):e}function te(e){let t=d(e);return t?t.toLocaleDateString(void 0,{weekday:`long`,year:`numeric`,month:`long`,day:`numeric`,timeZone:`UTC`}):e}function ne(e){let t=Date.parse(e);return Number.isFinite(t)?new Date(t).toLocaleString(void 0,{dateStyle:`medium`,timeStyle:`short`}):e}function re(e){let t=Date.parse(e);return Number.isFinite(t)?new Date(t).toISOString().slice(0,10):null}var g=class extends String{constructor(e,t){super(e),this.value=e,this.__meta__=t}toString(){return this.value}};new g(`
    fragment DailyStatsFields on DailySignInStats {
  date
  signedIn
  byCycleDay
  rewardTotal
  makeUps
  frozen
  milestoneBonusTotal
}
    `,{fragmentName:`DailyStatsFields`}),new g(`
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
    `,{fragmentName:`ScheduleFields`}),new g(`
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
    `,{fragmentName:`AuditEntryFields`}),new g(`
    fragment GridUserFields on User {
  id
  username
  createdAt
}
    `,{fragmentName:`GridUserFields`}),new g(`
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
    `,{fragmentName:`StatusFields`}),new g(`
    fragment RecordFields on SignInRecord {
  date
  cycleDay
  streak
  reward
  rewardCredited
  madeUp
  milestoneBonus
}
    `,{fragmentName:`RecordFields`}),new g(`
    fragment TxFields on WalletTransaction {
  id
  amount
  kind
  balanceAfter
  note
  createdAt
}
    `,{fragmentName:`TxFields`}),new g(`
    fragment HistoryDayFields on SignInDay {
  date
  signedIn
  cycleDay
  streak
  reward
  madeUp
  frozen
}
    `,{fragmentName:`HistoryDayFields`}),new g(`
    fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  userAgent
  current
}
    `,{fragmentName:`SessionFields`}),new g(`
    fragment AuthFields on AuthPayload {
  token
  expiresAt
  user {
    id
    username
    role
  }
}
    `,{fragmentName:`AuthFields`});var ie=new g(`
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
    `),ae=new g(`
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
}`),oe=new g(`
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
}`),se=new g(`
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
}`),ce=new g(`
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
}`),le=new g(`
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
}`),ue=new g(`
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
}`),de=new g(`
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
}`),fe=new g(`
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
}`),pe=new g(`
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
}`),me=new g(`
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
}`),he=new g(`
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
}`),ge=new g(`
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
}`),_e=new g(`
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
}`),ve=new g(`
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
}`),ye=new g(`
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
}`),_=new g(`
    mutation RevokeSession($id: ID!) {
  revokeSession(id: $id)
}
    `),v=new g(`
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
}`),y=new g(`
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
}`),b=new g(`
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
}`),x=new g(`
    mutation SignOut {
  signOut
}
    `),S=new g(`
    mutation SignOutEverywhere {
  signOutEverywhere
}
    `),C=.8,w=1e3,T=6e4,E=2147483647;function D(e){let t=e.split(`.`);if(t.length!==3||!t[1])return null;try{let e=t[1].replace(/-/g,`+`).replace(/_/g,`/`),n=e+`=`.repeat((4-e.length%4)%4),r=decodeURIComponent([...atob(n)].map(e=>`%${e.charCodeAt(0).toString(16).padStart(2,`0`)}`).join(``)),i=JSON.parse(r);return i&&typeof i==`object`&&!Array.isArray(i)?i:null}catch{return null}}function O(e,t,n){let r=D(e),i=r?.iat,a=r?.exp;if(typeof i==`number`&&typeof a==`number`&&a>i)return(a-i)*1e3;let o=Date.parse(t)-n;return Number.isFinite(o)&&o>0?o:T}function k(e,t,n){let r=t+Math.max(e*C,w);return Math.min(E,Math.max(0,Math.round(r-n)))}function A(e,t,n,r=2e3){return n>=t+e-r}var j=`signin-rewards.session`,M=`signin-rewards`,N=15e3,P=3e4,F=null,I=null,L,R=null,z=null,B=!1,V=0;function be(){return F?.token??``}function H(e){try{z?.postMessage(e)}catch{}}function xe(e){I=e;try{localStorage.removeItem(j)}catch{}typeof BroadcastChannel==`function`&&!z&&(z=new BroadcastChannel(M),z.onmessage=e=>{let t=e.data;t?.type===`signing-out`?V=Date.now()+P:t?.type===`signed-out`?(V=0,F&&G(`elsewhere`)):t?.type===`signed-in`&&(F&&F.userId===t.userId||we())}),document.addEventListener(`visibilitychange`,()=>{document.visibilityState===`visible`&&F&&k(F.lifetimeMs,F.receivedAt,Date.now())===0&&q()})}function U(e){let t=Date.now();return{token:e.token,expiresAt:e.expiresAt,username:e.user.username,userId:e.user.id,lifetimeMs:O(e.token,e.expiresAt,t),receivedAt:t}}function W(e){window.clearTimeout(L),L=void 0;let t=F;if(!t)return;let n=e??k(t.lifetimeMs,t.receivedAt,Date.now());L=window.setTimeout(()=>{F===t&&q()},n)}function Se(e){return F=U(e),W(),H({type:`signed-in`,userId:F.userId}),F}function G(e){window.clearTimeout(L),L=void 0,F=null,R=null;let t=e===`expired`&&Date.now()<V;V=0,I?.onEnded(B?`signed-out`:t?`elsewhere`:e)}async function K(){try{return(await s(b,{},null,{sessionCookie:!0})).refreshSession}catch(e){if(e instanceof n&&e.code===`UNAUTHENTICATED`)return null;throw e}}async function Ce(){let e=await K();return e?(F=U(e),W(),{session:F,user:e.user}):null}async function we(){try{let e=F,t=await K();if(!t||F!==e||e&&e.userId===t.user.id)return;F=U(t),W(),I?.onResumed(F,t.user)}catch{}}function q(){let e=F;if(!e)return Promise.resolve(`ended`);if(R)return R;let t=(async()=>{let t;try{t=await K()}catch{return F===e&&W(N),`failed`}if(F!==e)return F?`ok`:`ended`;if(!t||t.user.id!==e.userId)return G(`expired`),`ended`;let n=U(t);return e.token=n.token,e.expiresAt=n.expiresAt,e.lifetimeMs=n.lifetimeMs,e.receivedAt=n.receivedAt,W(),I?.onRefreshed?.(e),`ok`})();return R=t,t.finally(()=>{R===t&&(R=null)}),t}async function Te(e){return F?F.token===e?q():`ok`:`ended`}async function J(e,t,r={}){let i=F;if(!i||A(i.lifetimeMs,i.receivedAt,Date.now())&&(await q(),F!==i))throw new n(`Your session has ended.`,`UNAUTHENTICATED`);let a=i.token;try{return await s(e,t,a,r)}catch(o){if(!(o instanceof n)||o.code!==`UNAUTHENTICATED`||F!==i)throw o;if(i.token===a){let e=await q();if(e===`failed`)throw new n(`Cannot reach the server. Check your connection and try again.`,`NETWORK`);if(e===`ended`)throw o}if(F!==i)throw o;return s(e,t,i.token,r)}}async function Ee(e){let t=F;if(!t)return new Response(null,{status:401});A(t.lifetimeMs,t.receivedAt,Date.now())&&await q();let n=()=>fetch(e,{headers:{Authorization:`Bearer ${t.token}`},credentials:`same-origin`}),r=t.token,i=await n();return i.status!==401||F!==t||t.token===r&&await q()!==`ok`?i:F===t?n():i}async function De(){if(!F)return null;let e=null;B=!0,H({type:`signing-out`});try{await J(x,{})}catch(t){let r=t instanceof n?t:new n(String(t),`UNKNOWN`);r.code!==`UNAUTHENTICATED`&&(e=r)}finally{B=!1}return H({type:`signed-out`}),F&&G(`signed-out`),e}function Oe(){F&&G(`expired`)}async function ke(){if(!F)return 0;let e;B=!0,H({type:`signing-out`});try{e=(await J(S,{})).signOutEverywhere}finally{B=!1}return H({type:`signed-out`}),F&&G(`signed-out`),e}function Y(e){let t=document.getElementById(e);if(!t)throw Error(`missing #${e}`);return t}function Ae(){return{who:Y(`who`),whoName:Y(`who-name`),logout:Y(`logout`),error:Y(`error`),auth:Y(`auth`),authForm:Y(`auth-form`),username:Y(`username`),password:Y(`password`),login:Y(`login`)}}async function X(e,t,r){let i=e===`register`?(await s(v,{username:t,password:r},null,{sessionCookie:!0})).register:(await s(y,{username:t,password:r},null,{sessionCookie:!0})).login;if(!i)throw new n(`Unexpected answer from the server`,`UNKNOWN`);return{session:Se(i),user:i.user}}var Z=`Your session has ended. Please log in again.`,je=`You signed out in another tab.`,Me={ALREADY_SIGNED_IN:`You have already signed in today`,INVALID_CREDENTIALS:`Wrong username or password`,RATE_LIMITED:`Too many attempts, try again later`,USERNAME_TAKEN:`That username is already taken, please choose another one`,UNAUTHENTICATED:Z,FORBIDDEN:`You are not allowed to do that`,SERVICE_UNAVAILABLE:`The service is temporarily unavailable, try again in a moment`,INSUFFICIENT_FUNDS:`Not enough points in your wallet`,IDEMPOTENCY_CONFLICT:`That request clashed with an earlier one, please try again`,LIMIT_REACHED:`You have reached the limit for that`,NOT_FOUND:`That could not be found, please reload the page`},Q=`Something went wrong, please try again`,Ne={NOT_MISSED:`That day is already signed in or covered by a streak freeze, so there is nothing to make up`,OUT_OF_WINDOW:`That day can no longer be made up: only the last few days before today can be`,BEFORE_REGISTRATION:`You had not registered yet on that day, so it cannot be made up`};function $(e){return`${e} ${e===1?`point`:`points`}`}function Pe(e,t=`load`,n={}){let r=a(e);switch(r.code){case`BAD_USER_INPUT`:case`NETWORK`:return r.message||Q;case`MAKE_UP_NOT_ALLOWED`:return Ne[r.reason??``]??`That day cannot be made up`;case`LIMIT_REACHED`:if(t===`makeUp`)return`You have used all your make-ups for this month; you get new ones next month`;if(t===`buyFreeze`)return n.maxFreezes===void 0?`You already hold the most streak freezes allowed`:`You already hold the most streak freezes allowed (${n.maxFreezes})`;break;case`NOT_FOUND`:if(t===`revokeSession`)return`That session had already ended`;break;case`INSUFFICIENT_FUNDS`:if((t===`makeUp`||t===`buyFreeze`)&&n.cost!==void 0){let e=t===`makeUp`?`a make-up`:`a streak freeze`,r=typeof n.balance==`number`?` and you have ${$(n.balance)}`:``;return`Not enough points: ${e} costs ${$(n.cost)}${r}`}}return Me[r.code]??Q}export{ve as A,ee as B,se as C,ye as D,ue as E,m as F,a as G,l as H,te as I,h as L,_e as M,f as N,me as O,ne as P,p as R,fe as S,oe as T,r as U,n as V,u as W,le as _,X as a,pe as b,J as c,xe as d,Ce as f,ie as g,Te as h,Ae as i,de as j,ae as k,Ee as l,ke as m,je as n,Y as o,De as p,Pe as r,be as s,Z as t,Oe as u,ge as v,_ as w,he as x,ce as y,re as z};