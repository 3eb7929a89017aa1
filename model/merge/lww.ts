import { compareStamps, type Stamp, successorHlc } from './hlc.ts';

export interface LwwInput<T> {
  serverValue: T;
  /** Absent for fields written before per-field metadata existed: any stamp beats it. */
  serverStamp: Stamp | undefined;
  localValue: T;
  localStamp: Stamp;
  /** The server changed the field after the client's baseVersion. */
  concurrent: boolean;
}

export interface LwwResult<T> {
  value: T;
  stamp: Stamp;
  outcome: 'applied' | 'merged';
}

/**
 * Last-writer-wins register. Not concurrent: the local value applies and its stamp is raised
 * above the server's (it is causally later). Concurrent: higher stamp wins (ties on hlc broken
 * by higher clientId); outcome 'merged' either way. A stamp equal to the server's is the same
 * write replayed, so the server keeps its value.
 */
export function mergeLww<T>(input: LwwInput<T>): LwwResult<T> {
  const { serverValue, serverStamp, localValue, localStamp, concurrent } = input;
  if (!concurrent) {
    return { value: localValue, stamp: causallyAfter(localStamp, serverStamp), outcome: 'applied' };
  }
  if (!serverStamp || compareStamps(localStamp, serverStamp) > 0) {
    return { value: localValue, stamp: localStamp, outcome: 'merged' };
  }
  return { value: serverValue, stamp: serverStamp, outcome: 'merged' };
}

// A client whose clock lags still saw the server's write, so its write must sort after it;
// otherwise a later concurrent writer could lose to a value that was already overwritten.
function causallyAfter(local: Stamp, server: Stamp | undefined): Stamp {
  if (!server || compareStamps(local, server) > 0) return local;
  return { hlc: successorHlc(server.hlc), clientId: local.clientId };
}
