import {z} from 'zod'

/** Present when SIGINT/SIGTERM stopped the command early (exit 130): what was not done. The document lists what was. */
export const interrupted = z.object({
  signal: z.string(),
  notStarted: z.array(z.string()).describe('units (leaves, hosts) never started; everything listed elsewhere in the document was finished'),
  note: z.string(),
}).optional().describe('set when a signal stopped the command early (exit 130)')
