import{n as e}from"./dist-DWRTOsjb.js";var t=`/graphql`,n=class extends Error{constructor(e,t,n=[]){super(e),this.name=`ApiError`,this.code=t,this.errors=n}get reason(){let e=this.errors[0]?.extensions?.reason;return typeof e==`string`?e:void 0}};function r(){if(typeof crypto.randomUUID==`function`)return crypto.randomUUID();let e=crypto.getRandomValues(new Uint8Array(16));e[6]=e[6]&15|64,e[8]=e[8]&63|128;let t=[...e].map(e=>e.toString(16).padStart(2,`0`)).join(``);return`${t.slice(0,8)}-${t.slice(8,12)}-${t.slice(12,16)}-${t.slice(16,20)}-${t.slice(20)}`}function i(e){let t=e[0]??{message:`Unknown error`},r=typeof t.extensions?.code==`string`?t.extensions.code:`UNKNOWN`;return new n(t.message||`Unknown error`,r,e)}function a(e){return e instanceof n?e:Array.isArray(e)?i(e):typeof CloseEvent<`u`&&e instanceof CloseEvent?new n(`Live connection closed (${e.code}${e.reason?` ${e.reason}`:``})`,`NETWORK`):e instanceof Error?new n(e.message,`NETWORK`):new n(String(e),`UNKNOWN`)}async function o(e,r,a){let o=e.toString(),s=r,c=!!s&&Object.keys(s).length>0,l={"Content-Type":`application/json`,Accept:`application/json`};a&&(l.Authorization=`Bearer ${a}`);let u;try{u=await fetch(t,{method:`POST`,headers:l,body:JSON.stringify(c?{query:o,variables:s}:{query:o}),credentials:`same-origin`})}catch{throw new n(`Cannot reach the server. Check your connection and try again.`,`NETWORK`)}let d=null;try{d=await u.json()}catch{d=null}if(d&&Array.isArray(d.errors)&&d.errors.length>0)throw i(d.errors);if(!u.ok||!d||d.data==null)throw u.status===401?new n(`Your session has ended.`,`UNAUTHENTICATED`):u.status===429?new n(`Too many requests.`,`RATE_LIMITED`):new n(`The server answered ${u.status} ${u.statusText}`.trim(),`HTTP_ERROR`);return d.data}function s(){return`${window.location.protocol===`https:`?`wss:`:`ws:`}//${window.location.host}${t}`}function c(t,n){let r=!1;return e({url:s(),lazy:!0,keepAlive:2e4,retryAttempts:1e6,shouldRetry:e=>{let t=e?.code;return t!==4401&&t!==4403},connectionParams:()=>({Authorization:`Bearer ${t}`}),on:{connected:()=>{n.onConnected(r),r=!0},closed:e=>n.onClosed(e?.code)}})}function l(e,t,n){return e.subscribe({query:t.toString()},n)}function u(e){let t=/^(\d{4})-(\d{2})-(\d{2})$/.exec(e);return t?new Date(Date.UTC(Number(t[1]),Number(t[2])-1,Number(t[3]))):null}function d(e,t){let n=u(e);return n?(n.setUTCDate(n.getUTCDate()+t),n.toISOString().slice(0,10)):e}function f(e){let t=u(e);return t?t.toLocaleDateString(void 0,{weekday:`short`,day:`numeric`,timeZone:`UTC`}):e}function p(e){let t=u(e);return t?t.toLocaleDateString(void 0,{weekday:`short`,timeZone:`UTC`}):``}function m(e){let t=u(e);return t?String(t.getUTCDate()):e}function h(e){let t=u(e);return t?t.toLocaleDateString(void 0,{weekday:`long`,month:`long`,day:`numeric`,timeZone:`UTC`}):e}function g(e){let t=u(e);return t?t.toLocaleDateString(void 0,{weekday:`long`,year:`numeric`,month:`long`,day:`numeric`,timeZone:`UTC`}):e}function _(e){let t=Date.parse(e);return Number.isFinite(t)?new Date(t).toLocaleString(void 0,{dateStyle:`medium`,timeStyle:`short`}):e}function v(e){let t=Date.parse(e);return Number.isFinite(t)?new Date(t).toISOString().slice(0,10):null}var y=`signin-rewards.session`;function b(){try{let e=localStorage.getItem(y);if(!e)return null;let t=JSON.parse(e);if(!t||typeof t.token!=`string`||!t.token)return null;let n=Date.parse(t.expiresAt);return Number.isFinite(n)&&n<=Date.now()?(localStorage.removeItem(y),null):t}catch{return null}}function x(e){try{e?localStorage.setItem(y,JSON.stringify(e)):localStorage.removeItem(y)}catch{}}var S=class extends String{constructor(e,t){super(e),this.value=e,this.__meta__=t}toString(){return this.value}};new S(`
    fragment DailyStatsFields on DailySignInStats {
  date
  signedIn
  byCycleDay
  rewardTotal
  makeUps
  frozen
  milestoneBonusTotal
}
    `,{fragmentName:`DailyStatsFields`}),new S(`
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
    `,{fragmentName:`ScheduleFields`}),new S(`
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
    `,{fragmentName:`AuditEntryFields`}),new S(`
    fragment GridUserFields on User {
  id
  username
  createdAt
}
    `,{fragmentName:`GridUserFields`}),new S(`
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
    `,{fragmentName:`StatusFields`}),new S(`
    fragment RecordFields on SignInRecord {
  date
  cycleDay
  streak
  reward
  rewardCredited
  madeUp
  milestoneBonus
}
    `,{fragmentName:`RecordFields`}),new S(`
    fragment TxFields on WalletTransaction {
  id
  amount
  kind
  balanceAfter
  note
  createdAt
}
    `,{fragmentName:`TxFields`}),new S(`
    fragment HistoryDayFields on SignInDay {
  date
  signedIn
  cycleDay
  streak
  reward
  madeUp
  frozen
}
    `,{fragmentName:`HistoryDayFields`}),new S(`
    fragment AuthFields on AuthPayload {
  token
  expiresAt
  user {
    id
    username
    role
  }
}
    `,{fragmentName:`AuthFields`});var C=new S(`
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
    `),w=new S(`
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
}`),T=new S(`
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
}`),E=new S(`
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
}`),D=new S(`
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
}`),O=new S(`
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
}`),k=new S(`
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
}`),A=new S(`
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
}`),j=new S(`
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
}`),M=new S(`
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
}`),N=new S(`
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
}`),P=new S(`
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
}`),F=new S(`
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
}`),I=new S(`
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
}`),L=new S(`
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
}`),R=new S(`
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
}`),z=new S(`
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
}`);function B(e){let t=document.getElementById(e);if(!t)throw Error(`missing #${e}`);return t}function V(){return{who:B(`who`),whoName:B(`who-name`),logout:B(`logout`),error:B(`error`),auth:B(`auth`),authForm:B(`auth-form`),username:B(`username`),password:B(`password`),login:B(`login`)}}async function H(e,t,r){let i=e===`register`?(await o(R,{username:t,password:r},null)).register:(await o(z,{username:t,password:r},null)).login;if(!i)throw new n(`Unexpected answer from the server`,`UNKNOWN`);return{session:{token:i.token,expiresAt:i.expiresAt,username:i.user.username},user:i.user}}export{n as A,_ as C,f as D,h as E,a as F,o as M,r as N,v as O,l as P,d as S,g as T,A as _,O as a,b,M as c,E as d,T as f,L as g,w as h,C as i,c as j,p as k,P as l,N as m,H as n,F as o,k as p,B as r,D as s,V as t,j as u,I as v,m as w,x,y};