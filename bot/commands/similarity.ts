/**
 * Levenshtein distance for "did you mean" hints. No edit-distance library is a direct dependency of this project
 * (`leven` is only present transitively through jest/azurite), so this stays a small hand-written function.
 */

/** Edit distance between two short strings; returns `limit + 1` as soon as it must exceed `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate closest to `input`, if it is close enough to be a plausible typo: at most 1 edit for words of up to
 * 4 letters, 2 for longer ones; or, when `allowPrefix`, `input` is a prefix (3+ letters) of the candidate.
 * Ties go to the earlier candidate.
 */
export function closest(input: string, candidates: readonly string[], allowPrefix = true): string | undefined {
  if (input.length === 0 || input.length > 40) return undefined;
  const limit = input.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(input, candidate, limit);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;
  if (allowPrefix && input.length >= 3) return candidates.find((candidate) => candidate.startsWith(input));
  return undefined;
}
