import { AssayError, ErrorCode } from '@assay/errors';
import type { SessionRegistry } from '@assay/events';
import type { Logger } from '@assay/logger';
import type { Sandbox } from '@assay/sandbox';
import type { ChatInputFile, SandboxSlot, SandboxSlots } from './sandbox-slots';
import type { WarmPool } from './warm-pool';

export type { ChatInputFile } from './sandbox-slots';

/** How long a new session waits for a kernel to become idle when every kernel is in use. */
const ROOM_WAIT_MS = 120_000;

/** Options of {@link KernelSessions}. */
export interface KernelSessionsOptions {
  slots: SandboxSlots;
  /** Kernels started ahead of need; a chat takes one when its session starts. */
  pool: WarmPool;
  /** Idle time after which a chat's kernel is shut down. */
  idleTtlMs: number;
  /**
   * Chat kernels this executor holds at most (the warm pool's come on top). A new chat past it
   * frees the least recently used idle kernel: that chat's state is rebuilt when it is next used.
   */
  maxSessions: number;
  /** Where this executor announces the chats it holds (the gateway counts them per tenant). */
  registry: SessionRegistry;
  /** This executor replica's id in the registry. */
  executorId: string;
  logger: Logger;
}

/** The kernel of one chat and its workspace. */
export interface ChatSession {
  readonly tenantId: string;
  readonly chatId: string;
  readonly slot: SandboxSlot;
  readonly sandbox: Sandbox;
  lastUsedAt: number;
  /**
   * The kernel generation (`Sandbox.kernelGeneration`) whose variables reflect the chat's
   * notebook; undefined until the session has been brought up to date (a new kernel).
   */
  upToDateGeneration: number | undefined;
  /** Set when the kernel ended by itself: its variables are gone even if the sandbox restarts it. */
  stateLost: boolean;
  /** Jobs using the session now (see `KernelSessions.acquire`/`done`); a used session is never evicted. */
  leases: number;
}

/**
 * Whether the session's kernel may lack variables the chat's earlier cells created: it is new,
 * it died, or the sandbox replaced it (after a crash or an unresponsive timeout).
 */
export function needsRestore(session: ChatSession): boolean {
  if (session.stateLost || session.upToDateGeneration === undefined) return true;
  const generation = session.sandbox.kernelGeneration;
  return generation !== undefined && generation !== session.upToDateGeneration;
}

/** Records that the session's current kernel holds the chat's state. */
export function markUpToDate(session: ChatSession): void {
  session.stateLost = false;
  session.upToDateGeneration = session.sandbox.kernelGeneration ?? 0;
}

/**
 * One kernel per chat, kept alive between messages so variables persist, shut down after an idle
 * period. A new session takes a kernel from the warm pool when one is ready. Input files reach
 * the kernel through its slot's workspace (see `SlotWorkspace`), whatever the backend.
 */
export class KernelSessions {
  private readonly sessions = new Map<string, ChatSession>();
  private readonly starting = new Map<string, Promise<ChatSession>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: KernelSessionsOptions) {
    this.sweeper = setInterval(() => void this.closeIdle(), Math.min(60_000, options.idleTtlMs));
    this.sweeper.unref();
  }

  /**
   * The chat's running session, or a new one (a fresh kernel: earlier variables are gone), leased
   * to the caller until it calls {@link KernelSessions.done}.
   */
  async acquire(tenantId: string, chatId: string): Promise<ChatSession> {
    const session = await this.sessionFor(tenantId, chatId);
    session.leases += 1;
    session.lastUsedAt = Date.now();
    this.announce(session);
    return session;
  }

  /** Ends a lease taken with {@link KernelSessions.acquire}. */
  done(session: ChatSession): void {
    session.leases = Math.max(0, session.leases - 1);
    session.lastUsedAt = Date.now();
  }

  private async sessionFor(tenantId: string, chatId: string): Promise<ChatSession> {
    const existing = this.sessions.get(chatId);
    if (existing?.sandbox.isAlive) return existing;
    if (existing) await this.release(chatId);
    let starting = this.starting.get(chatId);
    if (!starting) {
      starting = this.start(tenantId, chatId).finally(() => this.starting.delete(chatId));
      this.starting.set(chatId, starting);
    }
    return starting;
  }

  /**
   * Tells the registry (best effort: it only feeds the per-tenant limit and routing) that this
   * executor holds the chat, and, for sandboxes any replica can reach, which sandbox it is.
   */
  private announce(session: ChatSession): void {
    this.options.registry.record(session.tenantId, session.chatId, this.options.executorId).catch((error: unknown) => {
      this.options.logger.warn({ err: error, chatId: session.chatId }, 'could not record the session in the registry');
    });
    if (this.options.slots.reconnectable) {
      // Each use pushes the sandbox's lifetime (the idle TTL) forward; so does this record.
      this.options.registry.rememberSandbox(session.tenantId, session.chatId, session.sandbox.id, this.options.idleTtlMs).catch((error: unknown) => {
        this.options.logger.warn({ err: error, chatId: session.chatId }, "could not record the chat's sandbox id");
      });
    }
  }

  /**
   * The chat's earlier sandbox, if the backend's sandboxes outlive their executor (E2B) and the
   * registry remembers one that still runs; undefined otherwise (then a new one is started).
   */
  private async reconnect(tenantId: string, chatId: string, logger: Logger): Promise<{ slot: SandboxSlot; resumed: boolean } | undefined> {
    if (!this.options.slots.reconnectable) return undefined;
    const sandboxId = await this.options.registry.sandboxOf(tenantId, chatId).catch((error: unknown) => {
      logger.warn({ err: error }, "could not read the chat's sandbox id; starting a new sandbox");
      return undefined;
    });
    if (sandboxId === undefined) return undefined;
    try {
      const reconnected = await this.options.slots.reconnect(sandboxId, logger);
      logger.info({ sandboxId, resumed: reconnected.resumed }, "reconnected to the chat's sandbox");
      return reconnected;
    } catch (error) {
      logger.warn({ err: error, sandboxId }, "the chat's sandbox is gone; starting a new one");
      await this.options.registry.forgetSandbox(tenantId, chatId, sandboxId).catch(() => undefined);
      return undefined;
    }
  }

  /**
   * Frees the least recently used idle kernel when this executor is at its limit. When every
   * kernel is in use, waits (up to {@link ROOM_WAIT_MS}) for one to become idle.
   */
  private async makeRoom(): Promise<void> {
    const deadline = Date.now() + ROOM_WAIT_MS;
    while (this.sessions.size >= this.options.maxSessions) {
      const idle = [...this.sessions.values()].filter((session) => session.leases === 0).sort((a, b) => a.lastUsedAt - b.lastUsedAt);
      const victim = idle[0];
      if (victim !== undefined) {
        this.options.logger.info(
          { tenantId: victim.tenantId, chatId: victim.chatId, sessions: this.sessions.size },
          'at the kernel limit: freeing the least recently used idle kernel',
        );
        await this.release(victim.chatId);
        continue;
      }
      if (Date.now() > deadline) {
        throw new AssayError(
          ErrorCode.SANDBOX_UNAVAILABLE,
          `This executor holds ${this.sessions.size} kernels, all busy for over ${ROOM_WAIT_MS / 1000} s (the limit is ${this.options.maxSessions}); try again shortly.`,
          { retryable: true },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * Makes the files readable in the chat's sandbox as /mnt/data/<name>, `name` being the file's
   * workspace name (unique within the chat, see `assignWorkspaceNames`). Each upload keeps its
   * own read-only input, by file id.
   */
  async provideFiles(session: ChatSession, files: readonly ChatInputFile[]): Promise<void> {
    await session.slot.workspace.provideFiles(files);
  }

  /** The chat's session if this executor holds one (alive or not), without starting anything. */
  peek(chatId: string): ChatSession | undefined {
    return this.sessions.get(chatId);
  }

  /** Number of live kernels. */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * Lets go of every kernel, the warm pool's included (executor shutdown): local kernels are shut
   * down, remote sandboxes that outlive the process (E2B) are detached (see `SandboxSlots.detach`).
   */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.starting.values()].map((starting) => starting.catch(() => undefined)));
    await Promise.all([...this.sessions.keys()].map((chatId) => this.release(chatId, 'detach')));
    await this.options.pool.close();
  }

  private async start(tenantId: string, chatId: string): Promise<ChatSession> {
    await this.makeRoom();
    const logger = this.options.logger.child({ tenantId, chatId });
    const reconnected = await this.reconnect(tenantId, chatId, logger);
    const pooled = reconnected === undefined ? this.options.pool.take() : undefined;
    const slot = reconnected?.slot ?? pooled ?? (await this.options.slots.open(logger));
    const { sandbox } = slot;
    const session: ChatSession = {
      tenantId,
      chatId,
      slot,
      sandbox,
      lastUsedAt: Date.now(),
      upToDateGeneration: undefined,
      stateLost: false,
      leases: 0,
    };
    sandbox.on('exit', (exit) => {
      session.stateLost = true;
      logger.warn({ ...exit, sandboxId: sandbox.id }, 'kernel exited on its own');
    });
    // A sandbox that kept its kernel has the chat's variables: no replay needed.
    if (reconnected?.resumed === true) markUpToDate(session);
    this.sessions.set(chatId, session);
    if (reconnected === undefined) {
      logger.info({ sandboxId: sandbox.id, warm: pooled !== undefined }, pooled ? 'kernel taken from the warm pool' : 'kernel started');
    }
    return session;
  }

  private async release(chatId: string, how: 'close' | 'detach' = 'close'): Promise<void> {
    const session = this.sessions.get(chatId);
    if (!session) return;
    this.sessions.delete(chatId);
    await (how === 'close' ? this.options.slots.close(session.slot) : this.options.slots.detach(session.slot));
    if (how === 'close' && this.options.slots.reconnectable) {
      await this.options.registry.forgetSandbox(session.tenantId, chatId, session.sandbox.id).catch(() => undefined);
    }
    await this.options.registry.remove(session.tenantId, chatId, this.options.executorId).catch((error: unknown) => {
      this.options.logger.warn({ err: error, chatId }, 'could not remove the session from the registry');
    });
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.options.idleTtlMs;
    for (const [chatId, session] of this.sessions) {
      if (session.lastUsedAt < cutoff && session.leases === 0) {
        this.options.logger.info({ chatId }, 'closing idle kernel');
        await this.release(chatId);
      }
    }
  }
}
