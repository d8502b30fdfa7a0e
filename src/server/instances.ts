/**
 * The process-wide registry of initialised component instances, keyed by (category, instance name).
 *
 * - An instance is stored only after Init built it; a repeated Init (daprd hot reload) replaces it, and the
 *   old one is closed once its in-flight calls finish.
 * - daprd never re-sends Init after keyless restarts, so a call for an unknown name restores the instance
 *   from its saved non-secret metadata (once, even under concurrent calls), or fails naming the fix.
 * - An instance belongs to the daprd connection(s) that initialised it while they live. Two sidecars on
 *   one socket send the same instance name, so an Init with different metadata from another connection
 *   is refused while an owner lives, instead of silently swapping the first app's instance. daprd's hot
 *   reload drops the old connection before it re-sends Init; a short grace covers that close arriving late.
 *   After a keyless restart no Init comes, so the connection whose call restored an instance owns it: a
 *   restart does not open a window for another sidecar to swap it.
 */
import { errors } from "../errors/catalog.js";
import { isKeylessError } from "../errors/keylessError.js";
import type { BuildContext, ComponentKind, KindContext } from "../components/kind.js";
import type { SavedInitStore } from "../persistence/savedInit.js";
import { errorField, type Logger } from "../observability/logger.js";
import { SingleFlight } from "../util/singleFlight.js";
import { redactMetadata } from "../observability/redact.js";
import type { CallPeer } from "./unary.js";

class Entry<T> {
  inFlight = 0;
  retired = false;
  constructor(
    readonly impl: T,
    private readonly closeImpl: (t: T) => Promise<void>,
    private readonly log: Logger,
  ) {}

  retire(): void {
    this.retired = true;
    if (this.inFlight === 0) this.close();
  }

  /** Runs one call on this instance; a retired instance closes once its last call has finished. */
  async run<R>(fn: (impl: T) => Promise<R> | R): Promise<R> {
    this.inFlight++;
    try {
      return await fn(this.impl);
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.inFlight--;
    if (this.retired && this.inFlight === 0) this.close();
  }

  private close(): void {
    this.closeImpl(this.impl).catch((e: unknown) =>
      this.log.warn({ err: errorField(e) }, "closing a replaced instance failed"),
    );
  }
}

/** The registry's key for an instance: "<category>/<instance>", as failedInits() reports it. */
function instanceKey(kind: ComponentKind<unknown>, instance: string): string {
  return `${kind.category}/${instance}`;
}

const COMPONENT_TYPE = { state: "state.keyless", secretstores: "secretstores.keyless" } as const;

export class InstanceRegistry {
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly restoring = new SingleFlight<string, Entry<unknown>>();
  /** Inits are numbered on arrival; `applied` holds the number of the one in effect per instance. */
  private initSeq = 0;
  private readonly applied = new Map<string, number>();
  private readonly applying = new Map<string, Promise<void>>();
  /** Per instance: the metadata in effect and the live connections that initialised it with that metadata. */
  private readonly owners = new Map<string, { props: Record<string, string>; peers: Set<string> }>();
  private readonly closeWaiters = new Set<() => void>();
  private readonly initFailures = new Map<string, string>();
  private readonly log: Logger;

  constructor(
    private readonly saved: SavedInitStore,
    private readonly ctx: KindContext,
    /** How long a conflicting Init waits for the owning connection to close (daprd hot reload). */
    private readonly handoverGraceMs = 3_000,
  ) {
    this.log = ctx.loggers.forArea("instances");
  }

  private buildContext(kind: ComponentKind<unknown>, instance: string): BuildContext {
    return {
      instance,
      dataDir: this.ctx.dataDir,
      baseDir: this.ctx.baseDir,
      env: this.ctx.env,
      now: this.ctx.now,
      log: this.ctx.loggers.forArea(kind.category, { instance }),
      credentials: this.ctx.credentials,
      ...(this.ctx.metrics && { metrics: this.ctx.metrics }),
      ...(this.ctx.health && { health: this.ctx.health }),
    };
  }

  /**
   * Builds the instance from Init metadata, saves the non-secret part, and makes it current. Concurrent
   * Inits of one instance build in parallel but take effect one at a time in arrival order: the last Init
   * to arrive wins both in memory and on disk, and an older one finishing later is closed unused.
   */
  async init<T>(
    kind: ComponentKind<T>,
    instance: string,
    props: Record<string, string>,
    peer?: string,
  ): Promise<void> {
    const key = instanceKey(kind, instance);
    try {
      await this.applyInit(kind, instance, props, peer);
      this.initFailures.delete(key);
    } catch (e) {
      this.initFailures.set(key, isKeylessError(e) ? e.code : "INTERNAL");
      throw e;
    }
  }

  /** Instances whose latest Init or restore failed ("<category>/<instance>" -> error code), for readiness. */
  failedInits(): ReadonlyMap<string, string> {
    return this.initFailures;
  }

  private async applyInit<T>(
    kind: ComponentKind<T>,
    instance: string,
    props: Record<string, string>,
    peer?: string,
  ): Promise<void> {
    const key = instanceKey(kind, instance);
    const seq = ++this.initSeq;
    const impl = await kind.build(props, this.buildContext(kind as ComponentKind<unknown>, instance));
    await this.serially(key, async () => {
      if ((this.applied.get(key) ?? 0) > seq) {
        this.log.debug({ instance }, "a later Init of this instance already took effect; dropping this one");
        await kind.close(impl);
        return;
      }
      try {
        await this.claim(key, COMPONENT_TYPE[kind.category], instance, props, peer);
      } catch (e) {
        await kind.close(impl);
        throw e;
      }
      this.applied.set(key, seq);
      try {
        await this.saved.save(kind.category, instance, props, kind.metadata);
      } catch (e) {
        // Serving matters more than surviving our own restart; say so and carry on.
        this.log.warn(
          { instance, err: errorField(e) },
          "could not save Init metadata; after a keyless restart this instance needs a sidecar restart",
        );
      }
      this.put(kind, instance, new Entry(impl, kind.close, this.log) as Entry<unknown>);
      // Only values of fields declared loggable are shown; credentials and unknown keys appear as [redacted].
      this.log.info(
        { instance, category: kind.category, metadata: redactMetadata(props, kind.metadata) },
        "instance initialised",
      );
    });
  }

  /** A daprd connection closed: it no longer owns the instances it initialised. */
  connectionClosed(peer: string): void {
    for (const o of this.owners.values()) o.peers.delete(peer);
    for (const w of [...this.closeWaiters]) w();
  }

  /** Makes `peer` an owner of the instance, or refuses when another live owner set different metadata. */
  private async claim(
    key: string,
    type: string,
    instance: string,
    props: Record<string, string>,
    peer: string | undefined,
  ): Promise<void> {
    const own = this.owners.get(key);
    const differing = own ? differingKeys(own.props, props) : [];
    if (own && differing.length === 0) {
      if (peer) own.peers.add(peer);
      return;
    }
    if (own && peer) {
      const others = () => [...own.peers].some((p) => p !== peer);
      await this.waitUntil(() => !others(), this.handoverGraceMs);
      if (others()) throw errors.instanceInUse(type, instance, differing);
    }
    this.setOwner(key, props, peer);
  }

  /** `peer` (if known) becomes the only owner of the instance, which now runs with `props`. */
  private setOwner(key: string, props: Record<string, string>, peer: string | undefined): void {
    this.owners.set(key, { props: { ...props }, peers: new Set(peer ? [peer] : []) });
  }

  private waitUntil(done: () => boolean, ms: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.closeWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, ms);
      this.closeWaiters.add(check);
    });
  }

  /** Runs `step` after every earlier step for the same key has finished. */
  private async serially(key: string, step: () => Promise<void>): Promise<void> {
    const previous = this.applying.get(key) ?? Promise.resolve();
    const current = previous.then(step);
    const settled = current.catch(() => undefined);
    this.applying.set(key, settled);
    try {
      await current;
    } finally {
      if (this.applying.get(key) === settled) this.applying.delete(key);
    }
  }

  /**
   * Runs `fn` with the current instance, restoring it from saved metadata if this process never saw Init;
   * `caller` (asked for its peer only when restoring) becomes the restored instance's owner.
   */
  use<T, R>(
    kind: ComponentKind<T>,
    instance: string,
    fn: (impl: T) => Promise<R> | R,
    caller?: CallPeer,
  ): Promise<R> {
    const key = instanceKey(kind, instance);
    // Every state and secret call passes here: the common case adds no frame of its own.
    const entry = this.entries.get(key) as Entry<T> | undefined;
    if (entry) return entry.run(fn);
    return this.restore(kind as ComponentKind<unknown>, instance, key, caller).then((e) =>
      (e as Entry<T>).run(fn),
    );
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) e.retire();
  }

  get size(): number {
    return this.entries.size;
  }

  private put(kind: ComponentKind<unknown>, instance: string, entry: Entry<unknown>): void {
    const key = instanceKey(kind, instance);
    const old = this.entries.get(key);
    this.entries.set(key, entry);
    old?.retire();
  }

  private restore(
    kind: ComponentKind<unknown>,
    instance: string,
    key: string,
    caller: CallPeer | undefined,
  ): Promise<Entry<unknown>> {
    return this.restoring.run(key, async () => {
      try {
        const entry = await this.doRestore(kind, instance, key, caller?.getPeer());
        this.initFailures.delete(key);
        return entry;
      } catch (e) {
        // An instance never seen (INSTANCE_UNKNOWN) is not one keyless knows; a failed restore is.
        if (isKeylessError(e) && e.code === "INSTANCE_RESTORE_FAILED") this.initFailures.set(key, e.code);
        throw e;
      }
    });
  }

  private async doRestore(
    kind: ComponentKind<unknown>,
    instance: string,
    key: string,
    peer: string | undefined,
  ): Promise<Entry<unknown>> {
    const type = COMPONENT_TYPE[kind.category];
    let saved;
    try {
      saved = await this.saved.load(kind.category, instance);
    } catch (e) {
      throw errors.instanceRestoreFailed(type, instance, "the saved metadata file could not be read", e);
    }
    if (!saved) throw errors.instanceUnknown(type, instance);
    const missing = saved.omittedKeys.filter((k) => saved.credentials?.[k] === undefined);
    if (missing.length > 0) {
      throw errors.instanceRestoreFailed(
        type,
        instance,
        this.saved.savesCredentials
          ? `metadata ${missing.join(", ")} holds credentials that were not saved (its Init came before KEYLESS_SAVE_CREDENTIALS was set); restart daprd so it sends Init again`
          : `metadata ${missing.join(", ")} holds credentials and is never saved to disk; ` +
              "set KEYLESS_SAVE_CREDENTIALS=true to keep them in a private file keyless restores from, or restart daprd so it sends Init again",
      );
    }
    let impl: unknown;
    try {
      impl = await kind.build(
        { ...saved.properties, ...saved.credentials },
        this.buildContext(kind, instance),
      );
    } catch (e) {
      throw errors.instanceRestoreFailed(
        type,
        instance,
        isKeylessError(e) ? e.message : "building it failed",
        e,
      );
    }
    const existing = this.entries.get(key);
    if (existing) {
      // An Init arrived while we were restoring; it wins.
      await kind.close(impl);
      return existing;
    }
    const entry = new Entry(impl, kind.close, this.log);
    this.entries.set(key, entry);
    // An Init would have set an owner (and won above); the connection that needed the instance owns it now.
    if (!this.owners.has(key)) this.setOwner(key, saved.properties, peer);
    this.ctx.metrics?.instanceRestored(kind.category);
    this.log.info(
      { instance, category: kind.category, savedAt: saved.savedAt },
      "restored instance from saved Init metadata",
    );
    return entry;
  }
}

/** Names (never values) of the keys whose values differ between two metadata sets. */
function differingKeys(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]).sort();
}
