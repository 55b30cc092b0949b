import fs from 'node:fs'
const out = process.env.COUNT_OUT
export async function load(url, context, next) {
  fs.appendFileSync(out, url + '\n')
  return next(url, context)
}
