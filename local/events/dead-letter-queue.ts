import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A function's dead-letter queue in the twin, as SQS keeps one: each message stays until it is
 * deleted or its retention runs out (the stack's queues keep messages DEAD_LETTER_RETENTION_DAYS).
 * In memory by default; with a directory (`--data-dir`), each message is one file
 * (`<sent time>-<message id>.json`, written whole and renamed, so a crash never leaves half a
 * message under its name), and a restart finds the messages a crash or a stop left.
 */

export interface DeadLetterMessage<T> {
  messageId: string;
  /** When the message was sent to the queue (ISO 8601). */
  sentAt: string;
  body: T;
}

export interface DeadLetterQueueOptions {
  /** Days a message is kept. */
  retentionDays: number;
  /** Keep messages here across restarts. @default in memory */
  directory?: string;
  now?: () => Date;
}

export class DeadLetterQueue<T> {
  private readonly messages = new Map<string, DeadLetterMessage<T>>();
  private readonly now: () => Date;
  /** Files that could not be read at start (a write cut off before its rename leaves only a `.tmp`). */
  readonly discarded: string[] = [];

  constructor(private readonly options: DeadLetterQueueOptions) {
    this.now = options.now ?? (() => new Date());
    if (options.directory === undefined) return;
    mkdirSync(options.directory, { recursive: true });
    for (const entry of readdirSync(options.directory).sort()) {
      const path = join(options.directory, entry);
      let message: Partial<DeadLetterMessage<T>> | undefined;
      try {
        message = entry.endsWith('.json')
          ? (JSON.parse(readFileSync(path, 'utf8')) as Partial<DeadLetterMessage<T>>)
          : undefined;
      } catch {
        message = undefined;
      }
      if (
        message !== undefined &&
        typeof message.messageId === 'string' &&
        typeof message.sentAt === 'string' &&
        message.body !== undefined
      ) {
        this.messages.set(message.messageId, message as DeadLetterMessage<T>);
      } else {
        rmSync(path, { force: true });
        this.discarded.push(entry);
      }
    }
  }

  private file(message: DeadLetterMessage<T>): string | undefined {
    if (this.options.directory === undefined) return undefined;
    return join(this.options.directory, `${message.sentAt.replace(/[:.]/g, '-')}-${message.messageId}.json`);
  }

  send(body: T): DeadLetterMessage<T> {
    const message: DeadLetterMessage<T> = { messageId: randomUUID(), sentAt: this.now().toISOString(), body };
    const file = this.file(message);
    if (file !== undefined) {
      writeFileSync(`${file}.tmp`, JSON.stringify(message));
      renameSync(`${file}.tmp`, file);
    }
    this.messages.set(message.messageId, message);
    return message;
  }

  /** The messages still kept, oldest first; those past their retention are removed, as SQS removes them. */
  list(): DeadLetterMessage<T>[] {
    const oldest = this.now().getTime() - this.options.retentionDays * 86_400_000;
    for (const message of [...this.messages.values()])
      if (Date.parse(message.sentAt) < oldest) this.delete(message.messageId);
    return [...this.messages.values()].sort((a, b) => (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : 0));
  }

  delete(messageId: string): void {
    const message = this.messages.get(messageId);
    if (message === undefined) return;
    const file = this.file(message);
    if (file !== undefined) rmSync(file, { force: true });
    this.messages.delete(messageId);
  }
}
