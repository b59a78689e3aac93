import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors.js';
import { defaultStateDir, loadAgentConfig } from '../../../agent/daemon/config.js';

describe('agent configuration', () => {
  it('has the documented defaults and is frozen', () => {
    const c = loadAgentConfig({ stateDir: '/tmp/x' }, {});
    expect(c).toMatchObject({
      stateDir: '/tmp/x',
      serverUrls: [],
      schedule: '0 * * * *',
      jitterSeconds: 600,
      outboxMaxFrames: 10_000,
      outboxMaxBytes: 64 * 1024 * 1024,
      backoffBaseMs: 1000,
      backoffCapMs: 300_000,
      digestIntervalSeconds: 21_600,
      logLevel: 'info',
      packs: [],
      onceTimeoutSeconds: 300,
      scanMemoryMb: 256,
      scanCpuSeconds: 30,
      scanTimeoutSeconds: 300,
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.serverUrls)).toBe(true);
  });

  it('puts the state dir in /var/lib/rampart-agent for root and under the working directory otherwise', () => {
    expect(defaultStateDir(true, '/home/u')).toBe('/var/lib/rampart-agent');
    expect(defaultStateDir(false, '/home/u')).toBe('/home/u/.rampart/agent');
  });

  it('takes flags over RAMPART_AGENT_* over RAMPART_* variables', () => {
    const env = { RAMPART_SCHEDULE: '*/5 * * * *', RAMPART_AGENT_SCHEDULE: '*/10 * * * *', RAMPART_SERVER: 'http://a:1, http://b:2/', RAMPART_BACKOFF_CAP_MS: '2000', RAMPART_PACKS: 'a.yaml,b.yaml' };
    const fromEnv = loadAgentConfig({ stateDir: '/s' }, env);
    expect(fromEnv.schedule).toBe('*/10 * * * *');
    expect(fromEnv.serverUrls).toEqual(['http://a:1', 'http://b:2']);
    expect(fromEnv.backoffCapMs).toBe(2000);
    expect(fromEnv.packs).toEqual(['a.yaml', 'b.yaml']);
    const fromFlags = loadAgentConfig({ stateDir: '/s', schedule: '0 3 * * *', server: ['https://c:3'] }, env);
    expect(fromFlags.schedule).toBe('0 3 * * *');
    expect(fromFlags.serverUrls).toEqual(['https://c:3']);
  });

  it('reports every invalid setting at once with ERR_CONFIG_INVALID', () => {
    try {
      loadAgentConfig({ stateDir: '/s', schedule: 'every hour', server: ['ftp://x'] }, { RAMPART_JITTER_SECONDS: '-1', RAMPART_LOG_LEVEL: 'loud', RAMPART_OUTBOX_MAX_FRAMES: 'many' });
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && err.code).toBe('ERR_CONFIG_INVALID');
      const msg = (err as Error).message;
      for (const key of ['schedule', 'serverUrls', 'jitterSeconds', 'logLevel', 'outboxMaxFrames']) expect(msg).toContain(key);
    }
  });

  it('validates the schedule with the parser the scheduler runs (croner), saying what to write', () => {
    for (const schedule of ['*/15 * * * * *', '0 3 * * MON-FRI', '0 0 1 JAN,JUL *', '@daily', '0 22-2 * * *', '0 0 L * *']) {
      expect(loadAgentConfig({ stateDir: '/s', schedule }, {}).schedule).toBe(schedule);
    }
    for (const schedule of ['every hour', '0 0 30 2 *', '0 0 0 1 1 * 2030', '2030-01-01T00:00']) {
      try {
        loadAgentConfig({ stateDir: '/s' }, { RAMPART_SCHEDULE: schedule });
        expect.unreachable();
      } catch (err) {
        expect(isAppError(err) && err.code).toBe('ERR_CONFIG_INVALID');
        expect((err as Error).message).toMatch(/schedule: .*write 5 fields \(minute hour day-of-month month day-of-week\) or 6 with seconds first, e\.g\. "0 \* \* \* \*"/);
      }
    }
  });

  it('takes the scan watchdog limits from flags or RAMPART_SCAN_* and refuses ones no scan could meet', () => {
    const c = loadAgentConfig({ stateDir: '/s', scanCpuSeconds: '2.5' }, { RAMPART_SCAN_MEMORY_MB: '512', RAMPART_AGENT_SCAN_TIMEOUT_SECONDS: '60' });
    expect(c).toMatchObject({ scanMemoryMb: 512, scanCpuSeconds: 2.5, scanTimeoutSeconds: 60 });
    try {
      loadAgentConfig({ stateDir: '/s', scanMemoryMb: '16' }, { RAMPART_SCAN_CPU_SECONDS: '0.1', RAMPART_SCAN_TIMEOUT_SECONDS: '0' });
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && err.code).toBe('ERR_CONFIG_INVALID');
      for (const key of ['scanMemoryMb', 'scanCpuSeconds', 'scanTimeoutSeconds']) expect((err as Error).message).toContain(key);
    }
  });

  it('refuses a backoff cap below the base', () => {
    expect(() => loadAgentConfig({ stateDir: '/s' }, { RAMPART_BACKOFF_BASE_MS: '5000', RAMPART_BACKOFF_CAP_MS: '1000' })).toThrow(/backoffCapMs/);
  });
});
