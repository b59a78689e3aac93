import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('log redaction', () => {
  it('never writes tokens, keys, authorization headers or agent upgrade credentials', () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream });
    const secrets = ['tok-SECRET-1', 'Bearer SECRET-2', 'SECRET-3-nonce', 'SECRET-4-signature', 'SECRET-5-key', 'SECRET-6-enroll', 'SECRET-7-nonce'];
    log.info({ token: secrets[0], headers: { authorization: secrets[1], 'x-rampart-nonce': secrets[2], 'x-rampart-signature': secrets[3] } }, 'request');
    log.info({ req: { headers: { authorization: secrets[1], 'x-rampart-nonce': secrets[2], 'x-rampart-signature': secrets[3] } } }, 'upgrade');
    log.info({ privateKey: secrets[4], body: { enrollToken: secrets[5], token: secrets[0] }, challenge: { nonce: secrets[6] } }, 'misc');
    const text = lines.join('');
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).toContain('[redacted]');
  });
});
