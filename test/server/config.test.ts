import { describe, expect, it } from 'vitest';
import { envName, loadServerConfig } from '../../server/config.js';

describe('collector configuration', () => {
  it('takes defaults, then RAMPART_* variables, then flags', () => {
    expect(loadServerConfig({}, {})).toMatchObject({ port: 8420, host: '127.0.0.1', window: 8, maxFrameBytes: 1048576 });
    expect(loadServerConfig({}, { RAMPART_PORT: '9000', RAMPART_MAX_FRAME_BYTES: '2048' })).toMatchObject({ port: 9000, maxFrameBytes: 2048 });
    expect(loadServerConfig({ port: '9100' }, { RAMPART_PORT: '9000' }).port).toBe(9100);
  });

  it('resolves the data directory and freezes the result', () => {
    const config = loadServerConfig({ dataDir: 'rel/dir' }, {});
    expect(config.dataDir.startsWith('/')).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every invalid setting at once with ERR_CONFIG_INVALID', () => {
    let caught: unknown;
    try {
      loadServerConfig({ port: 'x' }, { RAMPART_WINDOW: '0', RAMPART_LOG_LEVEL: 'loud' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    const message = (caught as Error).message;
    expect(message).toContain('RAMPART_PORT');
    expect(message).toContain('RAMPART_WINDOW');
    expect(message).toContain('RAMPART_LOG_LEVEL');
  });

  it('names variables after the settings', () => {
    expect(envName('dataDir')).toBe('RAMPART_DATA_DIR');
    expect(envName('revocationPollMs')).toBe('RAMPART_REVOCATION_POLL_MS');
  });
});
