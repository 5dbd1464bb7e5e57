// What the admin page knows: the session, who is logged in, the schedules,
// the audit log's filter and paging, the users view's selection and page, the
// webhook endpoints and the deliveries shown. Never a webhook secret: it is
// shown once, in the page, and forgotten.
import type { Session } from '../common/session';
import type {
  AdminMeQuery, ScheduleFieldsFragment, WebhookDeliveryFieldsFragment, WebhookDeliveryStatus,
  WebhookEndpointFieldsFragment,
} from '../generated/graphql';
import type { GridRow } from './users-grid';

export type Me = AdminMeQuery['me'];
export type Schedule = ScheduleFieldsFragment;

/** The users view's current selection: by name (cursor paging) or by pasted ids. */
export type UsersSelection =
  | { mode: 'search'; query: string; from: string; to: string; size: number }
  | { mode: 'ids'; ids: string[]; from: string; to: string; size: number };

export type Endpoint = WebhookEndpointFieldsFragment;
export type Delivery = WebhookDeliveryFieldsFragment;
export type DeliveryEdge = { cursor: string; node: Delivery };

export const AUDIT_PAGE = 20;
/** Messages per page of the deliveries view. */
export const DELIVERIES_PAGE = 20;

export const state = {
  /** The login (its access token lives in ../common/session.ts, memory only); null when logged out. */
  session: null as Session | null,
  me: null as Me | null,
  schedules: [] as Schedule[],
  audit: {
    actorId: '',
    targetUserId: '',
    endCursor: null as string | null,
    // Bumped by every new filter, so a slow older page is dropped.
    seq: 0,
  },
  webhooks: {
    endpoints: [] as Endpoint[],
    // Bumped by every read of the list, so a slow older answer is dropped.
    seq: 0,
  },
  deliveries: {
    /** The endpoint whose messages are shown; null when the view is closed. */
    endpoint: null as Endpoint | null,
    status: null as WebhookDeliveryStatus | null,
    /** The messages shown, newest first, with their cursors (a message is read again after the one before it). */
    edges: [] as DeliveryEdge[],
    endCursor: null as string | null,
    // Bumped by every new view (endpoint, filter, reload), so a slow older page is dropped.
    seq: 0,
  },
  users: {
    selection: null as UsersSelection | null,
    /** The page shown (0-based). */
    page: 0,
    /** searchUsers' `after` for each page reached so far (page 0: null). */
    cursors: [null] as (string | null)[],
    hasNext: false,
    dates: [] as string[],
    rows: [] as GridRow[],
    // Bumped by every request, so a slow older page is dropped.
    seq: 0,
  },
};
