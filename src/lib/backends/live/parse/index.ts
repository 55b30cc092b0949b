/** One parser per command output (text in, facts out), tested against outputs recorded from real commands (test/fixtures/ovs). */
export * from './bond-show.js'
export * from './dpif-show.js'
export * from './dump-flows.js'
export * from './ip-link.js'
export * from './lacp-show.js'
export * from './ofproto-trace.js'
export * from './ovsdb.js'
