/** Exit codes of the CLI. */
export const EXIT = {
  ok: 0,
  /** The sync (or the command) failed. */
  failed: 1,
  /** The command line or the sync input is wrong; the message says what to fix. */
  invalidInput: 2,
  /** Refused: the campaign is locked by a running sync. */
  locked: 3,
  /** No sync of that campaign exists. */
  notFound: 4,
  /** Ctrl-C ended a `--wait`; the run goes on. */
  interrupted: 130,
} as const;
