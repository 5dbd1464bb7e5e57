// The user's time zone on the check-in page: the day-end line under today's
// strip ("Your day ends at 00:00 in Europe/Paris, in 3 h 12 min."), the "Your
// time zone" card (the zone, the form to change it, "Use this device's zone"),
// and the clock that keeps the countdown current: redrawn each minute, and the
// status read again once the user's day has ended (a new today, a new end).
// The words are zones.ts'; the mutation is in actions.ts.
//
// The countdown runs on the browser's clock, set to the service's time with
// the offset read from the access token (serviceClockOffsetMs): `dayEndsAt` is
// an instant of the service, whose clock may be a test clock days away, or
// right where a phone's clock is wrong.
import { refresh } from './data';
import { dom } from './dom';
import { state } from './state';
import { dayEndText, deviceZone, zoneNames } from './zones';
import { serviceClockOffsetMs } from '../common/timing';

/** After the day's end, wait this long before reading the status: the offset may run a second behind. */
const TURN_MARGIN_MS = 2_000;
const MINUTE_MS = 60_000;

let timer: number | undefined;
/** The `dayEndsAt` the status was last read again for: once per end, so clocks that disagree cannot loop. */
let rereadFor: string | null = null;

/** The service's time now, as this page reckons it (ms). */
export function serviceNow(): number {
  const s = state.session;
  return Date.now() + (s ? serviceClockOffsetMs(s.token, s.receivedAt) : 0);
}

/** Fills the form's datalist with the zone names this browser knows (once, at start). */
export function fillZoneNames(): void {
  const options = zoneNames([deviceZone()]).map((name) => {
    const option = document.createElement('option');
    option.value = name;
    return option;
  });
  dom.zoneNames.replaceChildren(...options);
}

/**
 * Draws the day-end line and the zone card from `state.status`, and arms the
 * next redraw: when the countdown's text next changes (within a minute), or
 * just after the day ends, when the status is read again.
 */
export function renderZone(): void {
  window.clearTimeout(timer);
  timer = undefined;
  const s = state.status;
  const device = deviceZone();
  dom.dayEnds.hidden = !s;
  dom.dayEnds.textContent = s ? dayEndText(s.dayEndsAt, s.timeZone, serviceNow()) : '';
  dom.zoneCurrent.textContent = s ? `Your days are counted in ${s.timeZone}.` : '';
  dom.zoneSave.disabled = !s || state.settingZone;
  dom.zoneSave.textContent = state.settingZone ? 'Changing…' : 'Change';
  // Offered only when it would change something.
  dom.zoneDevice.hidden = !s || !device || device === s.timeZone;
  dom.zoneDevice.textContent = `Use this device's zone (${device})`;
  dom.zoneDevice.disabled = state.settingZone;
  if (!s || !state.session) return;

  const left = Date.parse(s.dayEndsAt) - serviceNow();
  if (!Number.isFinite(left)) return;
  if (left > 0) {
    // The text counts whole minutes rounded up: it changes when `left` crosses a minute.
    const step = left % MINUTE_MS || MINUTE_MS;
    const delay = step >= left ? left + TURN_MARGIN_MS : step;
    timer = window.setTimeout(renderZone, delay);
  } else if (rereadFor !== s.dayEndsAt) {
    // The day is over: today, the cycle and the next end come with the status.
    rereadFor = s.dayEndsAt;
    void refresh();
  }
}

/** Logged out: no clock. */
export function stopDayClock(): void {
  window.clearTimeout(timer);
  timer = undefined;
  rereadFor = null;
}
