/**
 * The process-wide registry of initialised component instances, keyed by (category, instance name).
 *
 * - An instance is stored only after Init built it; a repeated Init (daprd hot reload) replaces it, and the
 *   old one is closed once its in-flight calls finish.
 * - daprd never re-sends Init after keyless restarts, so a call for an unknown name restores the instance
 *   from its saved non-secret metadata (once, even under concurrent calls), or fails naming the fix.
 */
import { errors } from "../errors/catalog.js";
import { isKeylessError } from "../errors/keylessError.js";
import type { BuildContext, ComponentKind, KindContext } from "../components/kind.js";
import type { SavedInitStore } from "../persistence/savedInit.js";
import { errorField, type Logger } from "../observability/logger.js";
import { SingleFlight } from "../util/singleFlight.js";
import { redactMetadata } from "../observability/redact.js";

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

  release(): void {
    this.inFlight--;
    if (this.retired && this.inFlight === 0) this.close();
  }

  private close(): void {
    this.closeImpl(this.impl).catch((e: unknown) =>
      this.log.warn({ err: errorField(e) }, "closing a replaced instance failed"),
    );
  }
}

const COMPONENT_TYPE = { state: "state.keyless", secretstores: "secretstores.keyless" } as const;

export class InstanceRegistry {
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly restoring = new SingleFlight<string, Entry<unknown>>();
  private readonly log: Logger;

  constructor(
    private readonly saved: SavedInitStore,
    private readonly ctx: KindContext,
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
    };
  }

  /** Builds the instance from Init metadata, saves the non-secret part, and makes it current. */
  async init<T>(kind: ComponentKind<T>, instance: string, props: Record<string, string>): Promise<void> {
    const impl = await kind.build(props, this.buildContext(kind as ComponentKind<unknown>, instance));
    try {
      await this.saved.save(kind.category, instance, props, kind.secretKeys);
    } catch (e) {
      // Serving matters more than surviving our own restart; say so and carry on.
      this.log.warn(
        { instance, err: errorField(e) },
        "could not save Init metadata; after a keyless restart this instance needs a sidecar restart",
      );
    }
    this.put(kind, instance, new Entry(impl, kind.close, this.log) as Entry<unknown>);
    // Only allow-listed metadata values are shown; credentials and unknown keys appear as [redacted].
    this.log.info(
      { instance, category: kind.category, metadata: redactMetadata(props) },
      "instance initialised",
    );
  }

  /** Runs `fn` with the current instance, restoring it from saved metadata if this process never saw Init. */
  async use<T, R>(kind: ComponentKind<T>, instance: string, fn: (impl: T) => Promise<R> | R): Promise<R> {
    const key = `${kind.category}/${instance}`;
    const entry =
      this.entries.get(key) ?? (await this.restore(kind as ComponentKind<unknown>, instance, key));
    entry.inFlight++;
    try {
      return await fn(entry.impl as T);
    } finally {
      entry.release();
    }
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
    const key = `${kind.category}/${instance}`;
    const old = this.entries.get(key);
    this.entries.set(key, entry);
    old?.retire();
  }

  private restore(kind: ComponentKind<unknown>, instance: string, key: string): Promise<Entry<unknown>> {
    return this.restoring.run(key, () => this.doRestore(kind, instance, key));
  }

  private async doRestore(
    kind: ComponentKind<unknown>,
    instance: string,
    key: string,
  ): Promise<Entry<unknown>> {
    const type = COMPONENT_TYPE[kind.category];
    let saved;
    try {
      saved = await this.saved.load(kind.category, instance);
    } catch (e) {
      throw errors.instanceRestoreFailed(type, instance, "the saved metadata file could not be read", e);
    }
    if (!saved) throw errors.instanceUnknown(type, instance);
    if (saved.omittedKeys.length > 0) {
      throw errors.instanceRestoreFailed(
        type,
        instance,
        `metadata ${saved.omittedKeys.join(", ")} holds credentials and is never saved to disk`,
      );
    }
    let impl: unknown;
    try {
      impl = await kind.build(saved.properties, this.buildContext(kind, instance));
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
    this.log.info(
      { instance, category: kind.category, savedAt: saved.savedAt },
      "restored instance from saved Init metadata",
    );
    return entry;
  }
}
