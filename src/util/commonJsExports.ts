/**
 * The exports of a CommonJS package loaded with `import()`. Node's loader gives them as named exports and
 * as the default export; the bundle (scripts/bundle.mjs) gives only the default export; some loaders (tsx)
 * only the named ones. Taking the default when there is one works in all three.
 */
export function commonJsExports<T extends object>(ns: T & { default?: T }): T {
  return ns.default ?? ns;
}
