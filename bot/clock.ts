/**
 * The one source of "now" for the bot: built in app.ts and handed down, so tests can move time
 * past lifetimes, expiries and backoffs instead of waiting for them.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
