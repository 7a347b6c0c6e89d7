/**
 * The names a card and the bot must agree on: Universal Action verbs, Action.Submit markers and form input ids.
 * Kept in a dependency-free module so the command parser can use them without loading the templating engine.
 */

/** Attachment content type of an Adaptive Card (also the invoke-response `type` that replaces a card). */
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive' as const;

/** Card schema version: Universal Actions (`Action.Execute`, `refresh`) need 1.4+, Teams documents 1.5. */
export const CARD_VERSION = '1.5' as const;

export const CARD_SCHEMA = 'https://adaptivecards.io/schemas/adaptive-card.json' as const;

/**
 * `Action.Execute` verbs. They arrive as `adaptiveCard/action` invokes (`value.action.verb`, `value.action.data`), or,
 * from clients without Universal Actions, as the `Action.Submit` fallback: a message whose `value` is the same data
 * plus `verb`.
 */
export const CARD_VERBS = {
  /** Requester confirms the pending change. data `{ key }`. */
  confirmChange: 'confirmChange',
  /** Requester cancels the pending change. data `{ key }`. */
  cancelChange: 'cancelChange',
  /** Automatic refresh of the channel card (and its "Review" button). data `{ key }`. */
  refreshChange: 'refreshChange',
  /** "Show" on a change notification or an upload list row. data `{ uploadId }`. */
  showUpload: 'showUpload',
  /** `diag` in a channel: the requester's refresh (or "Run my check") runs the check for the clicker. data `{ askedAt }`. */
  runDiag: 'runDiag',
  /**
   * A read view: "Show" on a channel's lookup card, "Show more" on a list (with the sealed `pageToken`), "Show" on an
   * import. data `{ command, pageToken? }`, the command in the chat grammar (parsed again, never trusted).
   */
  browse: 'browse',
  /** "Change status" on an upload list row or report: opens the form prefilled. data `{ uploadId }`. */
  changeStatus: 'changeStatus',
} as const;
export type CardVerb = (typeof CARD_VERBS)[keyof typeof CARD_VERBS];

/** `value.action` of the plain `Action.Submit` buttons (classic message-with-value path). */
export const SUBMIT_ACTIONS = {
  /** Help card button: open the set-upload form. value `{ action: 'openForm' }`. */
  openForm: 'openForm',
  /** Form submission. value `{ action: 'submitForm', uploadId, status }` (the inputs merge into the data). */
  submitForm: 'submitForm',
} as const;
export type SubmitAction = (typeof SUBMIT_ACTIONS)[keyof typeof SUBMIT_ACTIONS];

/** Input ids of the set-upload form, i.e. the keys the submitted `value` carries. */
export const FORM_INPUTS = {
  uploadId: 'uploadId',
  status: 'status',
  /** The change-status form's upload picker (typeahead); the pasted `uploadId` wins when both are given. */
  uploadPick: 'uploadPick',
} as const;

/** The `Data.Query` dataset of the upload picker, answered on the `application/search` invoke. */
export const SEARCH_DATASETS = { uploads: 'uploads' } as const;

/** The GUID shape shown to people whenever an id is wrong (the id used in Microsoft's own Graph example). */
export const EXAMPLE_UPLOAD_ID = '8d639524-9524-8d63-2495-638d2495638d';
