process.on('exit', () => {
  const k = Object.keys(require.cache)
  require('fs').writeSync(
    2,
    `cjs modules: ${k.length} (yaml: ${k.filter(f => f.includes('/node_modules/yaml/')).length}, zod: ${k.filter(f => f.includes('/node_modules/zod/')).length})\n`,
  )
})
