import { z } from 'zod';

/**
 * A status message the Jupyter server itself writes on a kernel WebSocket (not one the kernel
 * sent): `restarting` when its restarter found the kernel process dead and starts a new one,
 * `dead` when it gave up restarting it. Both mean the kernel the connection belonged to is gone.
 * They are not kernel protocol states, so the protocol catalog does not list them.
 *
 * @see jupyter_server/services/kernels/handlers.py `ZMQChannelsHandler._send_status_message`
 */
export const ServerKernelStatus = z.object({
  channel: z.literal('iopub'),
  header: z.object({ msg_type: z.literal('status') }),
  content: z.object({ execution_state: z.enum(['restarting', 'dead']) }),
});
export type ServerKernelStatus = z.infer<typeof ServerKernelStatus>;

/** What the server reported about the kernel. */
export type ServerKernelState = ServerKernelStatus['content']['execution_state'];
