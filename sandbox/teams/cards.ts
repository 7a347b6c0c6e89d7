/**
 * What a Teams client reads out of an Adaptive Card: its actions (found by title, verb or id), the
 * inputs an action sends with it, client-side input validation, and which action a client without
 * Universal Actions would use instead (`fallback`).
 */
import type { Activity } from './world';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
export const OAUTH_CARD = 'application/vnd.microsoft.card.oauth';

export type Card = Record<string, any>;
export type CardAction = Record<string, any>;

export function adaptiveCardOf(activity: Activity | undefined): Card | undefined {
  const attachment = (activity?.attachments ?? []).find((a: Activity) => a?.contentType === ADAPTIVE_CARD);
  return attachment?.content;
}

export interface OAuthCard {
  text?: string;
  connectionName?: string;
  tokenExchangeResource?: { id: string; uri: string; providerId?: string };
  buttons?: Array<{ type: string; title?: string; value?: string }>;
}

export function oauthCardOf(activity: Activity | undefined): OAuthCard | undefined {
  const attachment = (activity?.attachments ?? []).find((a: Activity) => a?.contentType === OAUTH_CARD);
  return attachment?.content;
}

/** Every action the card offers, in document order (body action sets, select actions, card actions, show-cards). */
export function actionsOf(card: Card): CardAction[] {
  const found: CardAction[] = [];
  const visitElement = (el: Card | undefined): void => {
    if (!el || typeof el !== 'object') return;
    if (el.selectAction) visitAction(el.selectAction);
    if (el.type === 'ActionSet') (el.actions ?? []).forEach(visitAction);
    for (const key of ['items', 'columns', 'body']) if (Array.isArray(el[key])) el[key].forEach(visitElement);
  };
  const visitAction = (action: CardAction): void => {
    if (!action || typeof action !== 'object') return;
    found.push(action);
    if (action.type === 'Action.ShowCard' && action.card) visitCard(action.card);
  };
  const visitCard = (c: Card): void => {
    (c.body ?? []).forEach(visitElement);
    (c.actions ?? []).forEach(visitAction);
  };
  visitCard(card);
  return found;
}

/** The action a person would press: matched on title, then verb, then id. */
export function findAction(card: Card, titleOrVerbOrId: string): CardAction | undefined {
  const all = actionsOf(card);
  return (
    all.find((a) => a.title === titleOrVerbOrId) ??
    all.find((a) => a.verb === titleOrVerbOrId) ??
    all.find((a) => a.id === titleOrVerbOrId)
  );
}

/** Card schema version as a number (1.5 → 1.5); unparseable means 1.0. */
export function cardVersion(card: Card): number {
  const n = Number.parseFloat(String(card.version ?? '1.0'));
  return Number.isFinite(n) ? n : 1.0;
}

/**
 * The action a client actually runs. Teams supports Action.Execute for cards of version 1.4 and
 * later; a client without Universal Actions uses the action's `fallback` ("drop" or none: the
 * button is not shown).
 */
export function effectiveAction(card: Card, action: CardAction, universalActions: boolean): CardAction | undefined {
  if (action.type !== 'Action.Execute') return action;
  if (universalActions && cardVersion(card) >= 1.4) return action;
  const fallback = action.fallback;
  if (!fallback || fallback === 'drop') return undefined;
  return effectiveAction(card, fallback, universalActions);
}

export interface InputDef {
  id: string;
  type: string;
  element: Card;
}

export function inputsOf(card: Card): InputDef[] {
  const found: InputDef[] = [];
  const visit = (el: Card | undefined): void => {
    if (!el || typeof el !== 'object') return;
    if (typeof el.type === 'string' && el.type.startsWith('Input.') && el.id) found.push({ id: el.id, type: el.type, element: el });
    for (const key of ['items', 'columns', 'body']) if (Array.isArray(el[key])) el[key].forEach(visit);
  };
  (card.body ?? []).forEach(visit);
  return found;
}

export type InputValues = Record<string, string | number | boolean>;

export interface BlockedInput {
  inputId: string;
  message: string;
}

function asSubmitted(def: InputDef, value: string | number | boolean | undefined): string {
  const el = def.element;
  if (def.type === 'Input.Toggle') {
    const on = el.valueOn ?? 'true';
    const off = el.valueOff ?? 'false';
    if (value === undefined) return String(el.value ?? off);
    if (typeof value === 'boolean') return value ? on : off;
    return String(value);
  }
  if (value === undefined) return el.value === undefined ? '' : String(el.value);
  return String(value);
}

/**
 * The input values an action sends (all of the card's inputs unless `associatedInputs: "none"`),
 * as strings the way Teams submits them, or the first input the client would refuse to send.
 */
export function gatherInputs(
  card: Card,
  action: CardAction,
  given: InputValues = {},
): { values: Record<string, string>; blocked?: BlockedInput } {
  const defs = action.associatedInputs === 'none' ? [] : inputsOf(card);
  const unknown = Object.keys(given).filter((k) => !defs.some((d) => d.id === k));
  if (unknown.length) throw new Error(`the card has no input ${unknown.map((u) => `"${u}"`).join(', ')}`);
  const values: Record<string, string> = {};
  for (const def of defs) {
    const value = asSubmitted(def, given[def.id]);
    const el = def.element;
    const refuse = (why: string) => ({ values, blocked: { inputId: def.id, message: el.errorMessage ?? why } });
    if (el.isRequired && value === '') return refuse(`${def.id} is required`);
    if (value !== '') {
      // The Adaptive Cards renderer tests the pattern as written (unanchored).
      if (def.type === 'Input.Text' && el.regex && !new RegExp(el.regex).test(value)) return refuse(`${def.id} does not match ${el.regex}`);
      if (def.type === 'Input.Text' && el.maxLength && value.length > el.maxLength) return refuse(`${def.id} is too long`);
      if (def.type === 'Input.Number') {
        const n = Number(value);
        if (!Number.isFinite(n) || (el.min !== undefined && n < el.min) || (el.max !== undefined && n > el.max)) return refuse(`${def.id} is out of range`);
      }
      // A dynamic typeahead (choices.data) accepts what the search offered, not only the static choices.
      if (def.type === 'Input.ChoiceSet' && !el.isMultiSelect && el.choiceSet === undefined && el['choices.data'] === undefined && Array.isArray(el.choices)) {
        if (!el.choices.some((c: Card) => c.value === value)) return refuse(`${def.id} is not one of the choices`);
      }
    }
    values[def.id] = value;
  }
  return { values };
}

/** `data` merged with the input values; a non-object `data` is sent as is. */
export function mergeData(data: unknown, values: Record<string, string>): unknown {
  if (data === undefined || data === null) return { ...values };
  if (typeof data !== 'object' || Array.isArray(data)) return data;
  return { ...(data as Record<string, unknown>), ...values };
}
