// The check-in page's elements (index.html), looked up once.
import { authElements, el } from '../common/login';

export const dom = {
  ...authElements(),
  notice: el('notice'),
  register: el<HTMLButtonElement>('register'),
  dashboard: el('dashboard'),
  streak: el('streak'),
  cycleDay: el('cycle-day'),
  todayReward: el('today-reward'),
  cycle: el('cycle'),
  signin: el<HTMLButtonElement>('signin'),
  todayLabel: el('today-label'),
  nextMilestone: el('next-milestone'),
  freezes: el('freezes'),
  freezeHint: el('freeze-hint'),
  buyFreeze: el<HTMLButtonElement>('buy-freeze'),
  makeUpList: el('makeup-list'),
  makeUpEmpty: el('makeup-empty'),
  makeUpsLeft: el('makeups-left'),
  history: el('history'),
  balance: el('balance'),
  transactions: el('transactions'),
  txEmpty: el('tx-empty'),
  live: el('live'),
};
