import { toChatResource } from '@assay/db';
import { Router } from 'express';
import { tenantOf } from '../auth';
import { chatToNotebook } from '../notebook-export';

/**
 * `GET /v1/chats/:chatId/notebook.ipynb`: the chat as a Jupyter notebook (nbformat 4.5) to
 * download, re-runnable with the chat's data files under /mnt/data (see {@link chatToNotebook}).
 */
export function notebookExportRoutes(): Router {
  const router = Router({ mergeParams: true });

  router.get('/notebook.ipynb', async (req, res) => {
    const tenant = tenantOf(res);
    const chatId = (req.params as Record<string, string | undefined>).chatId ?? '';
    const chat = toChatResource(await tenant.chats.getNotebook(chatId));
    const files = (await tenant.messages.chatFilesUpTo(chatId)).map(({ file, workspaceName }) => ({
      name: workspaceName,
      sizeBytes: Number(file.sizeBytes),
      sha256: file.sha256,
    }));
    const notebook = chatToNotebook(chat, files, new Date());
    res.setHeader('Content-Type', 'application/x-ipynb+json');
    res.setHeader('Content-Disposition', `attachment; filename="${downloadName(chat.title, chat.id)}"`);
    res.send(`${JSON.stringify(notebook, null, 1)}\n`);
  });

  return router;
}

/** A safe file name for the download: the chat's title in plain characters, else its id. */
function downloadName(title: string | null, chatId: string): string {
  const plain = (title ?? '').normalize('NFKD').replace(/[^A-Za-z0-9 ._-]/g, '').trim().replace(/\s+/g, '-').slice(0, 80);
  return `${plain === '' ? `chat-${chatId}` : plain}.ipynb`;
}
