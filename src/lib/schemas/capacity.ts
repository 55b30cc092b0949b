import {z} from 'zod'

import {doc} from './model.js'

const status = z.enum(['ok', 'warn', 'full', 'unknown'])
const tableUse = z.object({
  table: z.enum(['macs', 'hostTable', 'vnis', 'vrfs']),
  used: z.number().int(),
  limit: z.number().int().nullable().describe('null: no figure for this table (see the leaf\'s reason or the class source)'),
  percent: z.number().nullable(),
  status,
})

export const capacitySchemas = {
  LeafCapacity: doc('LeafCapacity', {
    context: z.string(),
    limitsFile: z.string().nullable(),
    leaves: z.array(
      z.object({
        leaf: z.string(),
        model: z
          .object({name: z.string().nullable(), source: z.string().nullable(), reason: z.string().nullable()})
          .describe('the hardware model as the leaf reported it (ONIE machine.conf, DMI); read only when the limits file maps models'),
        class: z.string().nullable(),
        reason: z.string().nullable().describe('why no limits apply, when class is null'),
        counts: z.object({
          macs: z.number().int(),
          neighbors: z.number().int(),
          hostRoutes: z.number().int(),
          vnis: z.number().int(),
          vrfs: z.number().int(),
        }),
        tables: z.array(tableUse),
        status,
        placementUnknown: z
          .array(z.object({host: z.string(), reason: z.string()}))
          .describe("hosts cabled to this leaf whose bond placement could not be read: their ports are counted local on each of their leaves"),
      }),
    ),
    totals: z.object({leaves: z.number().int(), ok: z.number().int(), warn: z.number().int(), full: z.number().int(), unknown: z.number().int()}),
  }),
}
