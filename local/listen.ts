import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPBACK } from './settings';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on loopback (port 0 = a free port). A taken port rejects instead of crashing the
 * process; close() also drops keep-alive sockets (the SDK clients' would hold it open).
 */
export async function listenOnLoopback(server: Server, port: number): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
