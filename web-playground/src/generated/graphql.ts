/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Role =
  | 'ADMIN'
  | 'USER';

export type WalletTransactionKind =
  | 'ADJUSTMENT'
  | 'MAKE_UP_FEE'
  | 'MILESTONE_BONUS'
  | 'SIGN_IN_REWARD'
  | 'SPEND'
  | 'STREAK_FREEZE';

export type WebhookDeliveryStatus =
  | 'DELIVERED'
  | 'FAILED'
  | 'PENDING';

export type WebhookEventType =
  | 'MILESTONE_REACHED'
  | 'REWARD_CREDITED'
  | 'SIGN_IN_RECORDED'
  | 'STREAK_AT_RISK'
  | 'STREAK_FREEZE_USED'
  | 'STREAK_LOST';

export type AdminMeQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminMeQuery = { me: { id: string, username: string, role: Role, signInStatus: { today: string } } };

export type DailyStatsFieldsFragment = { date: string, signedIn: number, byCycleDay: Array<number>, rewardTotal: number, makeUps: number, frozen: number, milestoneBonusTotal: number };

export type StatsQueryVariables = Exact<{
  from: string;
  to: string;
}>;


export type StatsQuery = { signInStats: Array<{ date: string, signedIn: number, byCycleDay: Array<number>, rewardTotal: number, makeUps: number, frozen: number, milestoneBonusTotal: number }> };

export type ScheduleFieldsFragment = { id: string, rewards: Array<number>, effectiveFrom: string, effectiveTo: string | null, note: string, createdAt: string, cancelled: boolean, createdBy: { id: string, username: string } | null };

export type SchedulesQueryVariables = Exact<{ [key: string]: never; }>;


export type SchedulesQuery = { rewardSchedules: Array<{ id: string, rewards: Array<number>, effectiveFrom: string, effectiveTo: string | null, note: string, createdAt: string, cancelled: boolean, createdBy: { id: string, username: string } | null }> };

export type PublishMutationVariables = Exact<{
  rewards: Array<number> | number;
  effectiveFrom: string;
  effectiveTo?: string | null | undefined;
  note: string;
}>;


export type PublishMutation = { publishRewardSchedule: { id: string, rewards: Array<number>, effectiveFrom: string, effectiveTo: string | null, note: string, createdAt: string, cancelled: boolean, createdBy: { id: string, username: string } | null } };

export type CancelMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelMutation = { cancelRewardSchedule: { id: string, rewards: Array<number>, effectiveFrom: string, effectiveTo: string | null, note: string, createdAt: string, cancelled: boolean, createdBy: { id: string, username: string } | null } };

export type AuditEntryFieldsFragment = { id: string, action: string, actorId: string | null, targetUserId: string | null, details: string, requestId: string | null, createdAt: string, actor: { username: string } | null, targetUser: { username: string } | null };

export type AuditQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  actorId?: string | number | null | undefined;
  targetUserId?: string | number | null | undefined;
}>;


export type AuditQuery = { adminAuditLog: { edges: Array<{ node: { id: string, action: string, actorId: string | null, targetUserId: string | null, details: string, requestId: string | null, createdAt: string, actor: { username: string } | null, targetUser: { username: string } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type GridUserFieldsFragment = { id: string, username: string, createdAt: string };

export type SearchUsersQueryVariables = Exact<{
  query: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SearchUsersQuery = { searchUsers: { edges: Array<{ node: { id: string, username: string, createdAt: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type UsersHistoryQueryVariables = Exact<{
  userIds: Array<string | number> | string | number;
  from: string;
  to: string;
}>;


export type UsersHistoryQuery = { signInHistory: Array<{ user: { id: string, username: string, createdAt: string }, days: Array<{ date: string, signedIn: boolean, cycleDay: number | null, madeUp: boolean, frozen: boolean }> }> };

export type WebhookEndpointFieldsFragment = { id: string, url: string, events: Array<WebhookEventType>, description: string, enabled: boolean, disabledReason: string | null, createdAt: string };

export type WebhookEndpointsQueryVariables = Exact<{ [key: string]: never; }>;


export type WebhookEndpointsQuery = { webhookEndpoints: Array<{ id: string, url: string, events: Array<WebhookEventType>, description: string, enabled: boolean, disabledReason: string | null, createdAt: string }> };

export type CreateWebhookEndpointMutationVariables = Exact<{
  url: string;
  events: Array<WebhookEventType> | WebhookEventType;
  description?: string | null | undefined;
}>;


export type CreateWebhookEndpointMutation = { createWebhookEndpoint: { secret: string, endpoint: { id: string, url: string, events: Array<WebhookEventType>, description: string, enabled: boolean, disabledReason: string | null, createdAt: string } } };

export type SetWebhookEndpointEnabledMutationVariables = Exact<{
  id: string | number;
  enabled: boolean;
}>;


export type SetWebhookEndpointEnabledMutation = { updateWebhookEndpoint: { id: string, url: string, events: Array<WebhookEventType>, description: string, enabled: boolean, disabledReason: string | null, createdAt: string } };

export type RotateWebhookSecretMutationVariables = Exact<{
  id: string | number;
}>;


export type RotateWebhookSecretMutation = { rotateWebhookSecret: { secret: string, endpoint: { id: string, url: string, events: Array<WebhookEventType>, description: string, enabled: boolean, disabledReason: string | null, createdAt: string } } };

export type DeleteWebhookEndpointMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteWebhookEndpointMutation = { deleteWebhookEndpoint: boolean };

export type WebhookDeliveryFieldsFragment = { id: string, eventType: WebhookEventType, status: WebhookDeliveryStatus, payload: string, createdAt: string, nextAttemptAt: string | null, attempts: Array<{ at: string, httpStatus: number | null, error: string | null, durationMs: number }> };

export type WebhookDeliveriesQueryVariables = Exact<{
  endpointId: string | number;
  status?: WebhookDeliveryStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type WebhookDeliveriesQuery = { webhookDeliveries: { edges: Array<{ cursor: string, node: { id: string, eventType: WebhookEventType, status: WebhookDeliveryStatus, payload: string, createdAt: string, nextAttemptAt: string | null, attempts: Array<{ at: string, httpStatus: number | null, error: string | null, durationMs: number }> } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ReplayWebhookDeliveryMutationVariables = Exact<{
  id: string | number;
}>;


export type ReplayWebhookDeliveryMutation = { replayWebhookDelivery: { id: string, eventType: WebhookEventType, status: WebhookDeliveryStatus, payload: string, createdAt: string, nextAttemptAt: string | null, attempts: Array<{ at: string, httpStatus: number | null, error: string | null, durationMs: number }> } };

export type StatusFieldsFragment = { today: string, signedInToday: boolean, streak: number, cycleDay: number, todayReward: number, freezesHeld: number, makeUpDates: Array<string>, makeUpsLeft: number, makeUpCost: number, freezeCost: number, maxFreezes: number, timeZone: string, dayEndsAt: string, nextMilestone: { streak: number, bonus: number } | null, cycle: Array<{ day: number, date: string, reward: number, signedIn: boolean }> };

export type RecordFieldsFragment = { date: string, cycleDay: number, streak: number, reward: number, rewardCredited: boolean, madeUp: boolean, milestoneBonus: number | null };

export type TxFieldsFragment = { id: string, amount: number, kind: WalletTransactionKind, balanceAfter: number, note: string | null, createdAt: string };

export type HistoryDayFieldsFragment = { date: string, signedIn: boolean, cycleDay: number | null, streak: number | null, reward: number | null, madeUp: boolean, frozen: boolean };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { username: string, createdAt: string, signInStatus: { today: string, signedInToday: boolean, streak: number, cycleDay: number, todayReward: number, freezesHeld: number, makeUpDates: Array<string>, makeUpsLeft: number, makeUpCost: number, freezeCost: number, maxFreezes: number, timeZone: string, dayEndsAt: string, nextMilestone: { streak: number, bonus: number } | null, cycle: Array<{ day: number, date: string, reward: number, signedIn: boolean }> }, wallet: { balance: number, transactions: { edges: Array<{ node: { id: string, amount: number, kind: WalletTransactionKind, balanceAfter: number, note: string | null, createdAt: string } }> } } } };

export type HistoryQueryVariables = Exact<{
  from: string;
  to: string;
}>;


export type HistoryQuery = { me: { signInHistory: Array<{ date: string, signedIn: boolean, cycleDay: number | null, streak: number | null, reward: number | null, madeUp: boolean, frozen: boolean }> } };

export type SignInMutationVariables = Exact<{ [key: string]: never; }>;


export type SignInMutation = { signIn: { record: { date: string, cycleDay: number, streak: number, reward: number, rewardCredited: boolean, madeUp: boolean, milestoneBonus: number | null }, status: { today: string, signedInToday: boolean, streak: number, cycleDay: number, todayReward: number, freezesHeld: number, makeUpDates: Array<string>, makeUpsLeft: number, makeUpCost: number, freezeCost: number, maxFreezes: number, timeZone: string, dayEndsAt: string, nextMilestone: { streak: number, bonus: number } | null, cycle: Array<{ day: number, date: string, reward: number, signedIn: boolean }> } } };

export type MakeUpMutationVariables = Exact<{
  date: string;
  key: string;
}>;


export type MakeUpMutation = { makeUpSignIn: { record: { date: string, cycleDay: number, streak: number, reward: number, rewardCredited: boolean, madeUp: boolean, milestoneBonus: number | null }, status: { today: string, signedInToday: boolean, streak: number, cycleDay: number, todayReward: number, freezesHeld: number, makeUpDates: Array<string>, makeUpsLeft: number, makeUpCost: number, freezeCost: number, maxFreezes: number, timeZone: string, dayEndsAt: string, nextMilestone: { streak: number, bonus: number } | null, cycle: Array<{ day: number, date: string, reward: number, signedIn: boolean }> } } };

export type BuyFreezeMutationVariables = Exact<{
  key: string;
}>;


export type BuyFreezeMutation = { buyStreakFreeze: { transaction: { id: string, amount: number, kind: WalletTransactionKind, balanceAfter: number, note: string | null, createdAt: string }, status: { today: string, signedInToday: boolean, streak: number, cycleDay: number, todayReward: number, freezesHeld: number, makeUpDates: Array<string>, makeUpsLeft: number, makeUpCost: number, freezeCost: number, maxFreezes: number, timeZone: string, dayEndsAt: string, nextMilestone: { streak: number, bonus: number } | null, cycle: Array<{ day: number, date: string, reward: number, signedIn: boolean }> } } };

export type SetTimeZoneMutationVariables = Exact<{
  timeZone: string;
}>;


export type SetTimeZoneMutation = { setTimeZone: { id: string, timeZone: string } };

export type WalletUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type WalletUpdatedSubscription = { walletUpdated: { id: string, amount: number, kind: WalletTransactionKind, balanceAfter: number, note: string | null, createdAt: string } };

export type StreakUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type StreakUpdatedSubscription = { streakUpdated: { today: string, signedInToday: boolean, streak: number, cycleDay: number, todayReward: number, freezesHeld: number, makeUpDates: Array<string>, makeUpsLeft: number, makeUpCost: number, freezeCost: number, maxFreezes: number, timeZone: string, dayEndsAt: string, nextMilestone: { streak: number, bonus: number } | null, cycle: Array<{ day: number, date: string, reward: number, signedIn: boolean }> } };

export type SessionFieldsFragment = { id: string, createdAt: string, lastUsedAt: string, expiresAt: string, userAgent: string | null, current: boolean };

export type SessionsQueryVariables = Exact<{ [key: string]: never; }>;


export type SessionsQuery = { me: { sessions: Array<{ id: string, createdAt: string, lastUsedAt: string, expiresAt: string, userAgent: string | null, current: boolean }> } };

export type RevokeSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type RevokeSessionMutation = { revokeSession: boolean };

export type AuthFieldsFragment = { token: string, expiresAt: string, user: { id: string, username: string, role: Role } };

export type RegisterMutationVariables = Exact<{
  username: string;
  password: string;
  timeZone?: string | null | undefined;
}>;


export type RegisterMutation = { register: { token: string, expiresAt: string, user: { id: string, username: string, role: Role } } };

export type LoginMutationVariables = Exact<{
  username: string;
  password: string;
}>;


export type LoginMutation = { login: { token: string, expiresAt: string, user: { id: string, username: string, role: Role } } };

export type RefreshSessionMutationVariables = Exact<{ [key: string]: never; }>;


export type RefreshSessionMutation = { refreshSession: { token: string, expiresAt: string, user: { id: string, username: string, role: Role } } };

export type SignOutMutationVariables = Exact<{ [key: string]: never; }>;


export type SignOutMutation = { signOut: boolean };

export type SignOutEverywhereMutationVariables = Exact<{ [key: string]: never; }>;


export type SignOutEverywhereMutation = { signOutEverywhere: number };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const DailyStatsFieldsFragmentDoc = new TypedDocumentString(`
    fragment DailyStatsFields on DailySignInStats {
  date
  signedIn
  byCycleDay
  rewardTotal
  makeUps
  frozen
  milestoneBonusTotal
}
    `, {"fragmentName":"DailyStatsFields"}) as unknown as TypedDocumentString<DailyStatsFieldsFragment, unknown>;
export const ScheduleFieldsFragmentDoc = new TypedDocumentString(`
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
    `, {"fragmentName":"ScheduleFields"}) as unknown as TypedDocumentString<ScheduleFieldsFragment, unknown>;
export const AuditEntryFieldsFragmentDoc = new TypedDocumentString(`
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
    `, {"fragmentName":"AuditEntryFields"}) as unknown as TypedDocumentString<AuditEntryFieldsFragment, unknown>;
export const GridUserFieldsFragmentDoc = new TypedDocumentString(`
    fragment GridUserFields on User {
  id
  username
  createdAt
}
    `, {"fragmentName":"GridUserFields"}) as unknown as TypedDocumentString<GridUserFieldsFragment, unknown>;
export const WebhookEndpointFieldsFragmentDoc = new TypedDocumentString(`
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledReason
  createdAt
}
    `, {"fragmentName":"WebhookEndpointFields"}) as unknown as TypedDocumentString<WebhookEndpointFieldsFragment, unknown>;
export const WebhookDeliveryFieldsFragmentDoc = new TypedDocumentString(`
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
    `, {"fragmentName":"WebhookDeliveryFields"}) as unknown as TypedDocumentString<WebhookDeliveryFieldsFragment, unknown>;
export const StatusFieldsFragmentDoc = new TypedDocumentString(`
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
    `, {"fragmentName":"StatusFields"}) as unknown as TypedDocumentString<StatusFieldsFragment, unknown>;
export const RecordFieldsFragmentDoc = new TypedDocumentString(`
    fragment RecordFields on SignInRecord {
  date
  cycleDay
  streak
  reward
  rewardCredited
  madeUp
  milestoneBonus
}
    `, {"fragmentName":"RecordFields"}) as unknown as TypedDocumentString<RecordFieldsFragment, unknown>;
export const TxFieldsFragmentDoc = new TypedDocumentString(`
    fragment TxFields on WalletTransaction {
  id
  amount
  kind
  balanceAfter
  note
  createdAt
}
    `, {"fragmentName":"TxFields"}) as unknown as TypedDocumentString<TxFieldsFragment, unknown>;
export const HistoryDayFieldsFragmentDoc = new TypedDocumentString(`
    fragment HistoryDayFields on SignInDay {
  date
  signedIn
  cycleDay
  streak
  reward
  madeUp
  frozen
}
    `, {"fragmentName":"HistoryDayFields"}) as unknown as TypedDocumentString<HistoryDayFieldsFragment, unknown>;
export const SessionFieldsFragmentDoc = new TypedDocumentString(`
    fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  userAgent
  current
}
    `, {"fragmentName":"SessionFields"}) as unknown as TypedDocumentString<SessionFieldsFragment, unknown>;
export const AuthFieldsFragmentDoc = new TypedDocumentString(`
    fragment AuthFields on AuthPayload {
  token
  expiresAt
  user {
    id
    username
    role
  }
}
    `, {"fragmentName":"AuthFields"}) as unknown as TypedDocumentString<AuthFieldsFragment, unknown>;
export const AdminMeDocument = new TypedDocumentString(`
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
    `) as unknown as TypedDocumentString<AdminMeQuery, AdminMeQueryVariables>;
export const StatsDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<StatsQuery, StatsQueryVariables>;
export const SchedulesDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<SchedulesQuery, SchedulesQueryVariables>;
export const PublishDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<PublishMutation, PublishMutationVariables>;
export const CancelDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<CancelMutation, CancelMutationVariables>;
export const AuditDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<AuditQuery, AuditQueryVariables>;
export const SearchUsersDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<SearchUsersQuery, SearchUsersQueryVariables>;
export const UsersHistoryDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<UsersHistoryQuery, UsersHistoryQueryVariables>;
export const WebhookEndpointsDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<WebhookEndpointsQuery, WebhookEndpointsQueryVariables>;
export const CreateWebhookEndpointDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<CreateWebhookEndpointMutation, CreateWebhookEndpointMutationVariables>;
export const SetWebhookEndpointEnabledDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<SetWebhookEndpointEnabledMutation, SetWebhookEndpointEnabledMutationVariables>;
export const RotateWebhookSecretDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<RotateWebhookSecretMutation, RotateWebhookSecretMutationVariables>;
export const DeleteWebhookEndpointDocument = new TypedDocumentString(`
    mutation DeleteWebhookEndpoint($id: ID!) {
  deleteWebhookEndpoint(id: $id)
}
    `) as unknown as TypedDocumentString<DeleteWebhookEndpointMutation, DeleteWebhookEndpointMutationVariables>;
export const WebhookDeliveriesDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<WebhookDeliveriesQuery, WebhookDeliveriesQueryVariables>;
export const ReplayWebhookDeliveryDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<ReplayWebhookDeliveryMutation, ReplayWebhookDeliveryMutationVariables>;
export const MeDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const HistoryDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<HistoryQuery, HistoryQueryVariables>;
export const SignInDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<SignInMutation, SignInMutationVariables>;
export const MakeUpDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<MakeUpMutation, MakeUpMutationVariables>;
export const BuyFreezeDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<BuyFreezeMutation, BuyFreezeMutationVariables>;
export const SetTimeZoneDocument = new TypedDocumentString(`
    mutation SetTimeZone($timeZone: String!) {
  setTimeZone(timeZone: $timeZone) {
    id
    timeZone
  }
}
    `) as unknown as TypedDocumentString<SetTimeZoneMutation, SetTimeZoneMutationVariables>;
export const WalletUpdatedDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<WalletUpdatedSubscription, WalletUpdatedSubscriptionVariables>;
export const StreakUpdatedDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<StreakUpdatedSubscription, StreakUpdatedSubscriptionVariables>;
export const SessionsDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<SessionsQuery, SessionsQueryVariables>;
export const RevokeSessionDocument = new TypedDocumentString(`
    mutation RevokeSession($id: ID!) {
  revokeSession(id: $id)
}
    `) as unknown as TypedDocumentString<RevokeSessionMutation, RevokeSessionMutationVariables>;
export const RegisterDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<RegisterMutation, RegisterMutationVariables>;
export const LoginDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<LoginMutation, LoginMutationVariables>;
export const RefreshSessionDocument = new TypedDocumentString(`
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
}`) as unknown as TypedDocumentString<RefreshSessionMutation, RefreshSessionMutationVariables>;
export const SignOutDocument = new TypedDocumentString(`
    mutation SignOut {
  signOut
}
    `) as unknown as TypedDocumentString<SignOutMutation, SignOutMutationVariables>;
export const SignOutEverywhereDocument = new TypedDocumentString(`
    mutation SignOutEverywhere {
  signOutEverywhere
}
    `) as unknown as TypedDocumentString<SignOutEverywhereMutation, SignOutEverywhereMutationVariables>;