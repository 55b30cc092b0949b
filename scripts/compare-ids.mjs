// The order of String#localeCompare (ICU root collation) without ICU, for command ids: scripts/bundle.mjs puts it in
// place of @oclif/core's `a.id.localeCompare(b.id)`, whose first call builds ICU's collator locale set on every start.
// For ids made of a-z, ':' and '-' the root order is the code-unit order (- < : < a-z; test/bundle.test.ts checks it
// against localeCompare); any other id is compared with localeCompare itself.
export function compareIds(a, b) {
  const plain = /^[a-z:-]*$/
  if (!plain.test(a) || !plain.test(b)) return a.localeCompare(b)
  return a < b ? -1 : a > b ? 1 : 0
}
