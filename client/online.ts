import { backoffDelay, type RetryPorts } from './backoff.ts';

export interface OnlineStateOptions extends RetryPorts {
  /** Forgets every backoff and tries the server now (the engine's tryNow). */
  tryNow: () => void;
  /** `online` changed: the status shows it. */
  publishStatus: () => void;
  /** Storage is open: before that there is nothing to catch up from or to send. */
  ready: () => boolean;
}

/**
 * Whether the server is reachable (`status.online`), what the device says of its network, and
 * the prober that tries the server now and then while it is not.
 */
export class OnlineState {
  private onlineValue = false;
  /** The device says it has no network (browser events): no probes or retries until back. */
  private deviceOfflineValue = false;
  private readonly onlineCallbacks: (() => void)[] = [];
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private probeAttempt = 0;

  constructor(private readonly options: OnlineStateOptions) {}

  get online(): boolean {
    return this.onlineValue;
  }

  get deviceOffline(): boolean {
    return this.deviceOfflineValue;
  }

  /** Registered by graphcache's offlineExchange: re-runs queries that failed offline. */
  addOnlineCallback(callback: () => void): void {
    this.onlineCallbacks.push(callback);
  }

  setOnline(online: boolean): void {
    const { options } = this;
    if (options.stopped() || online === this.onlineValue) {
      if (!online) this.scheduleProbe();
      return;
    }
    this.onlineValue = online;
    // The server answered: whatever the device said, there is a network.
    if (online) this.deviceOfflineValue = false;
    options.publishStatus();
    if (!online) {
      this.scheduleProbe();
      return;
    }
    // Deferred: this runs inside urql's result stream, which must not be re-entered.
    queueMicrotask(() => {
      if (options.stopped()) return;
      for (const callback of this.onlineCallbacks) callback();
      options.tryNow();
    });
  }

  /**
   * The device went offline or came back (Connectivity). Offline shows at once; back online
   * tries at once, whatever backoff the failures before had built up.
   */
  connectivityChanged(online: boolean): void {
    const { options } = this;
    if (options.stopped()) return;
    this.deviceOfflineValue = !online;
    if (!online) {
      this.setOnline(false);
      return;
    }
    if (options.ready()) options.tryNow();
  }

  /**
   * The live connection dropped (not closed by us): the server or the network may be gone.
   * A catch-up tells which at once, so `status.online` does not claim a server that left.
   */
  connectionLost(): void {
    const { options } = this;
    if (options.stopped() || !options.ready() || !this.onlineValue) return;
    void options.pull().catch(() => undefined);
  }

  /** While offline, tries the server now and then: a catch-up that succeeds means online. */
  scheduleProbe(): void {
    const { options } = this;
    if (options.stopped() || this.probeTimer || !options.ready() || this.deviceOfflineValue) {
      return;
    }
    if (options.waitsForToken()) return;
    this.probeTimer = options.setTimeout(
      () => {
        this.probeTimer = undefined;
        if (this.onlineValue) return;
        void options.pull().catch(() => this.scheduleProbe());
      },
      backoffDelay(this.probeAttempt++, options.retry),
    );
  }

  /** Trying the server now: no probe waits on the backoff built up so far. */
  forgetBackoff(): void {
    this.probeAttempt = 0;
    this.cancelProbe();
  }

  /** Closed or revoked: no more probes. */
  stop(): void {
    this.cancelProbe();
  }

  private cancelProbe(): void {
    if (this.probeTimer) this.options.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }
}
