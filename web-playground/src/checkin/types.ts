// The shapes the check-in page selects from the API (see schema.graphql).

export interface CycleDay { day: number; date: string; reward: number; signedIn: boolean }
export interface Milestone { streak: number; bonus: number }

export interface SignInStatus {
  today: string;
  signedInToday: boolean;
  streak: number;
  cycleDay: number;
  todayReward: number;
  freezesHeld: number;
  makeUpDates: string[];
  makeUpsLeft: number;
  nextMilestone: Milestone | null;
  makeUpCost: number;
  freezeCost: number;
  maxFreezes: number;
  cycle: CycleDay[];
}

/** One date of `User.signInHistory`. */
export interface HistoryDay {
  date: string;
  signedIn: boolean;
  cycleDay: number | null;
  streak: number | null;
  reward: number | null;
  madeUp: boolean;
  frozen: boolean;
}

export interface Tx {
  id: string;
  amount: number;
  kind: string;
  balanceAfter: number;
  note: string | null;
  createdAt: string;
}

export interface SignInRecord {
  date: string;
  cycleDay: number;
  streak: number;
  reward: number;
  rewardCredited: boolean;
  madeUp: boolean;
  milestoneBonus: number | null;
}
