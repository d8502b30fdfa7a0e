/**
 * Resolves a component's secretKeyRefs through the keyless secret stores defined in the same YAMLs, as
 * daprd would before Init, with one check per reference. Each store is built once, from its own YAML, and
 * closed when the doctor is done.
 */
import { isKeylessError } from "../errors/keylessError.js";
import { secretStoreKind } from "../secrets/component.js";
import type { SecretStore } from "../secrets/store.js";
import type { DoctorContext } from "./doctorContext.js";
import { fixOf } from "./failureFacts.js";
import type { ComponentDoc, MetadataItem } from "./loadComponents.js";
import type { Check } from "./report.js";

export const SECRET_TYPE = "secretstores.keyless";

/** The metadata given as plain values (secret stores take literal values only). */
export function literalProps(c: ComponentDoc): Record<string, string> {
  const props: Record<string, string> = {};
  for (const m of c.metadata) if (m.value !== undefined) props[m.name] = m.value;
  return props;
}

export class SecretRefs {
  private readonly byName: Map<string, ComponentDoc>;
  private readonly stores = new Map<string, Promise<SecretStore>>();

  constructor(
    components: readonly ComponentDoc[],
    private readonly doctor: DoctorContext,
  ) {
    this.byName = new Map(components.map((c) => [c.name, c]));
  }

  /** The component's metadata with each resolvable reference filled in, and one check per reference. */
  async resolve(c: ComponentDoc): Promise<{ props: Record<string, string>; checks: Check[] }> {
    const props = literalProps(c);
    const checks: Check[] = [];
    for (const m of c.metadata) {
      const check = await this.refCheck(c, m, props);
      if (check) checks.push(check);
    }
    return { props, checks };
  }

  async close(): Promise<void> {
    for (const p of this.stores.values()) await p.then((s) => s.close()).catch(() => undefined);
  }

  /** Fills `props[m.name]` when the reference resolves. */
  private async refCheck(c: ComponentDoc, m: MetadataItem, props: Record<string, string>) {
    if (m.inlineSecretRef) {
      return skip(
        `metadata ${m.name}`,
        `comes from the component's own secret "${m.inlineSecretRef}", resolved by Container Apps`,
      );
    }
    const ref = m.secretKeyRef;
    if (!ref) return undefined;
    const name = `secret for metadata ${m.name}`;
    const storeName = c.secretStore;
    if (!storeName) {
      return fail(
        name,
        `uses secretKeyRef "${ref.name}" but names no secret store`,
        "add auth: { secretStore: <name> } to the component (standalone daprd has no default secret store)",
      );
    }
    const store = this.storeFor(storeName);
    if (!store)
      return skip(name, `secret store "${storeName}" is not a ${SECRET_TYPE} component in these files`);
    try {
      const data = await (await store).get(ref.name);
      const v = data[ref.key] ?? data[ref.name];
      if (v === undefined || v === "") {
        return fail(
          name,
          `secret "${ref.name}" in "${storeName}" has no key "${ref.key}"`,
          `fix secretKeyRef.key in ${c.file}`,
        );
      }
      props[m.name] = v;
      return {
        name,
        status: "ok",
        detail: `secret "${ref.name}" resolves through "${storeName}"`,
      } satisfies Check;
    } catch (e) {
      const missing = isKeylessError(e) && e.code === "SECRET_NOT_FOUND";
      return fail(
        name,
        isKeylessError(e) ? e.message : "the secret store could not be built",
        missing
          ? `${fixOf(e) ?? "create the secret"} or fix secretKeyRef.name in ${c.file}`
          : `fix secret store "${storeName}" first (see its checks)`,
      );
    }
  }

  /** The keyless secret store of that name, built once; undefined when these files define none. */
  private storeFor(name: string): Promise<SecretStore> | undefined {
    const doc = this.byName.get(name);
    if (!doc || doc.type !== SECRET_TYPE) return undefined;
    let p = this.stores.get(name);
    if (!p) {
      // Without the rotationQueue fields: the doctor must not start a reader that would take events from
      // the running keyless (each queue is checked with a peek instead).
      const props = Object.fromEntries(
        Object.entries(literalProps(doc)).filter(([k]) => !k.toLowerCase().startsWith("rotationqueue")),
      );
      p = secretStoreKind.build(props, this.doctor.buildContext(name));
      p.catch(() => undefined);
      this.stores.set(name, p);
    }
    return p;
  }
}

function skip(name: string, detail: string): Check {
  return { name, status: "skip", detail };
}

function fail(name: string, detail: string, fix: string): Check {
  return { name, status: "fail", detail, fix };
}
