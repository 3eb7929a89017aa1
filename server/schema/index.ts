import { builder } from './builder.ts';
import './scalars.ts';
import './enums.ts';
import './sync-record.ts';
import './workspace.ts';
import './changes.ts';
import './conflict.ts';
import './push.ts';
import './subscriptions.ts';
import './audit.ts';

/** The executable schema, built once from every type file registered on the builder. */
export const schema = builder.toSchema({ sortSchema: false });
