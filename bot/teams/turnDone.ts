/**
 * When a turn's own answer is out. An invoke's answer is written when the turn ends; work that
 * finishes later (a late card update) must not overtake it, or the answer would overwrite it.
 */
import type { TurnContext } from 'botbuilder';

const TURN_DONE = Symbol('turnDone');

/** Called by the router around a turn: resolves what turnAnswered() returns once the turn has ended. */
export function markTurn(context: TurnContext): () => void {
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  context.turnState.set(TURN_DONE, done);
  // The adapter writes the answer right after the turn's logic returns: one macrotask later it is out.
  return () => setImmediate(resolve);
}

export function turnAnswered(context: TurnContext): Promise<void> {
  return (context.turnState.get(TURN_DONE) as Promise<void> | undefined) ?? Promise.resolve();
}
