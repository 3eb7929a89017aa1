/** How one field of a change was settled; the push engine maps it to a ChangeStatus. */
export type MergeOutcome = 'applied' | 'merged' | 'conflict';
