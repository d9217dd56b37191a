import { MessageResource } from '@assay/contracts';
import { toMessageResource } from '@assay/db';
import { Router } from 'express';
import { tenantOf } from '../auth';
import { sendValid } from '../validate';

/** `/v1/messages/:messageId`: one message with its status, cells and artifacts (to poll a message's progress). */
export function messageRoutes(): Router {
  const router = Router();

  router.get('/:messageId', async (req, res) => {
    const message = await tenantOf(res).messages.getWithRelations(req.params.messageId);
    sendValid(res, MessageResource, toMessageResource(message));
  });

  return router;
}
