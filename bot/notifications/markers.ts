/**
 * Storage keys of the dedupe markers: one per fan-out (which message expands a delivery id) and
 * one per delivered card (sendClaim.ts). Both sit under the sent markers' prefix, so the same
 * lifetime and sweep cover them.
 */
import { createHash } from 'node:crypto';
import { SENT_MARKER_PREFIX } from '../state/rules';

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

export const fanOutKey = (deliveryId: string): string => `${SENT_MARKER_PREFIX}fanout-${digest(deliveryId)}`;
export const sentKey = (deliveryId: string, targetKey: string): string => `${SENT_MARKER_PREFIX}${digest(`${deliveryId}|${targetKey}`)}`;
