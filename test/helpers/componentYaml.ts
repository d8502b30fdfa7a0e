/** Dapr component YAML for tests and benchmarks: literal values, or secretKeyRef into a secret store. */
export type MetadataValue = string | { secretKeyRef: string; key?: string };

export function componentYaml(
  name: string,
  type: string,
  meta: Record<string, MetadataValue> | [string, MetadataValue][],
  /** ignoreErrors: daprd keeps running when this component fails Init (tests of Init failures). */
  opts: { secretStore?: string; ignoreErrors?: boolean } = {},
): string {
  const entries = Array.isArray(meta) ? meta : Object.entries(meta);
  return [
    "apiVersion: dapr.io/v1alpha1",
    "kind: Component",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    `  type: ${type}`,
    "  version: v1",
    ...(opts.ignoreErrors ? ["  ignoreErrors: true"] : []),
    "  metadata:",
    ...entries.flatMap(([k, v]) =>
      typeof v === "string"
        ? [`    - name: ${k}`, `      value: ${JSON.stringify(v)}`]
        : [
            `    - name: ${k}`,
            "      secretKeyRef:",
            `        name: ${v.secretKeyRef}`,
            `        key: ${v.key ?? v.secretKeyRef}`,
          ],
    ),
    ...(opts.secretStore ? ["auth:", `  secretStore: ${opts.secretStore}`] : []),
  ].join("\n");
}
